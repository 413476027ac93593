"""Bounded mailboxes for screens: a slow screen never holds the service back.

Strategy: every websocket has a `Mailbox` of encoded messages with a fixed capacity. The
feeds put without waiting; when a mailbox is full its screen has fallen behind, so its
backlog is thrown away and the mailbox is marked `lagged`: the screen's next message is a
fresh snapshot instead of a stream of stale changes (the same rule as a reconnect).
"""

from __future__ import annotations

import asyncio
from collections import deque


class Mailbox:
    """Messages waiting for one screen, oldest first."""

    __slots__ = ("_items", "_ready", "capacity", "closed", "dropped", "lagged")

    def __init__(self, capacity: int = 256) -> None:
        """Hold at most `capacity` messages before the screen counts as lagging."""
        self._items: deque[str] = deque()
        self._ready = asyncio.Event()
        self.capacity = capacity
        self.closed = False
        self.lagged = False
        self.dropped = 0
        """Messages thrown away because the screen lagged (a health figure)."""

    def put(self, message: str) -> None:
        """Queue a message; on overflow drop the backlog and mark the mailbox lagged."""
        if self.closed:
            return
        if len(self._items) >= self.capacity:
            self.dropped += len(self._items)
            self._items.clear()
            self.lagged = True
        self._items.append(message)
        self._ready.set()

    def replace_with(self, message: str) -> None:
        """Throw the backlog away and queue `message` alone (a fresh snapshot)."""
        self.dropped += len(self._items)
        self._items.clear()
        self.lagged = False
        self.put(message)

    async def get(self) -> str | None:
        """The next message, waiting for one; None once the mailbox is closed."""
        while not self._items:
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def close(self) -> None:
        """Wake the reader and make it stop."""
        self.closed = True
        self._ready.set()

    def __len__(self) -> int:
        return len(self._items)
