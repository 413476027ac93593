"""Callback requests: a caller who would rather be called back than wait.

Strategy: a request holds the number, the window the caller accepted, a count of attempts
and the history of each (when, which agent, what came of it). The dialler takes the due
ones (window open, still pending), and reports each attempt: reached ends the request, a
miss counts against `max_attempts`, after which the request fails and shows up in the
supervisor's reports rather than being retried forever. Every read carries the
customer's name (an outer join) and the attempts, for the supervisor's list.

Each attempt is also an interaction of its own (`attempt_uniqueid`: `cb-<request>-<n>`,
the n-th attempt), so the agent's notes and disposition belong to that attempt and the
customer's history and the call records list it as a contact: `start_attempt` opens it
as the agent answers (the desk may save notes while the call goes on), `record_attempt`
closes it with the attempt's result as its outcome, in the same transaction as the count.

The window's end is kept: a request still pending when its window is over is not dialled
after it (`expire_missed`: failed, `FailReason.WINDOW_MISSED`), unless its queue was closed
by its opening hours then: the schedule moves it to the opening (`move_window`).

The number is dialled (an Originate into the callback context): every request, from the IVR,
a queue's overflow or anywhere else, is stored in E.164 or refused here, whatever its
caller checked before, so a caller ID like `123,U(x)` or `123&PJSIP/999` never becomes a
dial string.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.lifecycle import LifecycleKind, log_change
from callcenter.db.models import CallbackAttemptRow, CallbackRequest, Customer, Interaction
from callcenter.db.numbered_contacts import (
    end_contact,
    numbered_interaction,
    numbered_uniqueid,
    parse_numbered_uniqueid,
)
from callcenter.db.phones import InvalidPhoneNumber, to_e164


class CallbackStatus(StrEnum):
    """Where a callback request stands."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    """Called off by an agent or a supervisor (the customer asked, or reached otherwise)."""


class AttemptResult(StrEnum):
    """What one attempt at calling the customer back came to."""

    REACHED = "reached"
    """The customer answered: agent and customer were bridged."""
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    REJECTED = "rejected"
    """The customer's side declined the call."""
    FAILED = "failed"
    """The network could not put the call through (unknown number, trunk down ...)."""
    NOT_DIALLED = "not-dialled"
    """The agent answered but the customer's number was never dialled."""
    NOT_REACHED = "not-reached"
    """Not reached, nothing more known."""


class FailReason(StrEnum):
    """Why a request failed without reaching the customer."""

    ATTEMPTS_USED_UP = "attempts used up"
    """Its queue's retry policy allows no more attempts."""
    WINDOW_MISSED = "window missed"
    """Its window ended before anyone reached the customer."""


ATTEMPT_PREFIX = "cb-"


def attempt_uniqueid(callback_id: int, attempt: int) -> str:
    """The interaction of a request's `attempt`-th attempt (1 for the first): `cb-12-2`."""
    return numbered_uniqueid(ATTEMPT_PREFIX, callback_id, attempt)


def parse_attempt_uniqueid(uniqueid: str) -> tuple[int, int] | None:
    """(request id, attempt number) of an attempt's interaction, None for any other."""
    return parse_numbered_uniqueid(ATTEMPT_PREFIX, uniqueid)


@dataclass(frozen=True, slots=True)
class CallbackAttempt:
    """One try at calling the customer back."""

    at: datetime
    agent: str | None
    result: str


@dataclass(frozen=True, slots=True)
class Callback:
    """A callback request as the dialler sees it; `customer_name` when the caller is known,
    `history` its attempts, oldest first."""

    id: int
    number: str
    queue: str | None
    customer_id: int | None
    window_start: datetime
    window_end: datetime
    attempts: int
    status: CallbackStatus
    customer_name: str | None = None
    last_attempt_at: datetime | None = None
    history: tuple[CallbackAttempt, ...] = ()
    name: str | None = None
    """The name the customer gave (the web form)."""
    channel: str = "ivr"
    scheduled: bool = False
    """Waiting for its window (the schedule puts it in line at its start)."""
    created_at: datetime | None = None
    """When the customer asked."""
    reason: str | None = None
    """Why a failed request failed (`FailReason`)."""


def _with_names() -> Select[CallbackRequest, str | None]:
    return select(CallbackRequest, Customer.name).outerjoin(
        Customer, Customer.id == CallbackRequest.customer_id
    )


async def _name_of(session: AsyncSession, customer_id: int | None) -> str | None:
    if customer_id is None:
        return None
    return await session.scalar(select(Customer.name).where(Customer.id == customer_id))


def _callback(
    row: CallbackRequest, customer_name: str | None, history: Iterable[CallbackAttempt] = ()
) -> Callback:
    return Callback(
        id=row.id,
        number=row.number,
        queue=row.queue,
        customer_id=row.customer_id,
        window_start=row.window_start,
        window_end=row.window_end,
        attempts=row.attempts,
        status=CallbackStatus(row.status),
        customer_name=customer_name,
        last_attempt_at=row.last_attempt_at,
        history=tuple(history),
        name=row.name,
        channel=row.channel or "ivr",
        scheduled=bool(row.scheduled),
        created_at=row.created_at,
        reason=row.reason,
    )


async def _histories(session: AsyncSession, ids: list[int]) -> dict[int, list[CallbackAttempt]]:
    """The attempts of the requests `ids`, oldest first (one query)."""
    found: dict[int, list[CallbackAttempt]] = {}
    if not ids:
        return found
    rows = await session.scalars(
        select(CallbackAttemptRow)
        .where(CallbackAttemptRow.callback_id.in_(ids))
        .order_by(CallbackAttemptRow.at, CallbackAttemptRow.id)
    )
    for row in rows:
        found.setdefault(row.callback_id, []).append(CallbackAttempt(row.at, row.agent, row.result))
    return found


async def _attempt_interaction(
    session: AsyncSession,
    request: CallbackRequest,
    attempt: int,
    *,
    agent: str | None,
    at: datetime,
) -> Interaction:
    """The interaction of `request`'s `attempt`-th attempt, made when missing (in progress:
    no outcome yet), inside the session's transaction."""
    return await numbered_interaction(
        session,
        attempt_uniqueid(request.id, attempt),
        at=at,
        number=request.number,
        customer_id=request.customer_id,
        queue=request.queue,
        agent=agent,
        data={"callback.id": str(request.id), "callback.attempt": str(attempt)},
    )


async def _read_back(session: AsyncSession, row: CallbackRequest) -> Callback:
    """`row` as the transaction changed it, with the customer's name and its attempts."""
    await session.flush()
    history = (await _histories(session, [row.id])).get(row.id, ())
    return _callback(row, await _name_of(session, row.customer_id), history)


def _check_window(window_start: datetime, window_end: datetime) -> None:
    if window_end <= window_start:
        raise ValueError("a callback window must end after it starts")


def _move(
    session: AsyncSession,
    row: CallbackRequest,
    window_start: datetime,
    window_end: datetime,
    at: datetime,
) -> None:
    """Give `row` the window [window_start, window_end), in the event log at `at`."""
    row.window_start, row.window_end = window_start, window_end
    log_change(
        session,
        LifecycleKind.CALLBACK_MOVED,
        at,
        row.queue,
        callback=row.id,
        window_start=window_start,
        window_end=window_end,
    )


async def _callbacks(
    session: AsyncSession, query: Select[CallbackRequest, str | None]
) -> list[Callback]:
    rows = (await session.execute(query)).all()
    histories = await _histories(session, [row.id for row, _ in rows])
    return [_callback(row, name, histories.get(row.id, ())) for row, name in rows]


_SETTLED = {
    CallbackStatus.DONE.value: LifecycleKind.CALLBACK_DONE,
    CallbackStatus.FAILED.value: LifecycleKind.CALLBACK_FAILED,
}


def _log_attempt(
    session: AsyncSession, row: CallbackRequest, at: datetime, agent: str | None, result: str
) -> None:
    """The attempt in the event log, and the request's end when it settled it."""
    log_change(
        session,
        LifecycleKind.CALLBACK_ATTEMPT,
        at,
        row.queue,
        callback=row.id,
        attempt=row.attempts,
        agent=agent,
        result=result,
    )
    settled = _SETTLED.get(row.status)
    if settled is not None:
        reason = {"reason": row.reason} if row.reason else {}
        log_change(
            session, settled, at, row.queue, callback=row.id, attempts=row.attempts, **reason
        )


class CallbackRepository:
    """Stores callback requests and the outcome of each attempt."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        max_attempts: int = 3,
        region: str = "DE",
    ):
        """A request fails after `max_attempts` unanswered attempts; numbers without a
        country code are read in `region` (settings `cti.default_region`)."""
        self._sessions = sessions
        self._max_attempts = max_attempts
        self._region = region

    async def request(
        self,
        *,
        number: str,
        window_start: datetime,
        window_end: datetime,
        now: datetime,
        queue: str | None = None,
        customer_id: int | None = None,
        name: str | None = None,
        channel: str = "ivr",
    ) -> Callback:
        """Record a request to call `number` back between the two times.

        `number` is stored in E.164; `InvalidPhoneNumber` (a ValueError) when it is not a
        valid phone number, its message saying why without repeating it. A window that
        starts after `now` is scheduled: `ScheduledCallbacks` puts it in line at its start.
        """
        _check_window(window_start, window_end)
        try:
            e164 = to_e164(number, self._region)
        except InvalidPhoneNumber as exc:
            raise InvalidPhoneNumber(f"callback number: {exc}") from None
        async with self._sessions() as session, session.begin():
            row = CallbackRequest(
                number=e164,
                queue=queue,
                customer_id=customer_id,
                window_start=window_start,
                window_end=window_end,
                attempts=0,
                status=CallbackStatus.PENDING.value,
                created_at=now,
                name=name,
                channel=channel,
                scheduled=window_start > now,
            )
            session.add(row)
            await session.flush()
            log_change(
                session,
                LifecycleKind.CALLBACK_REQUESTED,
                now,
                queue,
                callback=row.id,
                channel=channel,
                window_start=window_start,
                window_end=window_end,
                scheduled=row.scheduled,
            )
            return _callback(row, await _name_of(session, customer_id))

    async def get(self, callback_id: int) -> Callback | None:
        """One request with its attempts, None when there is no such request."""
        async with self._sessions() as session:
            found = await _callbacks(
                session, _with_names().where(CallbackRequest.id == callback_id)
            )
        return found[0] if found else None

    async def due(self, now: datetime, *, limit: int = 50) -> list[Callback]:
        """Pending requests whose window is open at `now`, the earliest window first."""
        async with self._sessions() as session:
            return await _callbacks(
                session,
                _with_names()
                .where(
                    CallbackRequest.status == CallbackStatus.PENDING.value,
                    CallbackRequest.window_start <= now,
                    CallbackRequest.window_end > now,
                )
                .order_by(CallbackRequest.window_start)
                .limit(limit),
            )

    async def pending_for(self, number: str) -> Callback | None:
        """The earliest pending request for `number` (E.164), None when it has none: a
        second request from the web for a number already waiting is answered with it."""
        async with self._sessions() as session:
            found = await _callbacks(
                session,
                _with_names()
                .where(
                    CallbackRequest.number == number,
                    CallbackRequest.status == CallbackStatus.PENDING.value,
                )
                .order_by(CallbackRequest.window_start, CallbackRequest.id)
                .limit(1),
            )
        return found[0] if found else None

    async def scheduled_due(self, now: datetime, *, limit: int = 100) -> list[Callback]:
        """Scheduled requests (made or moved to a later window) due at `now`: what
        `ScheduledCallbacks` puts in line (and then marks, `mark_queued`). A window already
        over is not (`expire_missed` fails it)."""
        async with self._sessions() as session:
            return await _callbacks(
                session,
                _with_names()
                .where(
                    CallbackRequest.status == CallbackStatus.PENDING.value,
                    CallbackRequest.scheduled.is_(True),
                    CallbackRequest.window_start <= now,
                    CallbackRequest.window_end > now,
                )
                .order_by(CallbackRequest.window_start, CallbackRequest.id)
                .limit(limit),
            )

    async def mark_queued(self, callback_id: int) -> None:
        """The schedule put the request in line: it is no longer waiting for its window
        (so a restart does not put it in line a second time)."""
        async with self._sessions() as session, session.begin():
            row = await session.get(CallbackRequest, callback_id)
            if row is not None:
                row.scheduled = False

    async def cancel(self, callback_id: int, *, now: datetime | None = None) -> Callback:
        """Call a pending request off (at `now`, default the present); `LookupError` when
        there is none, `ValueError` when it is no longer pending (done, failed or cancelled
        already)."""
        async with self._sessions() as session, session.begin():
            row = await self._pending(session, callback_id)
            row.status = CallbackStatus.CANCELLED.value
            row.scheduled = False
            at = now or datetime.now(UTC)
            log_change(session, LifecycleKind.CALLBACK_CANCELLED, at, row.queue, callback=row.id)
            return await _read_back(session, row)

    async def reschedule(
        self,
        callback_id: int,
        *,
        window_start: datetime,
        window_end: datetime,
        now: datetime | None = None,
    ) -> Callback:
        """Move a pending request to a new window (at `now`, default the present): it
        waits for it (scheduled) and is put in line at its start; errors as for `cancel`,
        and `ValueError` for an empty window."""
        _check_window(window_start, window_end)
        async with self._sessions() as session, session.begin():
            row = await self._pending(session, callback_id)
            _move(session, row, window_start, window_end, now or datetime.now(UTC))
            row.scheduled = True
            return await _read_back(session, row)

    @staticmethod
    async def _pending(session: AsyncSession, callback_id: int) -> CallbackRequest:
        row = await session.get(CallbackRequest, callback_id, with_for_update=True)
        if row is None:
            raise LookupError(f"no callback request {callback_id}")
        if row.status != CallbackStatus.PENDING.value:
            raise ValueError(f"callback request {callback_id} is {row.status}, not pending")
        return row

    async def record_attempt(
        self,
        callback_id: int,
        *,
        reached: bool,
        now: datetime,
        agent: str | None = None,
        result: str | None = None,
        max_attempts: int | None = None,
        ended_at: datetime | None = None,
        reached_at: datetime | None = None,
    ) -> Callback:
        """Count an attempt by `agent` with its `result` (default: reached or not-reached);
        done when reached, failed after the last unanswered one (`max_attempts`, the
        queue's retry policy; default: the repository's).

        `now` is when the agent answered (the attempt began). The attempt's interaction
        (`attempt_uniqueid`, opened by `start_attempt` or made here) gets the result as its
        outcome, `ended_at` (default `now`) and `reached_at`, when the customer answered;
        the notes and disposition the agent saved on it are kept."""
        async with self._sessions() as session, session.begin():
            row = await session.get(CallbackRequest, callback_id, with_for_update=True)
            if row is None:
                raise LookupError(f"no callback request {callback_id}")
            # An attempt under way as the window ended still counts (it was dialled in time).
            missed = row.reason == FailReason.WINDOW_MISSED.value
            if row.status != CallbackStatus.PENDING.value and not missed:
                raise ValueError(f"callback request {callback_id} is {row.status}, not pending")
            row.attempts += 1
            row.last_attempt_at = now
            row.scheduled = False  # it was in line: the schedule is done with it
            if reached:
                row.status = CallbackStatus.DONE.value
                row.reason = None
            elif missed:
                pass  # failed already, for its window
            elif row.attempts >= (max_attempts or self._max_attempts):
                row.status = CallbackStatus.FAILED.value
                row.reason = FailReason.ATTEMPTS_USED_UP.value
            default = AttemptResult.REACHED if reached else AttemptResult.NOT_REACHED
            outcome = str(result or default)
            session.add(CallbackAttemptRow(callback_id=row.id, at=now, agent=agent, result=outcome))
            _log_attempt(session, row, now, agent, outcome)
            contact = await _attempt_interaction(session, row, row.attempts, agent=agent, at=now)
            end_contact(
                contact, outcome, at=ended_at or now, answered_at=reached_at if reached else None
            )
            return await _read_back(session, row)

    async def start_attempt(self, callback_id: int, *, agent: str | None, at: datetime) -> str:
        """The agent answered a callback at `at`: open the interaction of the attempt that
        begins (the next one), in progress until `record_attempt` closes it; its uniqueid.
        `LookupError` when there is no such request, `ValueError` when it is not pending."""
        async with self._sessions() as session, session.begin():
            row = await self._pending(session, callback_id)
            contact = await _attempt_interaction(session, row, row.attempts + 1, agent=agent, at=at)
            return contact.uniqueid

    async def expire_missed(
        self, now: datetime, *, keep: Callable[[int], bool] = lambda _: False, limit: int = 500
    ) -> list[Callback]:
        """Fail every pending request whose window is over at `now` (`WINDOW_MISSED`),
        except those `keep` says (by id) to leave (being dialled now: their attempt
        decides); the failed ones.

        Why failed rather than moved on: the window is the customer's ("today 14:00-16:00",
        or the hours the center promised on the phone); a call after it reaches someone who
        no longer expects it, at a time they did not choose. A failed request is in the
        supervisor's list and the callbacks report with its reason, and an agent can call
        the customer from there. (A window that ends while its queue is closed is moved to
        the opening instead, by the schedule: `move_window`.)"""
        query = select(CallbackRequest).where(
            CallbackRequest.status == CallbackStatus.PENDING.value,
            CallbackRequest.window_end <= now,
        )
        async with self._sessions() as session, session.begin():
            over = await session.scalars(
                query.order_by(CallbackRequest.window_end).limit(limit).with_for_update()
            )
            rows = [row for row in over if not keep(row.id)]
            for row in rows:
                row.status = CallbackStatus.FAILED.value
                row.reason = FailReason.WINDOW_MISSED.value
                row.scheduled = False
                log_change(
                    session,
                    LifecycleKind.CALLBACK_FAILED,
                    now,
                    row.queue,
                    callback=row.id,
                    attempts=row.attempts,
                    reason=row.reason,
                )
            await session.flush()
            histories = await _histories(session, [row.id for row in rows])
            return [
                _callback(row, await _name_of(session, row.customer_id), histories.get(row.id, ()))
                for row in rows
            ]

    async def window_over(self, now: datetime, *, limit: int = 500) -> list[Callback]:
        """Pending requests whose window is over at `now`, the earliest end first."""
        async with self._sessions() as session:
            return await _callbacks(
                session,
                _with_names()
                .where(
                    CallbackRequest.status == CallbackStatus.PENDING.value,
                    CallbackRequest.window_end <= now,
                )
                .order_by(CallbackRequest.window_end, CallbackRequest.id)
                .limit(limit),
            )

    async def move_window(
        self, callback_id: int, *, window_start: datetime, window_end: datetime, now: datetime
    ) -> Callback:
        """Give a pending request a new window where it stands: unlike `reschedule`, one in
        line stays in line (parked by its closed queue, offered at the opening); errors as
        for `reschedule`."""
        _check_window(window_start, window_end)
        async with self._sessions() as session, session.begin():
            row = await self._pending(session, callback_id)
            _move(session, row, window_start, window_end, now)
            return await _read_back(session, row)

    async def next_window_end(self) -> datetime | None:
        """The earliest window end of a pending request, None when none is pending."""
        async with self._sessions() as session:
            end = await session.scalar(
                select(func.min(CallbackRequest.window_end)).where(
                    CallbackRequest.status == CallbackStatus.PENDING.value
                )
            )
        if isinstance(end, str):  # `min` loses the column type on SQLite
            end = datetime.fromisoformat(end)
        if isinstance(end, datetime) and end.tzinfo is None:
            end = end.replace(tzinfo=UTC)
        return end if isinstance(end, datetime) else None

    # Kept last: inside the class body, the name `list` hides the builtin below it.
    async def list(self, *, status: str | None = None, limit: int = 100) -> list[Callback]:
        """Callback requests by window start, the earliest first; at most `limit`.

        `status` narrows the list; an unknown one is a `ValueError` naming the known ones.
        """
        query = _with_names().order_by(CallbackRequest.window_start, CallbackRequest.id)
        if status is not None:
            try:
                query = query.where(CallbackRequest.status == CallbackStatus(status).value)
            except ValueError:
                known = ", ".join(s.value for s in CallbackStatus)
                raise ValueError(f"unknown callback status {status!r} (one of: {known})") from None
        async with self._sessions() as session:
            return await _callbacks(session, query.limit(max(limit, 0)))
