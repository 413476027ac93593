"""Bounded event subscriptions with an explicit policy for consumers that fall behind.

Strategy: each consumer of a client's events gets its own bounded queue. Two policies:

- `BLOCK`: when the queue is full the client stops reading the socket until the consumer
  catches up. TCP then pushes back on Asterisk. Right for the call-control consumer, which
  must see every event in order. But never for ever: a consumer that takes nothing for the
  client's `stall_timeout` is stalled (dead, or stuck), and the client must go on reading
  (Asterisk's answers, the Pong, the other consumers' events come on the same socket).
  A stalled subscription drops like `DROP` until its consumer has taken half of the
  queue, and the consumer is told with `EventsLost` (it resyncs).
- `DROP`: newer events are dropped while the queue is full, counted, and the consumer is
  told with one `EventsLost(count)` item before the next event it does get, so it knows to
  resync. The marker takes a queue slot like an event. Right for wallboards and monitors
  that must never slow calls down.

Connection changes (`ConnectionChanged`) bypass the name filter: every consumer must know
when the stream broke, since events are lost across a reconnect whatever the policy.
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from callcenter.ami.messages import Event


class OverflowPolicy(enum.Enum):
    """What a subscription does when its consumer falls behind."""

    BLOCK = "block"
    DROP = "drop"


@dataclass(frozen=True, slots=True)
class EventsLost:
    """`count` events were dropped for this consumer because its queue was full."""

    count: int


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    """The client's connection to `server` changed `state`.

    States: `connected` (logged in, resync hooks done), `disconnected` (events may have been
    missed; a reconnect follows), `failed` (login refused: no retry), `closed` (shut down).
    Order: events of a new connection that arrive while its resync hooks run are delivered
    as they come, so they precede its `connected`; a consumer that applies a resync
    snapshot must not let it overwrite those newer events.
    """

    server: str
    state: str
    reason: str = ""


SubscriptionItem = Event | EventsLost | ConnectionChanged


class EventSubscription:
    """An async iterator over the events of one client, filtered by event name.

    The client hands over each read's events as one batch (`deliver`), so the cost per
    event is a deque append; the consumer takes them one at a time (`async for`) or all
    that are ready at once (`next_batch`).
    """

    def __init__(
        self,
        names: frozenset[str] | None,
        maxsize: int,
        policy: OverflowPolicy,
        name: str = "",
    ) -> None:
        if maxsize < 2:
            raise ValueError("a subscription queue needs room for at least 2 items")
        self.names = names
        self.maxsize = maxsize
        self.policy = policy
        self.name = name
        """Who consumes it, for the logs (`ami-facts`)."""
        self.stalled = False
        """A BLOCK subscription whose consumer took nothing in time: it drops for now."""
        self.dropped = 0
        """Events dropped for this consumer so far (a health figure)."""
        self._items: deque[SubscriptionItem] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._room: asyncio.Future[None] | None = None
        self._lost = 0
        self.closed = False

    @property
    def lost(self) -> int:
        """Events dropped and not yet reported (DROP policy only)."""
        return self._lost

    def __len__(self) -> int:
        return len(self._items)

    @property
    def full(self) -> bool:
        """True when a BLOCK subscription wants the client to stop reading."""
        return (
            self.policy is OverflowPolicy.BLOCK
            and not self.stalled
            and len(self._items) >= self.maxsize
        )

    def deliver(self, events: list[Event]) -> None:
        """Queue the events of one read that pass the name filter.

        BLOCK may go past `maxsize` by at most one read's worth; the client then waits in
        `wait_for_room` before reading again, which bounds the queue.
        """
        if self.closed:
            return
        names = self.names
        batch = events if names is None else [e for e in events if e.name in names]
        if not batch:
            return
        items = self._items
        if self.policy is OverflowPolicy.DROP or self.stalled:
            room = self.maxsize - len(items)
            if self._lost:
                # An earlier gap is marked, once, right before the next event delivered:
                # the marker goes in only when an event can follow it.
                if room < 2:
                    self._lost += len(batch)
                    self.dropped += len(batch)
                    return
                items.append(EventsLost(self._lost))
                self._lost = 0
                room -= 1
            if room < len(batch):
                self._lost += len(batch) - room
                self.dropped += len(batch) - room
                batch = batch[:room]
        elif self._lost:
            # Caught up after a stall: the gap is told before the next event.
            items.append(EventsLost(self._lost))
            self._lost = 0
        items.extend(batch)
        self._wake()

    def notify(self, item: ConnectionChanged) -> None:
        """Queue a connection change; these are rare and always delivered."""
        if self.closed:
            return
        self._items.append(item)
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait_for_room(self, timeout: float | None = None) -> bool:
        """Wait until the consumer has taken half of a full queue (or closed it).

        False when `timeout` seconds passed first: the subscription is then stalled and
        drops what comes (counted, told with `EventsLost`) until the consumer has taken
        half of the queue, so the caller can go on reading.
        """
        try:
            async with asyncio.timeout(timeout):
                while self.full and not self.closed:
                    self._room = asyncio.get_running_loop().create_future()
                    await self._room
        except TimeoutError:
            self.stalled = True
            return False
        return True

    def close(self) -> None:
        """End the iteration; the consumer sees StopAsyncIteration after what is queued."""
        self.closed = True
        self._wake()
        if self._room is not None and not self._room.done():
            self._room.set_result(None)

    async def _wait(self) -> None:
        while not self._items:
            if self.closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter

    def _taken(self) -> None:
        if len(self._items) > self.maxsize // 2:
            return
        self.stalled = False
        room = self._room
        if room is not None and not room.done():
            room.set_result(None)

    async def get(self) -> SubscriptionItem:
        """The next item; raises StopAsyncIteration once closed and drained."""
        if not self._items:
            await self._wait()
        item = self._items.popleft()
        if self._room is not None or self.stalled:
            self._taken()
        return item

    async def next_batch(self) -> list[SubscriptionItem]:
        """Every item that is ready (at least one); StopAsyncIteration once closed."""
        if not self._items:
            await self._wait()
        batch = list(self._items)
        self._items.clear()
        if self._room is not None or self.stalled:
            self._taken()
        return batch

    def __aiter__(self) -> AsyncIterator[SubscriptionItem]:
        return self

    __anext__ = get
