"""A day of random traffic through the real ACD core, keeping every `Record` it writes.

A heap of (time, serial, event) plays the PBX, the callers, the agents and a supervisor:
arrivals with patience, callback requests, moves of waiting calls to another queue,
answers, ring-no-answers, rejects, breaks, agents leaving mid-day (even while their phone
rings) and everyone logging out at the end. The core's
timers go into the same heap, so the day takes well under a second of real time.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from acd import (
    Acd,
    AcdError,
    AcdSettings,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    AgentRequestEvent,
    AgentState,
    CallbackRequested,
    CallEnded,
    CallerHungUp,
    CallMoveRequested,
    CallQueued,
    CancelTimer,
    ConfigurationChanged,
    Event,
    OfferAnswered,
    OfferCall,
    OfferRejected,
    OfferTimedOut,
    PublishAgentState,
    Record,
    RecordKind,
    StartTimer,
    TimerFired,
    TimerKey,
)
from acd.states import REQUESTS_ALLOWED_FROM, AgentRequest

QUEUES = ("billing", "sales", "support", "general")

_REQUEST = {
    AgentPaused: AgentRequest.PAUSE,
    AgentReady: AgentRequest.GO_READY,
    AgentLoggedOut: AgentRequest.LOG_OUT,
    AgentLoggedIn: AgentRequest.LOG_IN,
}


def center() -> AcdSettings:
    """Four queues exercising overflow to a queue and to callback, exits, formulas."""
    quiet = {"position": False, "estimated_wait": False}
    queues = [
        {"name": "billing", "max_wait_seconds": 120, "overflow": "queue:general",
         "wrap_up_seconds": 20, "announcements": quiet},
        {"name": "sales", "max_wait_seconds": 150, "overflow": "callback",
         "wrap_up_seconds": 15, "service_level_seconds": 30, "short_abandon_seconds": 8,
         "service_level_formula": "offered", "announcements": quiet},
        {"name": "support", "max_wait_seconds": 90, "wrap_up_seconds": 0,
         "service_level_formula": "answered", "announcements": quiet},
        {"name": "general", "wrap_up_seconds": 10, "announcements": quiet},
    ]  # fmt: skip
    rng = random.Random(3)
    agents = [
        {"id": f"a{n}", "queues": [*rng.sample(QUEUES[:3], k=2), "general"]} for n in range(9)
    ]
    return AcdSettings.model_validate({"queues": queues, "agents": agents})


@dataclass
class Day:
    """The core after the day, the records it wrote, and when the day ended."""

    acd: Acd
    records: list[Record] = field(default_factory=list)
    end: float = 0.0
    withdrawn: bool = False
    moves: int = 0


def with_rules(settings: AcdSettings, **rules: object) -> AcdSettings:
    """``settings`` with every queue's rules (``service_level_seconds`` ...) replaced."""
    queues = [{**q.model_dump(mode="json"), **rules} for q in settings.queues]
    return AcdSettings.model_validate({**settings.model_dump(mode="json"), "queues": queues})


def simulate(
    seed: int, hours: float = 10.0, changes: Sequence[tuple[float, AcdSettings]] = ()
) -> Day:
    """Run one day of traffic; agents log in at 0 and out after ``hours``; each of
    ``changes`` (at, settings) is a new configuration version applied at that moment."""
    config = center()
    rng = random.Random(seed)
    day = Day(Acd(config, 0.0))
    heap: list[tuple[float, int, Event]] = []
    armed: set[TimerKey] = set()
    state = {agent.id: AgentState.LOGGED_OUT for agent in config.agents}
    serial = 0
    closing = hours * 3600

    def at(when: float, event: Event) -> None:
        nonlocal serial
        serial += 1
        heapq.heappush(heap, (when, serial, event))

    for version, (when, settings) in enumerate(changes, start=2):
        at(when, ConfigurationChanged(when, settings, version))
    for index, agent in enumerate(config.agents):
        at(index * 60.0, AgentLoggedIn(index * 60.0, agent.id, ready=index % 3 != 0))
        at(closing + index, AgentLoggedOut(closing + index, agent.id))
        for _ in range(3):
            when = rng.uniform(1800, closing - 1800)
            at(when, AgentPaused(when, agent.id, rng.choice(["break", "lunch"])))
        if index < 2:  # two agents leave mid-day and come back
            when = rng.uniform(7200, 14400)
            at(when, AgentLoggedOut(when, agent.id))
            at(when + 1800, AgentLoggedIn(when + 1800, agent.id, ready=True))
    now, calls = 0.0, 0
    while True:
        now += rng.expovariate(1 / 35.0)
        if now >= closing - 600:
            break
        calls += 1
        call_id = f"c{calls}"
        at(now, CallQueued(now, call_id, rng.choice(QUEUES), rng.choice([0, 0, 5])))
        leave = now + rng.expovariate(1 / 120.0)
        at(leave, CallerHungUp(leave, call_id))
        if rng.random() < 0.05:
            ask = now + 40
            at(ask, CallbackRequested(ask, f"cb{calls}", "sales", replaces_call_id=call_id))
        if rng.random() < 0.3:  # a supervisor moves a call (or a callback entry), if waiting
            move = now + rng.uniform(2, 60)
            moved = call_id if rng.random() < 0.7 else f"cb{calls - rng.randint(0, 20)}"
            at(move, CallMoveRequested(move, moved, rng.choice(QUEUES)))

    while heap:
        when, _, event = heapq.heappop(heap)
        if isinstance(event, TimerFired):
            if event.key not in armed:
                continue
            armed.discard(event.key)
        if isinstance(event, AgentRequestEvent):
            allowed = REQUESTS_ALLOWED_FROM[_REQUEST[type(event)]]
            if state[event.agent_id] not in allowed:
                if not isinstance(event, AgentReady):  # a stale "back from break" is dropped
                    at(when + 30, replace(event, now=when + 30))
                continue
            if isinstance(event, AgentPaused) and state[event.agent_id] is AgentState.READY:
                back = when + rng.uniform(300, 1200)
                at(back, AgentReady(back, event.agent_id))
        day.end = when
        try:
            commands = day.acd.handle(event)
        except AcdError:  # only a move can be refused here: the call no longer waits there
            assert isinstance(event, CallMoveRequested)
            continue
        day.moves += isinstance(event, CallMoveRequested)
        for command in commands:
            if isinstance(command, Record):
                day.records.append(command)
                if command.kind is RecordKind.CONNECT:
                    end = when + rng.expovariate(1 / 150.0)
                    at(end, CallEnded(end, command.call_id or ""))
            elif isinstance(command, StartTimer):
                armed.add(command.key)
                at(command.at, TimerFired(command.at, command.key))
            elif isinstance(command, CancelTimer):
                armed.discard(command.key)
            elif isinstance(command, PublishAgentState):
                state[command.agent_id] = command.state
                if command.state is AgentState.NOT_READY and command.reason in (
                    "ring-no-answer",
                    "rejected",
                ):
                    at(when + 30, AgentReady(when + 30, command.agent_id))
            elif isinstance(command, OfferCall):
                if when > closing / 2 and not day.withdrawn:
                    # Once a day, an agent logs out while their phone rings (offer withdrawn).
                    day.withdrawn = True
                    at(when + 1, AgentLoggedOut(when + 1, command.agent_id))
                    at(when + 900, AgentLoggedIn(when + 900, command.agent_id, ready=True))
                roll = rng.random()
                if roll < 0.05:
                    done = when + command.ring_timeout
                    at(done, OfferTimedOut(done, command.call_id, command.agent_id))
                elif roll < 0.08:
                    at(when + 3, OfferRejected(when + 3, command.call_id, command.agent_id))
                else:
                    delay = rng.uniform(1, 8)
                    at(when + delay, OfferAnswered(when + delay, command.call_id, command.agent_id))
    return day
