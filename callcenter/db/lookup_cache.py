"""A short-lived memo of customer lookups: one call asks for its caller several times.

Strategy: the IVR identifies the caller as the call arrives; as the IVR ends, the call
is linked to them when it is queued and the screen pop is gathered: three lookups of the
same number, each a database round trip on the call path. The repository remembers each
answer, found or not, for `ttl_s` seconds (bounded in size, oldest first out) and forgets
everything at once when it changes a customer itself, so an edit on the agent desktop is
seen by the very next call. A change made by another process (a `callcenter customers
import` running beside the service) is seen at most `ttl_s` seconds late.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LookupCache(Generic[V]):
    """Answers by key for `ttl_s` seconds; `ttl_s` 0 remembers nothing."""

    def __init__(
        self,
        ttl_s: float,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Keep at most `max_entries` answers, each for `ttl_s` seconds of `clock`."""
        self._ttl = ttl_s
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.generation = 0
        """Bumped by `clear`: an answer read before a change must not be remembered."""

    def get(self, key: Hashable) -> tuple[bool, V | None]:
        """(True, answer) when `key` was answered less than `ttl_s` ago, else (False, None)."""
        entry = self._entries.get(key)
        if entry is not None:
            expires, value = entry
            if self._clock() < expires:
                self.hits += 1
                return True, value
            del self._entries[key]
        self.misses += 1
        return False, None

    def put(self, key: Hashable, value: V, generation: int) -> None:
        """Remember `value` as the answer for `key`, read when `generation` was current;
        an answer read before the last `clear` is dropped (it may predate a change)."""
        if self._ttl <= 0 or generation != self.generation:
            return
        self._entries[key] = (self._clock() + self._ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every answer (something they were read from changed)."""
        self._entries.clear()
        self.generation += 1

    def __len__(self) -> int:
        return len(self._entries)
