"""Callback requests: a caller who would rather be called back than wait.

Strategy: a request holds the number, the window the caller accepted and a count of
attempts. The dialler takes the due ones (window open, still pending), and reports each
attempt: reached ends the request, a miss counts against `max_attempts`, after which the
request fails and shows up in the supervisor's reports rather than being retried forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.models import CallbackRequest


class CallbackStatus(StrEnum):
    """Where a callback request stands."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Callback:
    """A callback request as the dialler sees it."""

    id: int
    number: str
    queue: str | None
    customer_id: int | None
    window_start: datetime
    window_end: datetime
    attempts: int
    status: CallbackStatus


def _callback(row: CallbackRequest) -> Callback:
    return Callback(
        id=row.id,
        number=row.number,
        queue=row.queue,
        customer_id=row.customer_id,
        window_start=row.window_start,
        window_end=row.window_end,
        attempts=row.attempts,
        status=CallbackStatus(row.status),
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
            return _callback(row)

    async def due(self, now: datetime, *, limit: int = 50) -> list[Callback]:
        """Pending requests whose window is open at `now`, the earliest window first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(CallbackRequest)
                .where(
                    CallbackRequest.status == CallbackStatus.PENDING.value,
                    CallbackRequest.window_start <= now,
                    CallbackRequest.window_end > now,
                )
                .order_by(CallbackRequest.window_start)
                .limit(limit)
            )
            return [_callback(row) for row in rows]

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
            return _callback(row)
