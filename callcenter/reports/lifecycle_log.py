"""Reading the lifecycle entries of the call event log for the callbacks, voicemail and
tickets reports.

Strategy: those reports read only their own kinds (`callcenter.db.lifecycle`) between two
times, in log order and in pages, through the log's (kind, at) index: a year of calls does
not have to be read to count a year of callbacks. The helpers read an entry's data as the
repositories wrote it (ids as numbers, times as ISO text); `EntityFold` is the fold the
callbacks and voicemail reports share (one thing per id, begun in the period, changed by
its later entries).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Collection, Iterable
from datetime import UTC, datetime
from typing import ClassVar, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.events import CallEvent
from callcenter.db.models import CallEventRow

ItemT = TypeVar("ItemT")
RowT = TypeVar("RowT")


class EntityFold(ABC, Generic[ItemT, RowT]):
    """Folds the entries of one kind of thing (callback requests, voicemail messages), in
    log order, into the rows of those that began in [since, until) in the queues counted,
    as they stand once the entries up to `now` are in.

    A subclass names the thing's id in the entries' data (`ENTITY`) and the kind of entry
    that begins one (`BEGUN`), and says what it is at its start (`begin`), how a later
    entry changes it (`change`) and what the rows are (`rows`)."""

    ENTITY: ClassVar[str]
    BEGUN: ClassVar[str]

    def __init__(
        self,
        since: datetime,
        until: datetime,
        now: datetime,
        queues: Collection[str] | None = None,
    ) -> None:
        """The period, the present (entries after it are left out) and the queues to count
        (all when None)."""
        self.since, self.until, self.now = since, until, now
        self._queues = None if queues is None else frozenset(queues)
        self.items: dict[int, ItemT] = {}
        """What began in the period, by id, as it stands so far."""

    def feed(self, event: CallEvent) -> None:
        """Take the next entry of the log (others than this thing's are ignored)."""
        if event.at > self.now:
            return
        key = entity(event, self.ENTITY)
        if key is None:
            return
        if event.kind == self.BEGUN:
            queue = event.queue or ""
            in_scope = self._queues is None or queue in self._queues
            if in_scope and self.since <= event.at < self.until:
                self.items[key] = self.begin(queue, event)
            return
        item = self.items.get(key)
        if item is not None:  # else begun outside the period (or another queue's)
            self.change(item, event)

    @abstractmethod
    def begin(self, queue: str, event: CallEvent) -> ItemT:
        """The thing `event` begins, in `queue` ("" for none)."""

    @abstractmethod
    def change(self, item: ItemT, event: CallEvent) -> None:
        """Apply a later entry of `item`'s."""

    @abstractmethod
    def rows(self) -> list[RowT]:
        """The report's rows of what was fed."""


def fold_rows(fold: EntityFold[ItemT, RowT], events: Iterable[CallEvent]) -> list[RowT]:
    """Feed `fold` every entry of `events` (in log order); its rows."""
    for event in events:
        fold.feed(event)
    return fold.rows()


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
