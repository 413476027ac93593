"""Screen pops for live calls, gathered once per call and kept for the desktop to re-read.

Strategy: the pop of a call is built by `cti.PopBuilder` from the call's context in the
`CallRegistry` the first time anyone asks (normally while the caller waits in the queue,
so that it is on the desktop as the phone rings) and cached, so a second agent offered the
same call, a desktop that reconnects and `GET /api/pops/{call_id}` all see the same pop
without another trip to the database. Concurrent first asks share one build.

A cached pop must not go stale while its caller waits: when something it shows changes
(`caller_changed`: another call of the same caller ended, or the agent saved its notes),
the pops of that caller are gathered again at the next ask, normally the offer. Even so the
database may lag the call path by a batch of the writer, so the history is laid over with
what the live center knows of each earlier call (`LiveInteractions`: its agent and outcome,
or that it is still in progress). The caller's answers go out labelled as the IVR flows
say (`cti.answers`).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from callcenter.live.calls import CallInfo, CallRegistry
from callcenter.live.views import JSON
from cti import PopBuilder
from cti.answers import pop_answers

IN_PROGRESS = "in_progress"
"""The outcome the history shows for an earlier call of the caller that is still going on."""

_CallerKey = tuple[str, object]


class LiveCall(Protocol):
    """What the live center knows of a call's record (`InteractionData` satisfies it)."""

    @property
    def queue(self) -> str | None:
        """The queue it was in last."""

    @property
    def agent(self) -> str | None:
        """The agent it was offered to or answered by."""

    @property
    def outcome(self) -> str | None:
        """How it ended (answered while the talk goes on); None while it is in progress."""


LiveInteractions = Callable[[str], LiveCall | None]
"""The live center's latest word on a recent call, by Uniqueid (None: not recent)."""


def caller_keys(caller_number: str | None, customer_id: int | None) -> list[_CallerKey]:
    """The keys a caller's pops are found by: their number and their customer record."""
    keys: list[_CallerKey] = []
    if caller_number:
        keys.append(("number", caller_number))
    if customer_id is not None:
        keys.append(("customer", customer_id))
    return keys


@dataclass(slots=True)
class _Entry:
    future: asyncio.Future[JSON | None]
    keys: list[_CallerKey]
    built: int
    """The change counter when the build began: later changes of these keys make it stale."""


class PopService:
    """Builds and caches screen pops by call id."""

    def __init__(
        self,
        builder: PopBuilder,
        calls: CallRegistry,
        *,
        keep: int = 5_000,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        live: LiveInteractions | None = None,
        labels: Callable[[], Mapping[str, str]] = dict,
    ) -> None:
        """Keep the last `keep` pops; `wall_clock` decides which tickets are overdue;
        `live` gives the latest word on recent calls; `labels` the flows' `pop_labels`."""
        self._builder = builder
        self._calls = calls
        self._keep = keep
        self._clock = wall_clock
        self._live = live
        self.labels = labels
        self._cache: OrderedDict[str, _Entry] = OrderedDict()
        self._changes: OrderedDict[_CallerKey, int] = OrderedDict()
        self._counter = 0

    def answers_of(self, answers: Mapping[str, str]) -> list[dict[str, str]]:
        """The caller's IVR answers as the pop lists them (labelled, internals left out)."""
        return pop_answers(answers, self.labels())

    def caller_changed(self, caller_number: str | None, customer_id: int | None) -> None:
        """Something a pop of this caller shows changed (a call of theirs ended, its notes
        were saved): their cached pops are gathered again at the next ask."""
        self._counter += 1
        for key in caller_keys(caller_number, customer_id):
            self._changes[key] = self._counter
            self._changes.move_to_end(key)
        while len(self._changes) > self._keep:
            self._changes.popitem(last=False)

    def _changed_since(self, entry: _Entry) -> bool:
        return any(self._changes.get(key, 0) > entry.built for key in entry.keys)

    async def pop_for(self, call_id: str) -> JSON | None:
        """The pop of `call_id`, or None when the call is unknown."""
        entry = self._cache.get(call_id)
        if entry is None or self._changed_since(entry):
            info = self._calls.get(call_id)
            if info is None:
                return None
            entry = self._start(call_id, info)
            return self._fresh(await self._build(call_id, info, entry))
        pop = await asyncio.shield(entry.future)
        return None if pop is None else self._fresh(pop)

    def _start(self, call_id: str, info: CallInfo) -> _Entry:
        future: asyncio.Future[JSON | None] = asyncio.get_running_loop().create_future()
        entry = _Entry(future, caller_keys(info.caller_number, info.customer_id), self._counter)
        self._cache[call_id] = entry
        self._cache.move_to_end(call_id)
        while len(self._cache) > self._keep:
            self._cache.popitem(last=False)
        return entry

    async def _build(self, call_id: str, info: CallInfo, entry: _Entry) -> JSON:
        try:
            pop = (await self._builder.build(info.context(), now=self._clock())).as_dict()
        except BaseException as exc:
            # A failed build is not cached: the next ask tries again.
            if self._cache.get(call_id) is entry:
                del self._cache[call_id]
            entry.future.set_exception(exc)
            entry.future.exception()  # retrieved here, so a build nobody awaits logs nothing
            raise
        pop["call_id"] = call_id
        pop["answers"] = self.answers_of(info.ivr_answers)
        customer = pop.get("customer")
        if isinstance(customer, dict) and customer.get("id") is not None:
            # Known by number or by the account keyed in: either way, their pop.
            entry.keys += [k for k in caller_keys(None, customer["id"]) if k not in entry.keys]
        entry.future.set_result(pop)
        return pop

    def _fresh(self, pop: JSON) -> JSON:
        """The pop with its history laid over with what the live center knows now."""
        live = self._live
        history = pop.get("history")
        if live is None or not isinstance(history, list) or not history:
            return pop
        return {**pop, "history": list(_laid_over(history, live))}


def _laid_over(history: Iterable[Any], live: LiveInteractions) -> Iterable[Any]:
    for item in history:
        known = live(str(item.get("uniqueid")))
        if known is None:
            yield item
            continue
        yield {
            **item,
            "queue": known.queue or item.get("queue"),
            "agent": known.agent or item.get("agent"),
            "outcome": known.outcome or IN_PROGRESS,
        }
