"""The voicemail inbox: messages per queue, played in the browser, taken, called back, closed.

Strategy: thin handlers over `VoicemailRepository`. Who sees a message is who works its
queue: an agent the queues they serve, a supervisor their scope, an admin all. The audio
is served from the folder Asterisk writes (`telephony.voicemail_dir`, shared read-only by
the compose file); its path is made again from the stored queue and call id exactly as
Asterisk was told to write it (`message_file`), never from anything in the request, and
must lie in that folder. An agent takes a message before working it (it is then theirs);
"call back" stores a callback request for the caller's number, queued in the ACD like the
IVR's (an agent-first call: the agent's phone rings, then the customer's), and links it to
the message; "close" needs one of the configured dispositions.

Each message is also work in the ACD (`vm-<call id>`, queued by the PBX side): its offer
reaches the agent's desktop, which accepts (`OfferAnswered`: the agent is busy with it) or
declines it (`OfferRejected`, as a rejected call); closing it ends the work item
(`CallEnded`: wrap-up follows). A message taken or closed in the inbox outside its offer
leaves the ACD's line, so nobody is offered work that is already done.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError

from acd import CallEnded, CallerHungUp, CallState, OfferAnswered, OfferRejected
from callcenter.db import InvalidPhoneNumber, Role
from callcenter.db.voicemails import (
    Voicemail,
    VoicemailNotFound,
    VoicemailRepository,
    VoicemailStateError,
    VoicemailStatus,
    stored_message,
)
from callcenter.live.callback_schedule import enqueue_callback
from callcenter.web.endpoint import EVERYONE, STAFF, Api, ApiRequest
from callcenter.web.errors import ApiError
from callcenter.web.schemas import DayOrMoment

log = structlog.get_logger(__name__)

api = Api()

WORK = "vm-"
"""A message's work item in the ACD: `vm-<the call's uniqueid>` (`callcenter.pbx.agi_routes`)."""

REPORT_MAX_DAYS = 366
"""The longest period the voicemail report covers."""
CALLBACK_WINDOW = timedelta(hours=4)
"""How long a callback made from a message stays due (as the IVR's)."""


class VoicemailQuery(BaseModel):
    """Filters of the inbox."""

    model_config = ConfigDict(extra="forbid")
    queue: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    status: VoicemailStatus | None = None
    limit: int = Field(200, ge=1, le=1000)


class VoicemailReportQuery(BaseModel):
    """The voicemail report's period (days in the center's time zone, `until` included)."""

    model_config = ConfigDict(extra="forbid")
    since: DayOrMoment
    until: DayOrMoment
    queue: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")


class VoicemailHandlingOut(BaseModel):
    """One queue's messages of the period: how many, where they stand, how long they took."""

    queue: str
    left: int
    closed: int
    open: int
    expired: int
    called_back: int
    time_to_take_s: float | None
    """Average seconds from the message to an agent starting on it."""
    time_to_handle_s: float | None
    """Average seconds from the message to its close."""
    longest_handle_s: float | None
    longest_open_s: float | None
    """The age at the period's end of the oldest message still open."""


class VoicemailReportOut(BaseModel):
    """The voicemail report: a row per queue."""

    since: datetime
    until: datetime
    timezone: str
    rows: list[VoicemailHandlingOut]


class VoicemailCloseIn(BaseModel):
    """How the message was handled."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    disposition: str = Field(min_length=1, max_length=64)
    note: str = Field("", max_length=4000)


class VoicemailOut(BaseModel):
    """A message in the inbox: who left it for which queue, when, how long, where it stands."""

    id: int
    call_id: str
    queue: str
    caller_number: str | None
    customer_id: int | None
    customer_name: str | None
    recorded_at: datetime
    seconds: float
    status: str
    """new, in_progress, closed or expired (the file deleted after the retention)."""
    agent: str | None
    taken_at: datetime | None
    closed_at: datetime | None
    disposition: str | None
    note: str
    callback_id: int | None
    audio: str | None
    """The path that plays the message; None when its file is gone (expired)."""


def _out(v: Voicemail) -> dict[str, Any]:
    return {
        "id": v.id,
        "call_id": v.call_id,
        "queue": v.queue,
        "caller_number": v.caller_number,
        "customer_id": v.customer_id,
        "customer_name": v.customer_name,
        "recorded_at": v.recorded_at,
        "seconds": v.seconds,
        "status": v.status.value,
        "agent": v.agent,
        "taken_at": v.taken_at,
        "closed_at": v.closed_at,
        "disposition": v.disposition,
        "note": v.note,
        "callback_id": v.callback_id,
        "audio": None if v.status is VoicemailStatus.EXPIRED else f"/api/voicemails/{v.id}/audio",
    }


def _visible_queues(req: ApiRequest) -> frozenset[str] | None:
    """The queues whose messages this user sees; None: all."""
    user = req.user
    if user.role is Role.AGENT:
        agent = next((a for a in req.ctx.settings.acd.agents if a.id == user.agent_id), None)
        return frozenset(agent.queues) if agent is not None else frozenset()
    return user.queues


def _voicemail_id(req: ApiRequest) -> int:
    raw = req.path("voicemail_id")
    # isascii: "²" and other Unicode digits pass isdigit() but not int().
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise ApiError(
            422, "invalid_request", f"voicemail_id must be a positive whole number, got {raw!r}"
        )
    return int(raw)


def _inbox(req: ApiRequest) -> VoicemailRepository:
    if req.ctx.voicemails is None:
        raise ApiError(503, "unavailable", "the voicemail inbox is not set up on this server")
    return req.ctx.voicemails


def _agent(req: ApiRequest) -> str:
    """The agent acting (the routes that call this are for agents only)."""
    agent = req.user.agent_id
    if agent is None:
        raise ApiError(403, "forbidden", "only an agent handles a message")
    return agent


async def _visible(req: ApiRequest) -> Voicemail:
    """The message of the path, if this user may see it (404 / 403 otherwise)."""
    inbox = _inbox(req)
    voicemail_id = _voicemail_id(req)
    try:
        found = await inbox.get(voicemail_id)
    except VoicemailNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    queues = _visible_queues(req)
    if queues is not None and found.queue not in queues:
        raise ApiError(403, "forbidden", f"voicemail {voicemail_id} is not for your queues")
    return found


def _settle_work(req: ApiRequest, message: Voicemail, *, done: bool) -> None:
    """Keep the ACD's work item in step with the inbox: a message taken or closed outside
    its offer leaves the line (or the agent it was offered to); one closed by the agent who
    accepted it ends, and that agent goes on to wrap-up as after a call."""
    host = req.ctx.center.host
    entry = f"{WORK}{message.call_id}"
    view = host.acd.call_view(entry, host.now())
    if view is None:
        return
    agent = req.user.agent_id
    if view.state is CallState.CONNECTED:
        if done:
            host.submit(CallEnded(host.now(), entry))
        return
    if view.state is CallState.OFFERED and view.agent_id == agent and agent is not None:
        host.submit(OfferAnswered(host.now(), entry, agent))
        if done:
            host.submit(CallEnded(host.now(), entry))
        return
    # Waiting, or offered to someone else: handled from the inbox, it leaves the line.
    host.submit(CallerHungUp(host.now(), entry))


def _work_entry(req: ApiRequest) -> str:
    entry = req.path("entry")
    call_id = entry.removeprefix(WORK)
    if entry == call_id or not call_id or len(entry) > 64 or not call_id.isascii():
        raise ApiError(422, "invalid_request", f"{entry!r} is not a voicemail's work item")
    return entry


@api.route(
    "POST",
    "/api/voicemail-work/{entry}/accept",
    roles=frozenset({Role.AGENT}),
    response=VoicemailOut,
    summary="Accept the voicemail offered on your desktop: it is yours until you close it",
    tag="voicemail",
)
async def accept_work(req: ApiRequest) -> dict[str, Any]:
    entry = _work_entry(req)
    agent = _agent(req)
    inbox = _inbox(req)
    host = req.ctx.center.host
    view = host.acd.call_view(entry, host.now())
    if view is None or view.state is not CallState.OFFERED or view.agent_id != agent:
        raise ApiError(409, "conflict", f"voicemail {entry!r} is not being offered to you")
    try:
        message = await inbox.by_call(entry.removeprefix(WORK))
        taken = await inbox.take(message.id, agent, datetime.now(UTC))
    except VoicemailNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except VoicemailStateError as exc:
        # Someone took it from the inbox meanwhile: the offer is over for this agent.
        host.submit(OfferRejected(host.now(), entry, agent))
        raise ApiError(409, "conflict", str(exc)) from None
    host.submit(OfferAnswered(host.now(), entry, agent))
    log.info("voicemail.accepted", voicemail_id=message.id, agent=agent)
    return _out(taken)


@api.route(
    "POST",
    "/api/voicemail-work/{entry}/decline",
    roles=frozenset({Role.AGENT}),
    summary="Decline the voicemail offered on your desktop (as a rejected call)",
    tag="voicemail",
)
async def decline_work(req: ApiRequest) -> None:
    entry = _work_entry(req)
    agent = _agent(req)
    host = req.ctx.center.host
    view = host.acd.call_view(entry, host.now())
    if view is None or view.state is not CallState.OFFERED or view.agent_id != agent:
        raise ApiError(409, "conflict", f"voicemail {entry!r} is not being offered to you")
    host.submit(OfferRejected(host.now(), entry, agent))


@api.route(
    "GET",
    "/api/voicemails",
    roles=EVERYONE,
    query=VoicemailQuery,
    response=list[VoicemailOut],
    summary="The voicemail inbox (agents: their queues; supervisors: their scope)",
    tag="voicemail",
)
async def list_voicemails(req: ApiRequest) -> list[dict[str, Any]]:
    q = req.query(VoicemailQuery)
    inbox = _inbox(req)
    queues = _visible_queues(req)
    if q.queue is not None:
        if queues is not None and q.queue not in queues:
            raise ApiError(403, "forbidden", f"queue {q.queue!r} is not one of yours")
        queues = frozenset({q.queue})
    found = await inbox.messages(
        queues=sorted(queues) if queues is not None else None, status=q.status, limit=q.limit
    )
    return [_out(v) for v in found]


def _moment(value: date | datetime, tz: ZoneInfo, *, end: bool) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(0), tzinfo=tz)


@api.route(
    "GET",
    "/api/reports/voicemail",
    roles=STAFF,
    query=VoicemailReportQuery,
    response=VoicemailReportOut,
    summary="Voicemail: messages per queue, closed, open, expired, time to take and to handle",
    tag="reports",
)
async def voicemail_report(req: ApiRequest) -> dict[str, Any]:
    q = req.query(VoicemailReportQuery)
    tz = ZoneInfo(req.ctx.settings.ivr.timezone)
    since, until = _moment(q.since, tz, end=False), _moment(q.until, tz, end=True)
    if until <= since:
        raise ApiError(422, "invalid_request", "until must come after since")
    if until - since > timedelta(days=REPORT_MAX_DAYS):
        raise ApiError(422, "invalid_request", f"a report covers at most {REPORT_MAX_DAYS} days")
    queues = req.user.queues
    if q.queue is not None:
        if queues is not None and q.queue not in queues:
            raise ApiError(403, "forbidden", f"queue {q.queue!r} is not one of yours")
        queues = frozenset({q.queue})
    now = datetime.fromtimestamp(req.ctx.center.host.now(), tz)
    rows = await req.ctx.reports.voicemail_report(since, until, now, queues)
    return {
        "since": since,
        "until": until,
        "timezone": str(tz),
        "rows": [dataclasses.asdict(row) for row in rows],
    }


@api.route(
    "GET",
    "/api/voicemails/{voicemail_id}/audio",
    roles=EVERYONE,
    summary="Play a message (audio/wav)",
    tag="voicemail",
    media="audio/wav",
)
async def play_voicemail(req: ApiRequest) -> web.StreamResponse:
    message = await _visible(req)
    if message.status is VoicemailStatus.EXPIRED:
        raise ApiError(410, "gone", f"voicemail {message.id} was deleted after the retention")
    path = stored_message(req.ctx.settings.telephony.voicemail_dir, message.queue, message.call_id)
    if path is None or not path.is_file():
        log.warning("voicemail.file_missing", voicemail_id=message.id, queue=message.queue)
        raise ApiError(404, "not_found", f"the audio of voicemail {message.id} is not on disk")
    log.info("voicemail.played", voicemail_id=message.id, by=req.user.username)
    return web.FileResponse(
        path, headers={"Content-Type": "audio/wav", "Cache-Control": "private, no-store"}
    )


@api.route(
    "POST",
    "/api/voicemails/{voicemail_id}/take",
    roles=frozenset({Role.AGENT}),
    response=VoicemailOut,
    summary="Take a message: it is yours to handle",
    tag="voicemail",
)
async def take_voicemail(req: ApiRequest) -> dict[str, Any]:
    message = await _visible(req)
    agent = _agent(req)
    try:
        taken = await _inbox(req).take(message.id, agent, datetime.now(UTC))
    except VoicemailStateError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    _settle_work(req, taken, done=False)
    return _out(taken)


@api.route(
    "POST",
    "/api/voicemails/{voicemail_id}/callback",
    roles=frozenset({Role.AGENT}),
    response=VoicemailOut,
    summary="Call the caller back (agent-first, through the ACD)",
    tag="voicemail",
)
async def call_back(req: ApiRequest) -> dict[str, Any]:
    message = await _visible(req)
    inbox = _inbox(req)
    agent = _agent(req)
    if message.caller_number is None:
        raise ApiError(409, "conflict", f"voicemail {message.id} has no caller number to call")
    now = datetime.now(UTC)
    try:
        await inbox.take(message.id, agent, now)
        stored = await req.ctx.callbacks.request(
            number=message.caller_number,
            window_start=now,
            window_end=now + CALLBACK_WINDOW,
            now=now,
            queue=message.queue,
            customer_id=message.customer_id,
            channel="voicemail",
        )
    except VoicemailStateError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except InvalidPhoneNumber as exc:
        raise ApiError(422, "invalid_number", str(exc)) from None
    except SQLAlchemyError as exc:
        log.error("voicemail.callback_not_stored", voicemail_id=message.id, error=str(exc))
        raise ApiError(503, "unavailable", "the callback could not be stored") from None
    await inbox.called_back(message.id, stored.id, now=now)
    _settle_work(req, message, done=False)
    enqueue_callback(
        req.ctx.center,
        stored,
        queue=message.queue,
        answers={"callback_for": message.call_id, "voicemail": str(message.id)},
        customer_name=message.customer_name,
    )
    log.info("voicemail.called_back", voicemail_id=message.id, callback=stored.id, agent=agent)
    return _out(await inbox.get(message.id))


@api.route(
    "POST",
    "/api/voicemails/{voicemail_id}/close",
    roles=EVERYONE,
    body=VoicemailCloseIn,
    response=VoicemailOut,
    summary="Close a message with a disposition and a note",
    tag="voicemail",
)
async def close_voicemail(req: ApiRequest) -> dict[str, Any]:
    message = await _visible(req)
    body = req.body(VoicemailCloseIn)
    known = req.ctx.settings.web.dispositions
    if body.disposition not in known:
        raise ApiError(
            422,
            "invalid_disposition",
            f"unknown disposition {body.disposition!r} (one of: {', '.join(known)})",
        )
    agent = req.user.agent_id  # None for supervisors and admins: they may close any
    try:
        closed = await _inbox(req).close(
            message.id, agent, body.disposition, body.note, datetime.now(UTC)
        )
    except VoicemailStateError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    _settle_work(req, closed, done=True)
    log.info("voicemail.closed", voicemail_id=message.id, by=req.user.username)
    return _out(closed)
