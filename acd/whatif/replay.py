"""Replay a day through the pure ACD under a configuration, and two configurations side by side.

Strategy (docs/ARCHITECTURE.md: the core is pure and time is an input, so a day runs in
seconds): a fresh `Acd(settings, now=day.start)` is driven by a discrete-event loop, a heap
of pending inputs ordered by (time, timers first, arrival order), standing in for the
callers, the agents, their phones and the shell's timers:

* each call of the day arrives as `CallQueued`; if it is not answered within its patience
  (ringing included), `CallerHungUp` comes at arrival + patience;
* an `OfferCall` is answered ``ring_seconds`` later (`OfferAnswered`): every agent answers
  every offer (no ring-no-answer or reject; with a ring above the queue's ring timeout plus
  the grace, the core's own ring timer withdraws the offer instead);
* a connected call ends (`CallEnded`) after the call's own talk time, whoever answered;
  wrap-up is the core's (the queue's ``wrap_up_seconds`` through its timer);
* the core's `StartTimer` / `CancelTimer` become `TimerFired` inputs at their time;
* staffing changes are the agents' requests. One that comes while the agent is ringing
  or talking in this replay (the day had them elsewhere) is applied at the agent's next
  change of state (only the latest such request is kept); one the configuration cannot
  take (no such agent, an unknown pause reason, a state that does not allow it) is
  listed in `DayResult.refused` and skipped.

The loop stops when nothing is left, or at ``day.end + drain_seconds`` (calls with infinite
patience may wait for agents who never come, and announcements re-arm forever); calls
still waiting or ringing then are ``unfinished``. Same day, same settings, same result: no
clock, no randomness.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, replace

from acd.commands import (
    CancelOffer,
    CancelTimer,
    OfferCall,
    PublishAgentState,
    Record,
    RecordKind,
    StartTimer,
)
from acd.config import AcdSettings
from acd.core import Acd
from acd.errors import AcdError
from acd.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    AgentRequestEvent,
    CallEnded,
    CallerHungUp,
    CallQueued,
    Event,
    OfferAnswered,
    TimerFired,
)
from acd.states import AgentState
from acd.types import Seconds, TimerKey
from acd.whatif.day import Day, DayCall, StaffingAction, StaffingChange, on_duty
from acd.whatif.results import Comparison, DayFold, DayResult, side_by_side

RING_SECONDS = 2.0
"""How long an agent's phone rings before they answer, in a replay."""

DRAIN_SECONDS = 4 * 3600.0
"""How long after the day's end a replay goes on finishing the calls still in progress."""

_TIMER = 0
_OTHER = 1
_BUSY = (AgentState.ON_CALL, AgentState.RESERVED)


@dataclass(frozen=True, slots=True)
class _Arrival:
    call: DayCall


@dataclass(frozen=True, slots=True)
class _Request:
    change: StaffingChange


_Item = Event | _Arrival | _Request


class _Replay:
    """One replay: the heap, the core and what the loop must remember about calls."""

    def __init__(
        self,
        day: Day,
        settings: AcdSettings,
        ring_seconds: Seconds,
        measure: bool,
        on_record: Callable[[Record], None] | None,
    ) -> None:
        self.day = day
        self.on_record = on_record
        self.settings = settings
        self.ring = ring_seconds
        self.core = Acd(settings, now=day.start)
        self.fold = DayFold(settings, day.start, day.end, day.interval_seconds) if measure else None
        self.heap: list[tuple[Seconds, int, int, _Item]] = []
        self.serial = 0
        self.armed: set[TimerKey] = set()
        self.calls = {call.call_id: call for call in day.calls}
        self.waiting: set[str] = set()
        """Admitted calls not yet answered nor gone: patience still applies to them."""
        self.offers: dict[str, str] = {}
        """Call -> the agent whose phone rings with it."""
        self.states: dict[str, AgentState] = {}
        self.deferred: dict[str, AgentRequestEvent] = {}
        self.refused: list[str] = []
        self.inputs = 0
        self.unrouted = 0
        queues = {queue.name for queue in settings.queues}
        for call in day.calls:
            if call.queue in queues:
                self.push(call.arrival, _OTHER, _Arrival(call))
            else:
                self.unrouted += 1
        for change in day.staffing:
            self.push(change.at, _OTHER, _Request(change))

    def push(self, at: Seconds, rank: int, item: _Item) -> None:
        self.serial += 1
        heapq.heappush(self.heap, (at, rank, self.serial, item))

    def run(self, horizon: Seconds) -> DayResult:
        heap = self.heap
        clock = self.day.start
        while heap:
            at, _, _, item = heap[0]
            if at > horizon:
                clock = horizon
                break
            heapq.heappop(heap)
            clock = at
            self.step(at, item)
        fold = self.fold
        refused = tuple(self.refused)
        if fold is None:
            return DayResult((), (), self.inputs, refused, clock, self.unrouted)
        return fold.result(
            self.settings,
            inputs=self.inputs,
            refused=refused,
            stopped_at=clock,
            unrouted=self.unrouted,
        )

    def step(self, at: Seconds, item: _Item) -> None:
        if isinstance(item, TimerFired):
            if item.key not in self.armed:
                return  # cancelled: the shell would have dropped its loop handle
            self.armed.discard(item.key)
            self.feed(item)
        elif isinstance(item, _Arrival):
            call = item.call
            self.waiting.add(call.call_id)
            self.feed(
                CallQueued(
                    at,
                    call.call_id,
                    call.queue,
                    call.priority,
                    dict(call.skills),
                    server=call.server,
                    default_server=call.default_server,
                )
            )
            if call.patience != float("inf"):
                leave = call.arrival + call.patience
                self.push(leave, _OTHER, CallerHungUp(leave, call.call_id))
        elif isinstance(item, CallerHungUp):
            if item.call_id in self.waiting:
                self.feed(item)
        elif isinstance(item, OfferAnswered):
            if self.offers.get(item.call_id) == item.agent_id:
                self.feed(item)
        elif isinstance(item, _Request):
            self.request(at, item.change)
        elif isinstance(item, AgentRequestEvent):
            self.ask(item)
        else:
            self.feed(item)

    def request(self, at: Seconds, change: StaffingChange) -> None:
        agent = change.agent_id
        event: AgentRequestEvent
        if change.action is StaffingAction.LOG_IN:
            event = AgentLoggedIn(at, agent)
        elif change.action is StaffingAction.READY:
            event = AgentReady(at, agent)
        elif change.action is StaffingAction.PAUSE:
            event = AgentPaused(at, agent, change.reason or "")
        else:
            event = AgentLoggedOut(at, agent)
        self.ask(event)

    def ask(self, event: AgentRequestEvent) -> None:
        agent = event.agent_id
        if self.states.get(agent) in _BUSY:
            self.deferred[agent] = event  # the latest wish counts, once the call is over
            return
        self.deferred.pop(agent, None)
        try:
            self.feed(event)
        except AcdError as refusal:
            into = event.now - self.day.start
            self.refused.append(f"{type(event).__name__} {into:.0f} s into the day: {refusal}")

    def feed(self, event: Event) -> None:
        self.inputs += 1
        commands = self.core.handle(event)
        now = self.core.now
        fold = self.fold
        for command in commands:
            kind = type(command)
            if kind is Record:
                assert isinstance(command, Record)
                if fold is not None:
                    fold.record(command)
                if self.on_record is not None:
                    self.on_record(command)
                self.recorded(now, command)
            elif kind is StartTimer:
                assert isinstance(command, StartTimer)
                self.armed.add(command.key)
                self.push(command.at, _TIMER, TimerFired(command.at, command.key))
            elif kind is CancelTimer:
                assert isinstance(command, CancelTimer)
                self.armed.discard(command.key)
            elif kind is OfferCall:
                assert isinstance(command, OfferCall)
                self.offers[command.call_id] = command.agent_id
                answer = now + self.ring
                self.push(answer, _OTHER, OfferAnswered(answer, command.call_id, command.agent_id))
            elif kind is CancelOffer:
                assert isinstance(command, CancelOffer)
                if self.offers.get(command.call_id) == command.agent_id:
                    del self.offers[command.call_id]
            elif kind is PublishAgentState:
                assert isinstance(command, PublishAgentState)
                if fold is not None:
                    fold.agent_state(command)
                self.states[command.agent_id] = command.state
                if command.state not in _BUSY:
                    later = self.deferred.pop(command.agent_id, None)
                    if later is not None:
                        self.push(now, _OTHER, replace(later, now=now))

    def recorded(self, now: Seconds, record: Record) -> None:
        call_id = record.call_id
        if call_id is None:
            return
        if record.kind is RecordKind.CONNECT:
            self.waiting.discard(call_id)
            self.offers.pop(call_id, None)
            end = now + self.calls[call_id].talk
            self.push(end, _OTHER, CallEnded(end, call_id))
        elif record.outcome is not None:
            self.waiting.discard(call_id)
            self.offers.pop(call_id, None)


def replay_day(
    day: Day,
    settings: AcdSettings,
    *,
    ring_seconds: Seconds = RING_SECONDS,
    drain_seconds: Seconds = DRAIN_SECONDS,
    measure: bool = True,
    on_record: Callable[[Record], None] | None = None,
) -> DayResult:
    """Drive a fresh core through ``day`` under ``settings``; the day's rows and totals.

    ``measure=False`` only drives the core (rows and totals empty): what routing alone
    costs, for the benchmark's baseline. ``on_record`` is told every record the replayed
    core writes, in order (the event log this configuration would have written).
    """
    if ring_seconds < 0 or drain_seconds < 0:
        raise ValueError("ring_seconds and drain_seconds must be >= 0")
    return _Replay(day, settings, ring_seconds, measure, on_record).run(day.end + drain_seconds)


def compare(
    day: Day,
    current: AcdSettings,
    changed: AcdSettings,
    *,
    changed_staffing: tuple[StaffingChange, ...] = (),
    all_agents_on_duty: bool = False,
    ring_seconds: Seconds = RING_SECONDS,
    drain_seconds: Seconds = DRAIN_SECONDS,
) -> Comparison:
    """The day replayed under ``current`` and under ``changed``, side by side.

    ``changed_staffing`` adds staffing to the changed replay only (the shifts of agents the
    change adds: see `acd.whatif.day.shift`); the day's own staffing applies to both. With
    ``all_agents_on_duty`` (a synthetic day, which has no staffing of its own), every agent
    of each configuration is on duty from the day's start in that configuration's replay
    (`acd.whatif.day.on_duty`): agents a change adds work, agents it removes do not.
    """
    before_day = day
    if all_agents_on_duty:
        before_day = day.with_staffing(on_duty((a.id for a in current.agents), day.start))
        changed_staffing = (
            *on_duty((a.id for a in changed.agents), day.start),
            *changed_staffing,
        )
    before = replay_day(before_day, current, ring_seconds=ring_seconds, drain_seconds=drain_seconds)
    after_day = day.with_staffing(changed_staffing) if changed_staffing else day
    after = replay_day(after_day, changed, ring_seconds=ring_seconds, drain_seconds=drain_seconds)
    return side_by_side(before, after)
