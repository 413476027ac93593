"""A discrete-event simulation around the ACD core: the PBX, the callers and the agents.

Events wait in a heap ordered by (time, sequence); the core's timers go into the same heap,
so simulated hours take seconds. Callers, agents and the PBX are small, seeded random
behaviours reacting to the core's commands, as the real shell would.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from acd_harness import InvariantChecker

from acd import (
    Acd,
    AcdSettings,
    AgentPaused,
    AgentReady,
    CallEnded,
    CallerHungUp,
    CallQueued,
    CancelTimer,
    Command,
    Event,
    OfferAnswered,
    OfferCall,
    OfferTimedOut,
    PublishAgentState,
    Record,
    RecordKind,
    StartTimer,
    TimerFired,
    TimerKey,
)
from acd.states import AgentState


@dataclass(frozen=True, slots=True)
class _Probe(Event):
    """Not an input of the core: a point in time at which the test looks at the core."""

    probe: Callable[[Acd, float], None]


@dataclass
class Behaviour:
    """How callers, agents and the PBX behave (all times in seconds)."""

    arrival_rate: Callable[[float], float]
    """Calls per second at a given time."""
    route: Callable[[random.Random], tuple[str, int, dict[str, int]]]
    """(queue, priority, skills) of a new call."""
    mean_talk: float
    answer_delay: float = 0.0
    no_answer_probability: float = 0.0
    mean_patience: float | None = None
    """Mean time a caller waits before hanging up; None: callers never abandon."""
    break_probability: float = 0.0
    """Chance that an agent takes a break when they become ready."""
    break_length: float = 900.0
    talk_time: Callable[[random.Random, str | None], float] | None = None
    """Talk time of a call the agent answered (default: exponential of `mean_talk`)."""
    answer_time: Callable[[random.Random, str], float] | None = None
    """How long the agent's phone rings before it answers (default: `answer_delay`)."""


@dataclass
class Observed:
    """What the simulation measured."""

    arrivals: int = 0
    answer_waits: list[float] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    commands: int = 0
    events: int = 0


class Simulation:
    """Drives one core through simulated time."""

    def __init__(
        self, config: AcdSettings, behaviour: Behaviour, seed: int, checked: bool = False
    ) -> None:
        self.acd = Acd(config, 0.0)
        self.behaviour = behaviour
        self.random = random.Random(seed)
        self.checker = InvariantChecker(config) if checked else None
        self.observed = Observed()
        self.now = 0.0
        self._heap: list[tuple[float, int, Event]] = []
        self._serial = 0
        self._armed: set[TimerKey] = set()
        self._connected: set[str] = set()
        self._agent_state: dict[str, AgentState] = {}

    def every(self, interval: float, until: float, probe: Callable[[Acd, float], None]) -> None:
        """Call ``probe(core, now)`` every ``interval`` seconds, as a wallboard would poll."""
        at = interval
        while at <= until:
            self.schedule(at, _Probe(at, probe))
            at += interval

    def schedule(self, at: float, event: Event) -> None:
        """Queue ``event`` for time ``at``."""
        self._serial += 1
        heapq.heappush(self._heap, (at, self._serial, event))

    def run(self, until: float) -> Observed:
        """Generate arrivals until ``until`` and run until nothing is left to happen."""
        self._next_arrival(0.0, until)
        while self._heap:
            at, _, event = heapq.heappop(self._heap)
            if isinstance(event, TimerFired):
                if event.key not in self._armed:
                    continue  # cancelled: the shell would have dropped the loop handle
                self._armed.discard(event.key)
            self.now = at
            if isinstance(event, _Probe):
                event.probe(self.acd, at)
                continue
            self._feed(event, until)
        return self.observed

    def _feed(self, event: Event, until: float) -> None:
        if isinstance(event, CallQueued):
            self.observed.arrivals += 1
            self._next_arrival(event.now, until)
        elif isinstance(event, CallerHungUp) and event.call_id in self._connected:
            return  # the caller is talking by now; patience no longer applies
        elif isinstance(event, AgentPaused | AgentReady):
            wanted = AgentState.READY if isinstance(event, AgentPaused) else AgentState.NOT_READY
            if self._agent_state.get(event.agent_id) is not wanted:
                return  # the agent's day moved on; this break no longer fits
        if self.checker is not None:
            self.checker.before(event)
        commands = self.acd.handle(event)
        self.observed.events += 1
        self.observed.commands += len(commands)
        if self.checker is not None:
            self.checker.after(commands)
        for command in commands:
            self._react(command)

    def _react(self, command: Command) -> None:
        behaviour = self.behaviour
        now = self.now
        if type(command) is Record:
            self._record(command)
        elif isinstance(command, StartTimer):
            self._armed.add(command.key)
            self.schedule(command.at, TimerFired(command.at, command.key))
        elif isinstance(command, CancelTimer):
            self._armed.discard(command.key)
        elif isinstance(command, OfferCall):
            if self.random.random() < behaviour.no_answer_probability:
                at = now + command.ring_timeout
                self.schedule(at, OfferTimedOut(at, command.call_id, command.agent_id))
            else:
                ring = behaviour.answer_delay
                if behaviour.answer_time is not None:
                    ring = behaviour.answer_time(self.random, command.agent_id)
                at = now + ring
                self.schedule(at, OfferAnswered(at, command.call_id, command.agent_id))
        elif isinstance(command, PublishAgentState):
            self._agent_state[command.agent_id] = command.state
            if (
                command.state is AgentState.READY
                and self.random.random() < behaviour.break_probability
            ):
                self.schedule(now, AgentPaused(now, command.agent_id, "break"))
            elif command.state is AgentState.NOT_READY:
                back = now + (behaviour.break_length if command.reason == "break" else 30.0)
                self.schedule(back, AgentReady(back, command.agent_id))

    def _record(self, record: Record) -> None:
        observed = self.observed
        call_id = record.call_id or ""
        if record.outcome is not None:
            key = record.outcome.value
            observed.outcomes[key] = observed.outcomes.get(key, 0) + 1
        if record.kind is RecordKind.CONNECT:
            observed.answer_waits.append(record.wait or 0.0)
            self._connected.add(call_id)
            talk_time = self.behaviour.talk_time
            if talk_time is not None:
                end = self.now + talk_time(self.random, record.agent_id)
            else:
                end = self.now + self.random.expovariate(1.0 / self.behaviour.mean_talk)
            self.schedule(end, CallEnded(end, call_id))
        elif record.kind is RecordKind.COMPLETE:
            self._connected.discard(call_id)

    def _next_arrival(self, after: float, until: float) -> None:
        rate = self.behaviour.arrival_rate(after)
        at = after + self.random.expovariate(rate)
        if at >= until:
            return
        queue, priority, skills = self.behaviour.route(self.random)
        call_id = f"c{self.observed.arrivals + 1}"
        self.schedule(at, CallQueued(at, call_id, queue, priority, skills))
        patience = self.behaviour.mean_patience
        if patience is not None:
            leave = at + self.random.expovariate(1.0 / patience)
            self.schedule(leave, CallerHungUp(leave, call_id))
