"""The call event log: append-only, queue_log-like, the one source of live and history.

Strategy: every fact the ACD records (`acd.Record`: enqueue, offer, connect, abandon,
complete, pause, login ...) becomes one row; nothing ever changes or deletes a row (the
repository has no such method, and database triggers refuse it, see the first migration).
Reading in id order replays the day: live state after a restart and historical reports
both come from this log, so their numbers agree. The ACD's clock is relative seconds; the
shell passes the wall-clock time of each record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from acd.commands import Record
from callcenter.db.models import CallEventRow


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One entry of the event log; `id` is set once stored (it orders the replay)."""

    at: datetime
    kind: str
    call_id: str | None = None
    queue: str | None = None
    agent: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


def event_from_record(record: Record, at: datetime) -> CallEvent:
    """The log entry for an ACD `Record` that happened at wall-clock time `at`."""
    data: dict[str, Any] = {
        name: value
        for name, value in (
            ("wait", record.wait),
            ("talk", record.talk),
            ("wrap_up", record.wrap_up),
            ("reason", None if record.reason is None else str(record.reason)),
            ("detail", record.detail),
            ("outcome", None if record.outcome is None else str(record.outcome)),
            ("explanation", None if record.explanation is None else str(record.explanation)),
            ("call_kind", None if record.call_kind is None else str(record.call_kind)),
            ("priority", record.priority),
            ("skills", None if record.skills is None else dict(record.skills)),
            ("server", record.server),
            ("default_server", record.default_server),
        )
        if value is not None
    }
    return CallEvent(
        at=at,
        kind=str(record.kind),
        call_id=record.call_id,
        queue=record.queue,
        agent=record.agent_id,
        data=data,
    )


_EVENTS = cast(Table, CallEventRow.__table__)


class TermHolder(Protocol):
    """Whatever says which leader's term this process writes in (callcenter.cluster.fence)."""

    @property
    def term(self) -> int | None:
        """The term; None for a single node (no cluster)."""


def _values(event: CallEvent, term: int | None) -> dict[str, Any]:
    return {
        "term": term,
        "at": event.at,
        "kind": event.kind,
        "call_id": event.call_id,
        "queue": event.queue,
        "agent": event.agent,
        "data": event.data,
    }


@dataclass(frozen=True, slots=True)
class AppendEvents:
    """A writer operation: append events to the log inside the writer's transaction."""

    events: tuple[CallEvent, ...]

    def merge_key(self) -> str:
        """Every append of a batch goes into one multi-row insert (order kept)."""
        return "call_events"

    def merged(self, later: AppendEvents) -> AppendEvents:
        """This append followed by `later`'s."""
        return AppendEvents(self.events + later.events)

    async def apply(self, session: AsyncSession) -> None:
        """One multi-row insert for the whole group."""
        if self.events:
            # A Core insert on the table: one executemany. The ORM's bulk insert of the same
            # rows runs a statement per row on SQLite, each a round trip to the driver's
            # thread: 100 events took seconds while the event loop was busy.
            # Several nodes: every entry carries the writer's term, and PostgreSQL refuses
            # those of a term that is over (migration 0012). `make_sessions(fence=...)`.
            fence: TermHolder | None = session.info.get("fence")
            term = None if fence is None else fence.term
            await session.execute(insert(_EVENTS), [_values(e, term) for e in self.events])


class EventLog:
    """Appends to and reads the call event log; there is no update and no delete."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Reads and direct appends use `sessions`; the service appends via the writer."""
        self._sessions = sessions

    async def append(self, events: Iterable[CallEvent]) -> None:
        """Append events now, in one transaction."""
        async with self._sessions() as session, session.begin():
            await AppendEvents(tuple(events)).apply(session)

    async def read(
        self,
        *,
        after_id: int = 0,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 10_000,
    ) -> list[CallEvent]:
        """Events after `after_id` (and in [since, until) when given), in log order."""
        query = select(CallEventRow).where(CallEventRow.id > after_id)
        if since is not None:
            query = query.where(CallEventRow.at >= since)
        if until is not None:
            query = query.where(CallEventRow.at < until)
        async with self._sessions() as session:
            rows = await session.scalars(query.order_by(CallEventRow.id).limit(limit))
            return [
                CallEvent(
                    at=r.at,
                    kind=r.kind,
                    call_id=r.call_id,
                    queue=r.queue,
                    agent=r.agent,
                    data=dict(r.data),
                    id=r.id,
                )
                for r in rows
            ]
