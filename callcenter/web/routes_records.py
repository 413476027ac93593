"""Stored records: interactions (notes, disposition, ticket link), customers, tickets, callbacks.

Strategy: thin handlers over the repositories. The rules the desktop relies on live here:
an agent reads and annotates only their own calls; a callback entry's call id (`cb-12`,
what the desk shows) names the attempt under way or last made by the user, each attempt
being an interaction of its own (`cb-12-2`); a disposition must be one of the
configured ones; a ticket is opened for a known customer and, when made during a call,
linked to that call's interaction. Repository errors (not found, duplicate, invalid
number) become 404 / 409 / 422 with the repository's message.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from acd import AcdError, CallerHungUp, CallState
from callcenter.app.center_config import CallbackRetries
from callcenter.db import Callback, CallbackStatus, InvalidPhoneNumber, NewCustomer, Role
from callcenter.db.callbacks import ATTEMPT_PREFIX
from callcenter.db.customers import CustomerNotFound, DuplicateCustomer
from callcenter.db.interactions import InteractionNotFound, InteractionRecord
from callcenter.db.tickets import TicketNotFound
from callcenter.web.endpoint import EVERYONE, Api, ApiRequest
from callcenter.web.errors import ApiError
from callcenter.web.schemas import (
    CallbackCancelIn,
    CallbackOut,
    CallbackQuery,
    CallbackRescheduleIn,
    CustomerIn,
    CustomerOut,
    CustomerPatchIn,
    CustomerQuery,
    InteractionOut,
    InteractionPatchIn,
    InteractionQuery,
    TicketIn,
    TicketOut,
    TicketPatchIn,
    TicketQuery,
)
from cti import TicketError
from cti.types import Customer, TicketSummary, Tier

log = structlog.get_logger(__name__)
api = Api()


def _interaction_out(rec: InteractionRecord) -> dict[str, Any]:
    return {
        "uniqueid": rec.uniqueid,
        "customer_id": rec.customer_id,
        "customer_name": rec.customer_name,
        "caller_number": rec.caller_number,
        "dialled_number": rec.dialled_number,
        "queue": rec.queue,
        "agent": rec.agent,
        "arrived_at": rec.arrived_at,
        "answered_at": rec.answered_at,
        "ended_at": rec.ended_at,
        "outcome": rec.outcome,
        "disposition": rec.disposition,
        "notes": rec.notes,
        "ivr_path": list(rec.ivr_path),
        "ivr_data": dict(rec.ivr_data),
        "survey_scores": dict(rec.survey_scores),
        "ticket_ids": list(rec.ticket_ids),
    }


OVERDUE_SOON = timedelta(minutes=30)
"""A pending callback whose window ends within this is flagged overdue: act before it is
missed (at its end it fails, "window missed")."""


async def _attempt_of(req: ApiRequest, uniqueid: str) -> str:
    """The interaction a callback entry's call id stands for on the desk: the latest
    attempt of that request taken by the user (an agent) or by anyone; else `uniqueid`."""
    request = uniqueid.removeprefix(ATTEMPT_PREFIX)
    if not (uniqueid.startswith(ATTEMPT_PREFIX) and request.isascii() and request.isdigit()):
        return uniqueid
    user = req.user
    agent = user.agent_id if user.role is Role.AGENT else None
    latest = await req.ctx.interactions.latest_attempt(int(request), agent=agent)
    return latest or uniqueid


async def _own_interaction(req: ApiRequest, uniqueid: str) -> InteractionRecord:
    rec = await req.ctx.interactions.record(uniqueid)
    user = req.user
    settle = req.ctx.settle_writes
    if settle is not None and (
        rec is None or (user.role is Role.AGENT and rec.agent != user.agent_id)
    ):
        # The desktop shows a call as it is offered; its record (and who took it) reaches
        # the database with the writer's next batch. Wait for that batch, not a 404.
        with contextlib.suppress(TimeoutError):
            await settle()
        rec = await req.ctx.interactions.record(uniqueid)
    if rec is None:
        raise ApiError(404, "not_found", f"no interaction {uniqueid!r}")
    if user.role is Role.AGENT and rec.agent != user.agent_id:
        raise ApiError(403, "forbidden", f"call {uniqueid!r} was not yours")
    if user.role is Role.SUPERVISOR and rec.queue is not None and not user.sees_queue(rec.queue):
        raise ApiError(403, "forbidden", f"call {uniqueid!r} is not in your queues")
    return rec


@api.route(
    "GET",
    "/api/interactions",
    roles=EVERYONE,
    query=InteractionQuery,
    response=list[InteractionOut],
    summary="Search calls (agents: their own)",
    tag="interactions",
)
async def search_interactions(req: ApiRequest) -> list[dict[str, Any]]:
    q = req.query(InteractionQuery)
    user = req.user
    agent = user.agent_id if user.role is Role.AGENT else q.agent
    found = await req.ctx.interactions.search(
        text=q.q, queue=q.queue, agent=agent, since=q.since, until=q.until, limit=q.limit
    )
    if user.role is Role.SUPERVISOR:
        found = [r for r in found if r.queue is None or user.sees_queue(r.queue)]
    return [_interaction_out(r) for r in found]


@api.route(
    "GET",
    "/api/interactions/{uniqueid}",
    roles=EVERYONE,
    response=InteractionOut,
    summary="One call's record",
    tag="interactions",
)
async def get_interaction(req: ApiRequest) -> dict[str, Any]:
    uniqueid = await _attempt_of(req, req.path("uniqueid"))
    return _interaction_out(await _own_interaction(req, uniqueid))


@api.route(
    "PATCH",
    "/api/interactions/{uniqueid}",
    roles=EVERYONE,
    body=InteractionPatchIn,
    response=InteractionOut,
    summary="Write notes, a disposition, link a ticket",
    tag="interactions",
)
async def patch_interaction(req: ApiRequest) -> dict[str, Any]:
    uniqueid = await _attempt_of(req, req.path("uniqueid"))
    rec = await _own_interaction(req, uniqueid)
    body = req.body(InteractionPatchIn)
    known = req.ctx.settings.web.dispositions
    if body.disposition is not None and body.disposition not in known:
        raise ApiError(
            422,
            "invalid_request",
            f"unknown disposition {body.disposition!r} (one of: {', '.join(known)})",
        )
    if body.ticket_id is not None:
        try:
            await req.ctx.tickets.link(body.ticket_id, rec.id, actor=req.user.username)
        except TicketNotFound as exc:
            raise ApiError(404, "not_found", str(exc)) from None
    try:
        rec = await req.ctx.interactions.annotate(
            uniqueid, notes=body.notes, disposition=body.disposition
        )
    except InteractionNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    # A waiting call of the same caller shows these notes on its pop.
    req.ctx.center.pops.caller_changed(rec.caller_number, rec.customer_id)
    return _interaction_out(rec)


def _customer_out(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "account": c.account,
        "tier": c.tier.value,
        "language": c.language,
        "notes": c.notes,
        "phones": list(c.phones),
    }


@api.route(
    "GET",
    "/api/customers",
    roles=EVERYONE,
    query=CustomerQuery,
    response=list[CustomerOut],
    summary="Look customers up by phone, account or text",
    tag="customers",
)
async def find_customers(req: ApiRequest) -> list[dict[str, Any]]:
    q = req.query(CustomerQuery)
    repo = req.ctx.customers
    if q.phone:
        found = await repo.find_by_phone(q.phone)
        return [_customer_out(found)] if found else []
    if q.account:
        found = await repo.find_by_account(q.account)
        return [_customer_out(found)] if found else []
    return [_customer_out(c) for c in await repo.search(q.q or "", limit=q.limit)]


@api.route(
    "GET",
    "/api/customers/{customer_id}",
    roles=EVERYONE,
    response=CustomerOut,
    summary="One customer",
    tag="customers",
)
async def get_customer(req: ApiRequest) -> dict[str, Any]:
    customer = await req.ctx.customers.get(_int_path(req, "customer_id"))
    if customer is None:
        raise ApiError(404, "not_found", f"no customer {req.path('customer_id')}")
    return _customer_out(customer)


@api.route(
    "POST",
    "/api/customers",
    roles=EVERYONE,
    body=CustomerIn,
    response=CustomerOut,
    status=201,
    summary="Create a customer",
    tag="customers",
)
async def create_customer(req: ApiRequest) -> dict[str, Any]:
    body = req.body(CustomerIn)
    repo = req.ctx.customers
    try:
        new_id = await repo.add(
            NewCustomer(
                name=body.name,
                account=body.account,
                tier=Tier(body.tier),
                language=body.language,
                notes=body.notes,
                phones=tuple(body.phones),
            )
        )
    except DuplicateCustomer as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except InvalidPhoneNumber as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    created = await repo.get(new_id)
    assert created is not None
    return _customer_out(created)


@api.route(
    "PATCH",
    "/api/customers/{customer_id}",
    roles=EVERYONE,
    body=CustomerPatchIn,
    response=CustomerOut,
    summary="Edit a customer",
    tag="customers",
)
async def edit_customer(req: ApiRequest) -> dict[str, Any]:
    changes = req.body(CustomerPatchIn).model_dump(exclude_unset=True)
    try:
        customer = await req.ctx.customers.update(_int_path(req, "customer_id"), **changes)
    except CustomerNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except DuplicateCustomer as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except (InvalidPhoneNumber, ValueError) as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    return _customer_out(customer)


def _ticket_out(t: TicketSummary, now: datetime) -> dict[str, Any]:
    closed = t.status in ("resolved", "confirmed")
    return {
        "id": t.id,
        "category": t.category,
        "subject": t.subject,
        "status": t.status,
        "due_at": t.due_at,
        "owner": t.owner,
        "overdue": not closed and t.due_at < now,
    }


@api.route(
    "GET",
    "/api/tickets",
    roles=EVERYONE,
    query=TicketQuery,
    response=list[TicketOut],
    summary="List tickets",
    tag="tickets",
)
async def list_tickets(req: ApiRequest) -> list[dict[str, Any]]:
    q = req.query(TicketQuery)
    now = datetime.now(UTC)
    try:
        found = await req.ctx.tickets.list(
            customer_id=q.customer_id, status=q.status, limit=q.limit
        )
    except TicketError as exc:
        detail = {"field": "status", "problem": str(exc), "in": "query"}
        raise ApiError(422, "invalid_request", f"invalid query: {exc}", [detail]) from None
    return [_ticket_out(t, now) for t in found]


@api.route(
    "GET",
    "/api/tickets/{ticket_id}",
    roles=EVERYONE,
    response=TicketOut,
    summary="One ticket with its history",
    tag="tickets",
)
async def get_ticket(req: ApiRequest) -> dict[str, Any]:
    ticket_id = _int_path(req, "ticket_id")
    ticket = await req.ctx.tickets.get(ticket_id)
    if ticket is None:
        raise ApiError(404, "not_found", f"no ticket {ticket_id}")
    out = _ticket_out(ticket, datetime.now(UTC))
    history = await req.ctx.tickets.history(ticket_id)
    out["history"] = [
        {
            "at": h.at,
            "from_status": h.from_status,
            "to_status": h.to_status,
            "actor": h.actor,
            "note": h.note,
        }
        for h in history
    ]
    return out


@api.route(
    "POST",
    "/api/tickets",
    roles=EVERYONE,
    body=TicketIn,
    response=TicketOut,
    status=201,
    summary="Open a ticket (linked to the call when one is named)",
    tag="tickets",
)
async def open_ticket(req: ApiRequest) -> dict[str, Any]:
    body = req.body(TicketIn)
    ctx = req.ctx
    if await ctx.customers.get(body.customer_id) is None:
        raise ApiError(422, "invalid_request", f"no customer {body.customer_id}")
    interaction_id = None
    queue = None
    if body.interaction_uniqueid:
        call = await _own_interaction(req, body.interaction_uniqueid)
        interaction_id, queue = call.id, call.queue
    now = datetime.now(UTC)
    try:
        ticket = await ctx.tickets.open(
            customer_id=body.customer_id,
            category=body.category,
            subject=body.subject,
            now=now,
            owner=req.user.username,
            actor=req.user.username,
            interaction_id=interaction_id,
            note=body.note,
            queue=queue,
        )
    except TicketError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    return _ticket_out(ticket, now)


@api.route(
    "PATCH",
    "/api/tickets/{ticket_id}",
    roles=EVERYONE,
    body=TicketPatchIn,
    response=TicketOut,
    summary="Move a ticket along its workflow",
    tag="tickets",
)
async def move_ticket(req: ApiRequest) -> dict[str, Any]:
    body = req.body(TicketPatchIn)
    now = datetime.now(UTC)
    try:
        ticket = await req.ctx.tickets.move(
            _int_path(req, "ticket_id"),
            body.status,
            now=now,
            actor=req.user.username,
            note=body.note,
        )
    except TicketNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except TicketError as exc:
        raise ApiError(409, "illegal_transition", str(exc)) from None
    return _ticket_out(ticket, now)


@api.route(
    "GET",
    "/api/callbacks",
    roles=EVERYONE,
    query=CallbackQuery,
    response=list[CallbackOut],
    summary="Callback requests",
    tag="callbacks",
)
async def list_callbacks(req: ApiRequest) -> list[dict[str, Any]]:
    q = req.query(CallbackQuery)
    found = await req.ctx.callbacks.list(status=q.status, limit=q.limit)
    now = datetime.fromtimestamp(req.ctx.center.host.now(), UTC)
    retries = await _retries(req)
    return [
        _callback_out(c, now, retries)
        for c in found
        if (c.queue is None or req.user.sees_queue(c.queue)) and q.queue in (None, c.queue)
    ]


async def _retries(req: ApiRequest) -> CallbackRetries:
    """The callbacks' retry policies in force (the stored configuration, else the seed)."""
    stored = await req.ctx.config_versions.current()
    return (stored.center if stored is not None else req.ctx.seed_center()).callback_retries


def _callback_out(c: Callback, now: datetime, retries: CallbackRetries) -> dict[str, Any]:
    return {
        "id": c.id,
        "number": c.number,
        "customer_id": c.customer_id,
        "customer_name": c.customer_name,
        "queue": c.queue,
        "window_start": c.window_start,
        "window_end": c.window_end,
        "attempts": c.attempts,
        "max_attempts": retries.for_queue(c.queue).max_attempts,
        "status": c.status.value,
        "last_attempt_at": c.last_attempt_at,
        "history": [{"at": a.at, "agent": a.agent, "result": a.result} for a in c.history],
        "name": c.name,
        "channel": c.channel,
        "scheduled": c.scheduled,
        "overdue": c.status is CallbackStatus.PENDING and c.window_end - OVERDUE_SOON < now,
        "reason": c.reason,
    }


async def _pending_callback(req: ApiRequest) -> Callback:
    """The pending callback the path names, the user's to change; else 404/403/409. One
    ringing an agent or being dialled cannot be changed (409): it is happening."""
    callback_id = _int_path(req, "callback_id")
    found = await req.ctx.callbacks.get(callback_id)
    if found is None:
        raise ApiError(404, "not_found", f"no callback request {callback_id}")
    if found.queue is not None and not req.user.sees_queue(found.queue):
        raise ApiError(403, "forbidden", f"callback {callback_id} is for queue {found.queue!r}")
    if found.status is not CallbackStatus.PENDING:
        raise ApiError(409, "conflict", f"callback {callback_id} is {found.status.value}")
    host = req.ctx.center.host
    view = host.acd.call_view(f"cb-{callback_id}", host.now())
    if view is not None and view.state is not CallState.WAITING:
        raise ApiError(
            409, "conflict", f"callback {callback_id} is being dialled now ({view.state.value})"
        )
    return found


async def _out_of_line(req: ApiRequest, callback_id: int) -> None:
    # Out of the ACD's line (a callback entry's hang-up is counted as cancelled, not as an
    # abandoned call); a scheduled one is not in line yet.
    host = req.ctx.center.host
    call_id = f"cb-{callback_id}"
    if host.acd.call_view(call_id, host.now()) is not None:
        with contextlib.suppress(AcdError):
            await host.request(lambda now: CallerHungUp(now, call_id))


@api.route(
    "POST",
    "/api/callbacks/{callback_id}/cancel",
    roles=EVERYONE,
    body=CallbackCancelIn,
    response=CallbackOut,
    summary="Call a pending callback off (the customer asked, or was reached otherwise)",
    tag="callbacks",
)
async def cancel_callback(req: ApiRequest) -> dict[str, Any]:
    found = await _pending_callback(req)
    reason = req.body(CallbackCancelIn).reason
    try:
        cancelled = await req.ctx.callbacks.cancel(found.id)
    except (LookupError, ValueError) as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    await _out_of_line(req, found.id)
    log.info("web.callback_cancelled", callback=found.id, by=req.user.username, reason=reason)
    now = datetime.fromtimestamp(req.ctx.center.host.now(), UTC)
    return _callback_out(cancelled, now, await _retries(req))


RESCHEDULE_WINDOW = timedelta(hours=2)
"""A moved callback's window when only its start is given."""


@api.route(
    "POST",
    "/api/callbacks/{callback_id}/reschedule",
    roles=EVERYONE,
    body=CallbackRescheduleIn,
    response=CallbackOut,
    summary="Move a pending callback to a later window; it joins the line at its start",
    tag="callbacks",
)
async def reschedule_callback(req: ApiRequest) -> dict[str, Any]:
    body = req.body(CallbackRescheduleIn)
    now = datetime.fromtimestamp(req.ctx.center.host.now(), UTC)
    start = body.window_start.astimezone(UTC)
    end = (body.window_end or body.window_start + RESCHEDULE_WINDOW).astimezone(UTC)
    problems = []
    if start <= now:
        problems.append(("window_start", "must be later than now"))
    if end <= start:
        problems.append(("window_end", "must be after window_start"))
    if problems:
        details = [{"field": f, "problem": p, "in": "body"} for f, p in problems]
        message = "invalid body: " + "; ".join(f"{f}: {p}" for f, p in problems)
        raise ApiError(422, "invalid_request", message, details)
    found = await _pending_callback(req)
    try:
        moved = await req.ctx.callbacks.reschedule(found.id, window_start=start, window_end=end)
    except (LookupError, ValueError) as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    await _out_of_line(req, found.id)
    log.info(
        "web.callback_rescheduled", callback=found.id, by=req.user.username, at=start.isoformat()
    )
    return _callback_out(moved, now, await _retries(req))


def _int_path(req: ApiRequest, name: str) -> int:
    raw = req.path(name)
    # isascii: "²" and other Unicode digits pass isdigit() but not int().
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise ApiError(
            422, "invalid_request", f"{name} must be a positive whole number, got {raw!r}"
        )
    return int(raw)
