"""Tickets as work (issue 17): the worklist, a step of the complaint process, assignment,
the follow-up calls and the tickets report; no call in progress needed.

Strategy: thin handlers over `TicketRepository`, which checks the process and who may move
(`cti.complaint`). What a user sees: tickets of their queues (`Principal.queues`; all for
admins and unscoped supervisors), tickets without a queue, and their own. A ticket outside
that is a 404, as if it did not exist. The time is the repository's `clock`, so tests move
it. Errors name the field: a step the process refuses is 409 on `step`, a move or an
assignment the user may not make 403, an unknown owner 422 on `owner`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, Field, model_validator

from callcenter.db import InvalidPhoneNumber, Role
from callcenter.db.tickets import FollowUp, FollowUpNotFound, TicketNotFound, WorkTicket
from callcenter.live.callback_schedule import enqueue_callback
from callcenter.live.ticket_escalation import TicketEscalation
from callcenter.web.context import WebContext
from callcenter.web.endpoint import EVERYONE, STAFF, Api, ApiRequest
from callcenter.web.errors import ApiError
from cti import TicketError
from cti.complaint import STEP_MOVES, Actor, NotAllowed, Step

api = Api()

ESCALATION = web.AppKey("ticket_escalation", TicketEscalation)
"""The wallboard's overdue-ticket alerts of this app."""


def install(app: web.Application, ctx: WebContext) -> TicketEscalation:
    """Escalate overdue ticket promises to the supervisors' wallboards of `ctx`."""
    escalation = TicketEscalation(ctx.tickets)
    ctx.center.wallboard.add_alert_source(escalation.alerts)
    app[ESCALATION] = escalation

    async def stop(_app: web.Application) -> None:
        await escalation.stop()

    app.on_cleanup.append(stop)
    return escalation


async def _escalate_again(req: ApiRequest) -> None:
    """After a change: the wallboard's overdue list, read again at once."""
    escalation = req.request.app.get(ESCALATION)
    if escalation is not None:
        await escalation.refresh()


MAX_ID = 2**53


class _In(BaseModel):
    model_config = {"extra": "forbid", "str_strip_whitespace": True}


class WorklistQuery(_In):
    """Which tickets: `view` mine (assigned to me), queue (my queues'), overdue (a promise
    late), all (everything I may see); narrowed by status and category."""

    view: Literal["mine", "queue", "overdue", "all"] = "mine"
    status: Literal["open", "in_progress", "resolved", "confirmed", "reopened"] | None = None
    category: str | None = Field(None, min_length=1, max_length=32)
    closed: bool = False
    """Include confirmed tickets."""
    limit: int = Field(200, ge=1, le=500)


class StepIn(_In):
    """Move a ticket to the next step of the process, with a note."""

    step: str = Field(min_length=1, max_length=16)
    note: str = Field("", max_length=10_000)


class AssignIn(_In):
    """Give a ticket to an agent (null: nobody)."""

    owner: str | None = Field(None, max_length=64)
    note: str = Field("", max_length=10_000)


class AnswerIn(_In):
    """The customer's answer to a follow-up call."""

    satisfied: bool
    note: str = Field("", max_length=10_000)


class FollowUpCallOut(BaseModel):
    """A follow-up call put in line for the next agent (agent-first, as callbacks are)."""

    followup_id: int
    ticket_id: int
    callback_id: int
    queue: str
    number: str


class ReportQuery(_In):
    """A period [since, until) (default: the last 7 days), or whole days of the center's
    time zone (`since_day` to `until_day`, both included, as the reports page picks
    them); `queue` narrows to one queue."""

    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    since_day: date | None = None
    until_day: date | None = None
    queue: str | None = Field(None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _ordered(self) -> ReportQuery:
        if (self.since_day or self.until_day) and (self.since or self.until):
            raise ValueError("give either since/until or since_day/until_day, not both")
        if self.since and self.until and self.since >= self.until:
            raise ValueError("since must be before until")
        if self.since_day and self.until_day and self.since_day > self.until_day:
            raise ValueError("since_day must not be after until_day")
        return self


class HistoryOut(BaseModel):
    """One change of a ticket."""

    at: datetime
    from_status: str | None
    to_status: str
    step: str | None
    actor: str | None
    note: str
    promise_due_at: datetime | None
    promise_kept: bool | None


class FollowUpOut(BaseModel):
    """A follow-up call about a resolved ticket."""

    id: int
    ticket_id: int
    subject: str
    customer_id: int
    customer_name: str | None
    queue: str | None
    due_at: datetime
    overdue: bool
    answered_at: datetime | None
    satisfied: bool | None
    agent: str | None
    note: str
    mode: str
    """Who calls: `agent`, or `automated` (the service's IVR call)."""
    attempts: int
    """Automated calls placed so far."""
    last_result: str | None
    """What the last automated call came to (answered, busy, no-answer, no-key ...)."""
    unreached: bool
    """The automated calls were used up without an answer: an agent's to call now."""
    dialling: bool
    """An automated call is out right now."""


class WorkTicketOut(BaseModel):
    """A ticket in the worklist (with history and follow-ups when one is asked for)."""

    id: int
    customer_id: int
    customer_name: str | None
    category: str
    subject: str
    status: str
    step: str
    next_steps: list[str]
    step_due_at: datetime | None
    overdue: bool
    due_at: datetime
    owner: str | None
    queue: str | None
    created_at: datetime
    updated_at: datetime
    history: list[HistoryOut] | None = None
    followups: list[FollowUpOut] | None = None


class StepPromisesOut(BaseModel):
    """How one step's promises were kept."""

    step: str
    due: int
    kept: int


class TicketReportOut(BaseModel):
    """Tickets in a period."""

    since: datetime
    until: datetime
    opened: int
    resolved: int
    reopened: int
    reopen_rate: float | None
    steps: list[StepPromisesOut]
    followups_answered: int
    followups_satisfied: int


def _actor(req: ApiRequest) -> Actor:
    return Actor(req.user.username, supervises=req.user.role is not Role.AGENT)


def _sees(req: ApiRequest, ticket: WorkTicket) -> bool:
    return (
        ticket.queue is None
        or req.user.sees_queue(ticket.queue)
        or ticket.owner == req.user.username
    )


class _Names:
    """Customer names, each read once per request."""

    def __init__(self, req: ApiRequest) -> None:
        self._req = req
        self._known: dict[int, str | None] = {}

    async def name(self, customer_id: int) -> str | None:
        if customer_id not in self._known:
            customer = await self._req.ctx.customers.get(customer_id)
            self._known[customer_id] = None if customer is None else customer.name
        return self._known[customer_id]


async def _ticket_out(t: WorkTicket, now: datetime, names: _Names) -> dict[str, Any]:
    return {
        "id": t.id,
        "customer_id": t.customer_id,
        "customer_name": await names.name(t.customer_id),
        "category": t.category,
        "subject": t.subject,
        "status": t.status,
        "step": t.step,
        "next_steps": [s.value for s in STEP_MOVES[Step(t.step)]],
        "step_due_at": t.step_due_at,
        "overdue": t.overdue(now),
        "due_at": t.due_at,
        "owner": t.owner,
        "queue": t.queue,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
    }


async def _followup_out(f: FollowUp, now: datetime, names: _Names) -> dict[str, Any]:
    return {
        "id": f.id,
        "ticket_id": f.ticket_id,
        "subject": f.subject,
        "customer_id": f.customer_id,
        "customer_name": await names.name(f.customer_id),
        "queue": f.queue,
        "due_at": f.due_at,
        "overdue": f.answered_at is None and f.due_at < now,
        "answered_at": f.answered_at,
        "satisfied": f.satisfied,
        "agent": f.agent,
        "note": f.note,
        "mode": f.mode,
        "attempts": f.attempts,
        "last_result": f.last_result,
        "unreached": f.unreached_at is not None,
        "dialling": f.dialling,
    }


async def _visible(req: ApiRequest, ticket_id: int) -> WorkTicket:
    ticket = await req.ctx.tickets.work_ticket(ticket_id)
    if ticket is None or not _sees(req, ticket):
        raise ApiError(404, "not_found", f"no ticket {ticket_id}")
    return ticket


async def _full(req: ApiRequest, ticket: WorkTicket) -> dict[str, Any]:
    tickets = req.ctx.tickets
    now = tickets.clock()
    names = _Names(req)
    out = await _ticket_out(ticket, now, names)
    out["history"] = [
        {
            "at": h.at,
            "from_status": h.from_status,
            "to_status": h.to_status,
            "step": h.step,
            "actor": h.actor,
            "note": h.note,
            "promise_due_at": h.promise_due_at,
            "promise_kept": None if h.promise_due_at is None else h.at <= h.promise_due_at,
        }
        for h in await tickets.history(ticket.id)
    ]
    out["followups"] = [
        await _followup_out(f, now, names)
        for f in await tickets.followups(visible_queues=None, ticket_id=ticket.id)
    ]
    return out


def _field_error(status: int, code: str, field: str, problem: str) -> ApiError:
    return ApiError(status, code, problem, [{"field": field, "problem": problem, "in": "body"}])


@api.route(
    "GET",
    "/api/worklist",
    roles=EVERYONE,
    query=WorklistQuery,
    response=list[WorkTicketOut],
    summary="Tickets to work on: mine, my queues', overdue or all I may see",
    tag="tickets",
)
async def worklist(req: ApiRequest) -> list[dict[str, Any]]:
    q = req.query(WorklistQuery)
    user = req.user
    tickets = req.ctx.tickets
    now = tickets.clock()
    queues: frozenset[str] | None = None
    if q.view == "queue":
        queues = user.queues if user.queues is not None else None
        if user.role is Role.AGENT and queues is None:
            queues = frozenset()
    found = await tickets.worklist(
        visible_queues=user.queues,
        me=user.username,
        owner=user.username if q.view == "mine" else None,
        queues=queues,
        overdue_at=now if q.view == "overdue" else None,
        status=q.status,
        category=q.category,
        open_only=not q.closed,
        limit=q.limit,
    )
    names = _Names(req)
    return [await _ticket_out(t, now, names) for t in found]


@api.route(
    "GET",
    "/api/worklist/{ticket_id}",
    roles=EVERYONE,
    response=WorkTicketOut,
    summary="One ticket with its steps, history and follow-up calls",
    tag="tickets",
)
async def work_ticket(req: ApiRequest) -> dict[str, Any]:
    return await _full(req, await _visible(req, _int_path(req, "ticket_id")))


@api.route(
    "POST",
    "/api/worklist/{ticket_id}/step",
    roles=EVERYONE,
    body=StepIn,
    response=WorkTicketOut,
    summary="Move a ticket to the next step of the complaint process",
    tag="tickets",
)
async def move_step(req: ApiRequest) -> dict[str, Any]:
    body = req.body(StepIn)
    ticket = await _visible(req, _int_path(req, "ticket_id"))
    tickets = req.ctx.tickets
    try:
        moved = await tickets.advance(
            ticket.id, body.step, now=tickets.clock(), actor=_actor(req), note=body.note
        )
    except NotAllowed as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    except TicketNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except TicketError as exc:
        raise _field_error(409, "illegal_transition", "step", str(exc)) from None
    await _escalate_again(req)
    return await _full(req, moved)


@api.route(
    "POST",
    "/api/worklist/{ticket_id}/assign",
    roles=EVERYONE,
    body=AssignIn,
    response=WorkTicketOut,
    summary="Assign a ticket (supervisors), take an unassigned one or give one back (agents)",
    tag="tickets",
)
async def assign(req: ApiRequest) -> dict[str, Any]:
    body = req.body(AssignIn)
    ticket = await _visible(req, _int_path(req, "ticket_id"))
    owner = body.owner or None
    agents = sorted(agent.id for agent in req.ctx.settings.acd.agents)
    if owner is not None and owner not in agents:
        raise _field_error(
            422,
            "invalid_request",
            "owner",
            f"unknown agent {owner!r} (one of: {', '.join(agents) or 'none'})",
        )
    tickets = req.ctx.tickets
    try:
        moved = await tickets.assign(
            ticket.id, owner, now=tickets.clock(), actor=_actor(req), note=body.note
        )
    except NotAllowed as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    except TicketNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    return await _full(req, moved)


@api.route(
    "GET",
    "/api/followups",
    roles=EVERYONE,
    response=list[FollowUpOut],
    summary="Follow-up calls waiting for the customer's answer, soonest due first",
    tag="tickets",
)
async def followups(req: ApiRequest) -> list[dict[str, Any]]:
    tickets = req.ctx.tickets
    now = tickets.clock()
    names = _Names(req)
    return [
        await _followup_out(f, now, names)
        for f in await tickets.followups(visible_queues=req.user.queues)
    ]


@api.route(
    "POST",
    "/api/followups/{followup_id}/answer",
    roles=EVERYONE,
    body=AnswerIn,
    response=WorkTicketOut,
    summary="Record the customer's answer: satisfied confirms the ticket, not reopens it",
    tag="tickets",
)
async def answer(req: ApiRequest) -> dict[str, Any]:
    body = req.body(AnswerIn)
    followup_id = _int_path(req, "followup_id")
    tickets = req.ctx.tickets
    waiting = {f.id: f for f in await tickets.followups(visible_queues=req.user.queues)}
    if followup_id not in waiting:
        raise ApiError(404, "not_found", f"no follow-up call {followup_id} waiting for an answer")
    try:
        ticket = await tickets.answer_followup(
            followup_id,
            body.satisfied,
            now=tickets.clock(),
            actor=req.user.username,
            note=body.note,
        )
    except FollowUpNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except TicketError as exc:
        raise ApiError(409, "illegal_transition", str(exc)) from None
    await _escalate_again(req)
    return await _full(req, ticket)


FOLLOWUP_WINDOW = timedelta(hours=4)
"""How long the follow-up call's callback request stays in line."""


@api.route(
    "POST",
    "/api/followups/{followup_id}/call",
    roles=EVERYONE,
    response=FollowUpCallOut,
    status=201,
    summary="Put the follow-up call in line: the next agent's phone rings, then the customer's",
    tag="tickets",
)
async def call_followup(req: ApiRequest) -> dict[str, Any]:
    followup_id = _int_path(req, "followup_id")
    ctx = req.ctx
    tickets = ctx.tickets
    waiting = {f.id: f for f in await tickets.followups(visible_queues=req.user.queues)}
    followup = waiting.get(followup_id)
    if followup is None:
        raise ApiError(404, "not_found", f"no follow-up call {followup_id} waiting for an answer")
    customer = await ctx.customers.get(followup.customer_id)
    if customer is None or not customer.phones:
        raise ApiError(409, "no_number", "the customer has no phone number to call")
    queue = followup.queue or next(
        (q.name for q in ctx.settings.acd.queues if req.user.sees_queue(q.name)), None
    )
    if queue is None:
        raise ApiError(409, "no_queue", "no queue to put the follow-up call in")
    now = tickets.clock()
    try:
        stored = await ctx.callbacks.request(
            number=customer.phones[0],
            window_start=now,
            window_end=now + FOLLOWUP_WINDOW,
            now=now,
            queue=queue,
            customer_id=customer.id,
            channel="followup",
        )
    except InvalidPhoneNumber as exc:
        raise ApiError(409, "no_number", str(exc)) from None
    enqueue_callback(
        ctx.center,
        stored,
        queue=queue,
        answers={"reason": "follow-up", "ticket": str(followup.ticket_id)},
        customer_name=customer.name,
    )
    await tickets.note(
        followup.ticket_id,
        f"follow-up call put in line in {queue} (callback {stored.id})",
        now=now,
        actor=req.user.username,
    )
    return {
        "followup_id": followup.id,
        "ticket_id": followup.ticket_id,
        "callback_id": stored.id,
        "queue": queue,
        "number": stored.number,
    }


@api.route(
    "GET",
    "/api/reports/tickets",
    roles=STAFF,
    query=ReportQuery,
    response=TicketReportOut,
    summary="Tickets in a period: promises kept per step, reopen rate, follow-up answers",
    tag="reports",
)
async def report(req: ApiRequest) -> dict[str, Any]:
    q = req.query(ReportQuery)
    tickets = req.ctx.tickets
    now = tickets.clock()
    if q.since_day or q.until_day:
        zone = ZoneInfo(req.ctx.settings.ivr.timezone)
        last = q.until_day or now.astimezone(zone).date()
        first = q.since_day or last - timedelta(days=6)
        since = datetime.combine(first, time(), zone).astimezone(UTC)
        until = datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC)
    else:
        until = q.until or now
        since = q.since or until - timedelta(days=7)
    queues = req.user.queues
    if q.queue is not None:
        if not req.user.sees_queue(q.queue):
            raise ApiError(403, "forbidden", f"queue {q.queue} is not in your scope")
        queues = frozenset({q.queue})
    found = await req.ctx.reports.ticket_report(since, until, queues, unqueued=q.queue is None)
    return {
        "since": since,
        "until": until,
        "opened": found.opened,
        "resolved": found.resolved,
        "reopened": found.reopened,
        "reopen_rate": found.reopen_rate,
        "steps": [{"step": s.step, "due": s.due, "kept": s.kept} for s in found.steps],
        "followups_answered": found.followups_answered,
        "followups_satisfied": found.followups_satisfied,
    }


def _int_path(req: ApiRequest, name: str) -> int:
    raw = req.path(name)
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18 or int(raw) > MAX_ID:
        raise ApiError(
            422, "invalid_request", f"{name} must be a positive whole number, got {raw!r}"
        )
    return int(raw)
