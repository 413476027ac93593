"""Callback requests: a caller who would rather be called back than wait.

Strategy: a request holds the number, the window the caller accepted and a count of
attempts. The dialler takes the due ones (window open, still pending), and reports each
attempt: reached ends the request, a miss counts against `max_attempts`, after which the
request fails and shows up in the supervisor's reports rather than being retried forever.
Every read carries the customer's name (an outer join), for the supervisor's list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.models import CallbackRequest, Customer


class CallbackStatus(StrEnum):
    """Where a callback request stands."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Callback:
    """A callback request as the dialler sees it; `customer_name` when the caller is known."""

    id: int
    number: str
    queue: str | None
    customer_id: int | None
    window_start: datetime
    window_end: datetime
    attempts: int
    status: CallbackStatus
    customer_name: str | None = None


def _with_names() -> Select[CallbackRequest, str | None]:
    return select(CallbackRequest, Customer.name).outerjoin(
        Customer, Customer.id == CallbackRequest.customer_id
    )


async def _name_of(session: AsyncSession, customer_id: int | None) -> str | None:
    if customer_id is None:
        return None
    return await session.scalar(select(Customer.name).where(Customer.id == customer_id))


def _callback(row: CallbackRequest, customer_name: str | None) -> Callback:
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
    )


class CallbackRepository:
    """Stores callback requests and the outcome of each attempt."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, max_attempts: int = 3):
        """A request fails after `max_attempts` unanswered attempts."""
        self._sessions = sessions
        self._max_attempts = max_attempts

    async def request(
        self,
        *,
        number: str,
        window_start: datetime,
        window_end: datetime,
        now: datetime,
        queue: str | None = None,
        customer_id: int | None = None,
    ) -> Callback:
        """Record a request to call `number` back between the two times."""
        if window_end <= window_start:
            raise ValueError("a callback window must end after it starts")
        async with self._sessions() as session, session.begin():
            row = CallbackRequest(
                number=number,
                queue=queue,
                customer_id=customer_id,
                window_start=window_start,
                window_end=window_end,
                attempts=0,
                status=CallbackStatus.PENDING.value,
                created_at=now,
            )
            session.add(row)
            await session.flush()
            return _callback(row, await _name_of(session, customer_id))

    async def due(self, now: datetime, *, limit: int = 50) -> list[Callback]:
        """Pending requests whose window is open at `now`, the earliest window first."""
        async with self._sessions() as session:
            rows = await session.execute(
                _with_names()
                .where(
                    CallbackRequest.status == CallbackStatus.PENDING.value,
                    CallbackRequest.window_start <= now,
                    CallbackRequest.window_end > now,
                )
                .order_by(CallbackRequest.window_start)
                .limit(limit)
            )
            return [_callback(row, name) for row, name in rows]

    async def record_attempt(self, callback_id: int, *, reached: bool, now: datetime) -> Callback:
        """Count an attempt; done when reached, failed after the last unanswered one."""
        async with self._sessions() as session, session.begin():
            row = await session.get(CallbackRequest, callback_id, with_for_update=True)
            if row is None:
                raise LookupError(f"no callback request {callback_id}")
            if row.status != CallbackStatus.PENDING.value:
                raise ValueError(f"callback request {callback_id} is {row.status}, not pending")
            row.attempts += 1
            row.last_attempt_at = now
            if reached:
                row.status = CallbackStatus.DONE.value
            elif row.attempts >= self._max_attempts:
                row.status = CallbackStatus.FAILED.value
            return _callback(row, await _name_of(session, row.customer_id))

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
            rows = await session.execute(query.limit(max(limit, 0)))
            return [_callback(row, name) for row, name in rows]
