"""Reading the lifecycle entries of the call event log for the callbacks, voicemail and
tickets reports.

Strategy: those reports read only their own kinds (`callcenter.db.lifecycle`) between two
times, in log order and in pages, through the log's (kind, at) index: a year of calls does
not have to be read to count a year of callbacks. The helpers read an entry's data as the
repositories wrote it (ids as numbers, times as ISO text).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.events import CallEvent
from callcenter.db.models import CallEventRow


def entity(event: CallEvent, name: str) -> int | None:
    """The id `event` names under `name` (callback, voicemail, ticket), None without one."""
    value = event.data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def data_time(event: CallEvent, name: str) -> datetime | None:
    """The time `event` carries under `name` (aware; a naive one is UTC), None without one."""
    value = event.data.get(name)
    if not isinstance(value, str):
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


async def lifecycle_events(
    sessions: async_sessionmaker[AsyncSession],
    kinds: Collection[str],
    since: datetime,
    until: datetime,
    *,
    page_size: int = 5_000,
) -> AsyncIterator[CallEvent]:
    """The entries of `kinds` at [since, until), in log order, read `page_size` at a time."""
    query = select(CallEventRow).where(
        CallEventRow.kind.in_(sorted(kinds)), CallEventRow.at >= since, CallEventRow.at < until
    )
    after_id = 0
    while True:
        async with sessions() as session:
            rows = list(
                await session.scalars(
                    query.where(CallEventRow.id > after_id)
                    .order_by(CallEventRow.id)
                    .limit(page_size)
                )
            )
        for row in rows:
            yield CallEvent(
                at=row.at,
                kind=row.kind,
                call_id=row.call_id,
                queue=row.queue,
                agent=row.agent,
                data=dict(row.data),
                id=row.id,
            )
        if len(rows) < page_size:
            return
        after_id = rows[-1].id
