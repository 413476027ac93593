"""Call detail records: one row per call and one per callback attempt, for a period.

Strategy: the period is read one local day at a time (the center's time zone), so memory
stays that of a day whatever the period: the day's calls are streamed from `interactions`
(by arrival, with the customer's name and account), the day's callback attempts (by the
time the agent answered, with their request) are merged in by time, and the wrap-up of each
answered call comes from the event log, where a `handled` record (which carries no call id)
belongs to the call its agent completed last. The rows are plain dicts keyed by `COLUMNS`,
times in UTC: the web formats them (`callcenter.web.cdr_export`). A supervisor's rows are
narrowed by `queues`; a call that never reached a queue (self-service, hung up in a menu,
transferred) has none and is kept, as the records API keeps it. Each callback attempt is
an interaction of its own (`cb-<request>-<n>`): it is the attempt's row (not a call's),
with the agent's disposition, whether notes were written and when it ended. Each automated
follow-up call is an interaction too (`fu-<follow-up>-<n>`), streamed with the calls as a
`followup_call` record naming its ticket.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from callcenter.db.callbacks import ATTEMPT_PREFIX, attempt_uniqueid
from callcenter.db.followup_contacts import TICKET_KEY, parse_followup_call_uniqueid
from callcenter.db.models import (
    CallbackAttemptRow,
    CallbackRequest,
    CallEventRow,
    Customer,
    Ticket,
)
from callcenter.db.models import Interaction as Row

COLUMNS: tuple[str, ...] = (
    "record_type",
    "call_id",
    "callback_id",
    "attempt",
    "arrived_at",
    "dialled_number",
    "caller_number",
    "customer_id",
    "customer_name",
    "customer_account",
    "ivr_path",
    "ivr_answers",
    "ivr_seconds",
    "queue",
    "queued_at",
    "wait_seconds",
    "agent",
    "offered_at",
    "ring_seconds",
    "answered_at",
    "ended_at",
    "talk_seconds",
    "wrap_up_seconds",
    "outcome",
    "disposition",
    "has_notes",
    "ticket_ids",
    "survey_scores",
    "voicemail_file",
    "voicemail_seconds",
    "transfer_target",
)
"""The fields of a record, in the export's order. `record_type` is `call`,
`callback_attempt` or `followup_call` (an automated follow-up call, `fu-<follow-up>-<n>`:
`attempt` its number, `caller_number` the customer's number dialled, `offered_at` when it
was dialled, `answered_at` when the customer answered, `outcome` the answer, `satisfied`
or `not-satisfied`, or the miss, `ticket_ids` the ticket it was about); an attempt's
`call_id` is its ACD entry (`cb-<callback_id>`), its
`caller_number` the customer's number dialled, its `arrived_at` and `answered_at` the
moment the agent answered, its `ended_at` the end of the agent's leg, its `outcome` the
attempt's result (reached, busy, no-answer ...), its `disposition` and `has_notes` what
the agent wrote on it.
`ticket_ids` are the tickets opened on or linked to the call, `12; 15`."""

TIME_COLUMNS = frozenset({"arrived_at", "queued_at", "offered_at", "answered_at", "ended_at"})
"""The columns holding a moment (an aware UTC datetime, or None)."""

WRAP_UP_MARGIN = timedelta(hours=6)
"""How far past a day the event log is read for the wrap-up of its calls (a call that
arrived late in the day is completed and wrapped up after midnight)."""

_IVR_OWN = ("customer.", "voicemail.", "transfer.", "callback.", "followup.", TICKET_KEY)
"""IVR data the record shows in columns of their own, or the customer's from the lookup."""


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open period [since, until) and the time zone whose days split it."""

    since: datetime
    until: datetime
    tz: ZoneInfo

    def days(self) -> Iterator[tuple[datetime, datetime]]:
        """The period cut at each local midnight, in order."""
        start = self.since
        while start < self.until:
            local = start.astimezone(self.tz)
            midnight = datetime.combine(local.date() + timedelta(days=1), time(0), self.tz)
            end = min(midnight, self.until)
            yield start, end
            start = end


class CallRecords:
    """Reads the detail records of a period (`rows`)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, chunk: int = 1000) -> None:
        """Read through `sessions`, `chunk` calls per database round trip."""
        self._sessions = sessions
        self._chunk = chunk

    async def rows(
        self,
        period: Period,
        *,
        queues: Collection[str] | None = None,
        unqueued: bool = True,
    ) -> AsyncIterator[dict[str, Any]]:
        """The records of calls that arrived in `period` and of callback attempts made in
        it, by time; only those of `queues` when given, and then calls that reached no
        queue only with `unqueued`."""
        where = _QueueScope(queues, unqueued)
        for start, end in period.days():
            async with self._sessions() as session:
                wrap_ups = await _wrap_ups(session, start, end + WRAP_UP_MARGIN)
                attempts = await _attempts(session, start, end, where)
                calls = _calls(session, start, end, where, wrap_ups=wrap_ups, chunk=self._chunk)
                async for row in _merged(calls, attempts):
                    yield row


async def _merged(
    calls: AsyncIterator[dict[str, Any]], attempts: list[dict[str, Any]]
) -> AsyncIterator[dict[str, Any]]:
    """Calls (streamed) and attempts (a day's, in memory, by time) in one order by time."""
    next_attempt = 0
    async for call in calls:
        while next_attempt < len(attempts) and (
            attempts[next_attempt]["arrived_at"] < call["arrived_at"]
        ):
            yield attempts[next_attempt]
            next_attempt += 1
        yield call
    for attempt in attempts[next_attempt:]:
        yield attempt


@dataclass(frozen=True, slots=True)
class _QueueScope:
    queues: Collection[str] | None
    unqueued: bool

    def on(self, column: Any) -> list[ColumnElement[bool]]:
        if self.queues is None:
            return []
        mine = column.in_(sorted(self.queues))
        return [or_(column.is_(None), mine) if self.unqueued else mine]


async def _calls(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    where: _QueueScope,
    *,
    wrap_ups: dict[str, float],
    chunk: int,
) -> AsyncIterator[dict[str, Any]]:
    query = (
        # Columns, not ORM objects: a day's rows are read once and never changed, and the
        # ORM's per-object bookkeeping was most of an export's time.
        select(*_CALL_COLUMNS, Customer.name.label("customer_name"), Customer.account)
        .outerjoin(Customer, Customer.id == Row.customer_id)
        .where(
            Row.arrived_at >= start,
            Row.arrived_at < end,
            # A callback attempt's interaction is its attempt's record (`_attempts`).
            Row.uniqueid.not_like(f"{ATTEMPT_PREFIX}%"),
            *where.on(Row.queue),
        )
        .order_by(Row.arrived_at, Row.id)
        .execution_options(yield_per=chunk)
    )
    result = await session.stream(query)
    async for rows in result.partitions():
        tickets = await _tickets(session, [row.id for row in rows])
        for row in rows:
            record = _call_record(row, row.customer_name, row.account, wrap_ups.get(row.uniqueid))
            linked = tickets.get(row.id, [])
            about = _int_or_none((row.ivr_data or {}).get(TICKET_KEY))
            if (
                record["record_type"] == "followup_call"
                and about is not None
                and about not in linked
            ):
                linked = [about, *linked]
            record["ticket_ids"] = "; ".join(str(t) for t in linked)
            yield record


async def _tickets(session: AsyncSession, interaction_ids: list[int]) -> dict[int, list[int]]:
    """Interaction id -> the ids of the tickets linked to it, oldest first (one query)."""
    found: dict[int, list[int]] = {}
    linked = await session.execute(
        select(Ticket.interaction_id, Ticket.id)
        .where(Ticket.interaction_id.in_(interaction_ids))
        .order_by(Ticket.id)
    )
    for interaction_id, ticket_id in linked:
        if interaction_id is not None:
            found.setdefault(interaction_id, []).append(ticket_id)
    return found


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max((end - start).total_seconds(), 0.0), 1)


def _pairs(data: dict[str, Any]) -> str:
    return "; ".join(f"{key}={value}" for key, value in data.items())


_CALL_COLUMNS = tuple(Row.__table__.c)


def _call_record(
    row: Any, name: str | None, account: str | None, wrap_up: float | None
) -> dict[str, Any]:
    data = row.ivr_data or {}
    answered, ended = row.answered_at, row.ended_at
    voicemail_seconds = data.get("voicemail.seconds")
    followup = parse_followup_call_uniqueid(row.uniqueid)
    return {
        "record_type": "call" if followup is None else "followup_call",
        "call_id": row.uniqueid,
        "callback_id": _int_or_none(data.get("callback.id")),
        "attempt": None if followup is None else followup[1],
        "arrived_at": row.arrived_at,
        "dialled_number": row.dialled_number,
        "caller_number": row.caller_number,
        "customer_id": row.customer_id,
        "customer_name": name,
        "customer_account": account,
        "ivr_path": " > ".join(row.ivr_path or ()),
        "ivr_answers": _pairs({k: v for k, v in data.items() if not k.startswith(_IVR_OWN)}),
        # A follow-up call is in the IVR from the customer's answer.
        "ivr_seconds": _seconds(
            row.arrived_at if followup is None else answered, row.queued_at or ended
        ),
        "queue": row.queue,
        "queued_at": row.queued_at,
        "wait_seconds": _seconds(row.queued_at, answered or (ended if row.queued_at else None)),
        "agent": row.agent,
        "offered_at": row.offered_at,
        "ring_seconds": _seconds(row.offered_at, answered),
        "answered_at": answered,
        "ended_at": ended,
        "talk_seconds": _seconds(answered, ended),
        "wrap_up_seconds": None if wrap_up is None else round(wrap_up, 1),
        "outcome": row.outcome,
        "disposition": row.disposition,
        "has_notes": bool(row.notes),
        "survey_scores": _pairs(row.survey_scores or {}),
        "voicemail_file": data.get("voicemail.file"),
        "voicemail_seconds": _int_or_none(voicemail_seconds),
        "transfer_target": data.get("transfer.target"),
    }


def _int_or_none(value: Any) -> int | None:
    text = str(value) if value is not None else ""
    return int(text) if text.isascii() and text.isdigit() else None


async def _attempts(
    session: AsyncSession, start: datetime, end: datetime, where: _QueueScope
) -> list[dict[str, Any]]:
    """The callback attempts made in [start, end), each with its number among its
    request's attempts (1 for the first)."""
    earlier = aliased(CallbackAttemptRow)
    number = (
        select(func.count(earlier.id))
        .where(
            earlier.callback_id == CallbackAttemptRow.callback_id,
            or_(
                earlier.at < CallbackAttemptRow.at,
                and_(earlier.at == CallbackAttemptRow.at, earlier.id <= CallbackAttemptRow.id),
            ),
        )
        .scalar_subquery()
    )
    query = (
        select(CallbackAttemptRow, CallbackRequest, Customer.name, Customer.account, number)
        .join(CallbackRequest, CallbackRequest.id == CallbackAttemptRow.callback_id)
        .outerjoin(Customer, Customer.id == CallbackRequest.customer_id)
        .where(
            CallbackAttemptRow.at >= start,
            CallbackAttemptRow.at < end,
            *where.on(CallbackRequest.queue),
        )
        .order_by(CallbackAttemptRow.at, CallbackAttemptRow.id)
    )
    found = []
    rows = (await session.execute(query)).all()
    wanted = [attempt_uniqueid(request.id, int(n)) for _, request, _, _, n in rows]
    contacts = {
        row.uniqueid: row
        for row in await session.execute(
            select(Row.uniqueid, Row.ended_at, Row.disposition, Row.notes).where(
                Row.uniqueid.in_(wanted)
            )
        )
    }
    for attempt, request, name, account, n in rows:
        contact = contacts.get(attempt_uniqueid(request.id, int(n)))
        record: dict[str, Any] = dict.fromkeys(COLUMNS)
        record.update(
            record_type="callback_attempt",
            call_id=f"cb-{request.id}",
            callback_id=request.id,
            attempt=int(n),
            arrived_at=attempt.at,
            caller_number=request.number,
            customer_id=request.customer_id,
            customer_name=name,
            customer_account=account,
            ivr_path="",
            ivr_answers="",
            queue=request.queue,
            agent=attempt.agent,
            answered_at=attempt.at,
            ended_at=contact.ended_at if contact is not None else None,
            talk_seconds=_seconds(attempt.at, contact.ended_at) if contact is not None else None,
            outcome=attempt.result,
            disposition=contact.disposition if contact is not None else None,
            has_notes=bool(contact.notes) if contact is not None else False,
            ticket_ids="",
            survey_scores="",
        )
        found.append(record)
    return found


async def _wrap_ups(session: AsyncSession, start: datetime, end: datetime) -> dict[str, float]:
    """Call id -> wrap-up seconds of the calls completed in [start, end): each `handled`
    record belongs to the call its agent completed last (the reports read it the same way)."""
    query = (
        select(CallEventRow.kind, CallEventRow.call_id, CallEventRow.agent, CallEventRow.data)
        .where(
            CallEventRow.kind.in_(("complete", "handled")),
            CallEventRow.at >= start,
            CallEventRow.at < end,
        )
        .order_by(CallEventRow.id)
    )
    completed: dict[str, str] = {}
    wrap_ups: dict[str, float] = {}
    for kind, call_id, agent, data in (await session.execute(query)).all():
        if agent is None:
            continue
        if kind == "complete" and call_id is not None:
            completed[agent] = call_id
        elif kind == "handled" and agent in completed:
            seconds = (data or {}).get("wrap_up")
            if isinstance(seconds, int | float):
                wrap_ups[completed.pop(agent)] = float(seconds)
    return wrap_ups
