"""Screen pops for live calls, gathered once per call and kept for the desktop to re-read.

Strategy: the pop of a call is built by `cti.PopBuilder` from the call's context in the
`CallRegistry` the first time anyone asks (normally the agent feed, as the phone starts
ringing) and cached, so a second agent offered the same call, a desktop that reconnects
and `GET /api/pops/{call_id}` all see the same pop without another trip to the database.
Concurrent first asks share one build.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from callcenter.live.calls import CallRegistry
from callcenter.live.views import JSON
from cti import PopBuilder


class PopService:
    """Builds and caches screen pops by call id."""

    def __init__(
        self,
        builder: PopBuilder,
        calls: CallRegistry,
        *,
        keep: int = 5_000,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Keep the last `keep` pops; `wall_clock` decides which tickets are overdue."""
        self._builder = builder
        self._calls = calls
        self._keep = keep
        self._clock = wall_clock
        self._cache: OrderedDict[str, asyncio.Future[JSON | None]] = OrderedDict()

    async def pop_for(self, call_id: str) -> JSON | None:
        """The pop of `call_id`, or None when the call is unknown."""
        cached = self._cache.get(call_id)
        if cached is not None:
            return await asyncio.shield(cached)
        info = self._calls.get(call_id)
        if info is None:
            return None
        future: asyncio.Future[JSON | None] = asyncio.get_running_loop().create_future()
        self._cache[call_id] = future
        while len(self._cache) > self._keep:
            self._cache.popitem(last=False)
        try:
            pop = (await self._builder.build(info.context(), now=self._clock())).as_dict()
        except BaseException as exc:
            # A failed build is not cached: the next ask tries again.
            self._cache.pop(call_id, None)
            future.set_exception(exc)
            future.exception()  # retrieved here, so a build nobody else awaits logs nothing
            raise
        pop["call_id"] = call_id
        future.set_result(pop)
        return pop
