"""Rebuilding the ACD from the event log: the rebuilt core is the core that wrote the log.

A real `Acd` runs a random day (calls with priorities and skills, agents logging in and out,
pausing, not answering, rejecting, callers abandoning, callbacks, supervisor moves,
overflows, wrap-ups ended early); every `Record` goes to a log exactly as the service
stores it. Then the process "dies" at its last input and restarts at a later moment T: the
core rebuilt from the log must equal the original core left running until T.

The original core runs in epoch seconds, as in the service, on times the log stores without
rounding (whole microseconds), so the comparison can be exact.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from acd import (
    Acd,
    AcdError,
    AcdSettings,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    AgentState,
    CallbackRequested,
    CallEnded,
    CallerHungUp,
    CallMoveRequested,
    CallQueued,
    ConfigurationChanged,
    Event,
    OfferAnswered,
    OfferFailed,
    OfferRejected,
    OfferTimedOut,
    QueueHoursChanged,
    Record,
    RecordKind,
    WrapUpEnded,
)
from acd.agent_flow import WRAP_UP_ELAPSED
from acd.call_flow import RING_TIMER
from callcenter.db.events import CallEvent
from callcenter.live.recorder import log_entry
from callcenter.live.replay import InFlight, Offer, in_flight, inputs_from_log, rebuild
from tests.unit.acd.acd_testkit import Center, only

EPOCH = 1_772_438_400.0  # 2026-03-02 08:00 UTC

QUEUES = ("sales", "support", "tech", "vip")
CONFIG = AcdSettings.model_validate(
    {
        "queues": [
            {
                "name": "sales",
                "wrap_up_seconds": 20,
                "ring_timeout_seconds": 10,
                "max_wait_seconds": 120,
                "overflow": "queue:support",
                "announcements": {"first_after_seconds": 15, "every_seconds": 30},
            },
            {
                "name": "support",
                "skills": {"support": 3},
                "strategy": "best_proficiency",
                "relaxation": [{"after_seconds": 30, "min_level": 1}, {"after_seconds": 60}],
                "wrap_up_seconds": 0,
                "max_wait_seconds": 300,
                "announcements": {"estimated_wait": False, "every_seconds": None},
            },
            {
                "name": "tech",
                "skills": {"tech": 2},
                "strategy": "fewest_calls",
                "weight": 2,
                "relaxation": [{"after_seconds": 40, "min_level": 1}],
                "wrap_up_seconds": 10,
                "ring_timeout_seconds": 8,
                "max_wait_seconds": 90,
                "overflow": "queue:sales",
                "overflow_when_no_agents": True,
            },
            {
                "name": "vip",
                "strategy": "round_robin",
                "wrap_up_seconds": 5,
                "max_wait_seconds": 60,
                "overflow": "voicemail:100",
                "announcements": {"position": False, "first_after_seconds": 0},
            },
        ],
        "agents": [
            {"id": "a1", "queues": ["sales", "support"], "skills": {"support": 4, "lang-fr": 3}},
            {"id": "a2", "queues": ["sales", "tech"], "skills": {"tech": 3}},
            {"id": "a3", "queues": ["support", "tech"], "skills": {"support": 2, "tech": 2}},
            {"id": "a4", "queues": ["sales", "vip"], "skills": {"lang-fr": 5}},
            {"id": "a5", "queues": ["tech", "vip"], "skills": {"tech": 5, "lang-fr": 2}},
            {"id": "a6", "queues": ["support", "sales"], "skills": {"support": 5}},
        ],
    }
)
AGENTS = tuple(agent.id for agent in CONFIG.agents)


def wall(seconds: float) -> float:
    """EPOCH + seconds, rounded as the log stores times (whole microseconds)."""
    return datetime.fromtimestamp(EPOCH + seconds, UTC).timestamp()


def log_of(records: list[Record]) -> list[CallEvent]:
    """The event log as the service's recorder writes it."""
    return [log_entry(r) for r in records]


class Day:
    """A random day on a real core: each step moves the clock, then one person or fact acts."""

    def __init__(self, seed: int) -> None:
        self.center = Center(CONFIG, EPOCH)
        self.random = random.Random(seed)
        self.calls = 0
        self.actions: list[tuple[int, Callable[[float], Event | None]]] = [
            (6, self._arrival),
            (5, self._agent_request),
            (6, self._offer_outcome),
            (3, self._call_end),
            (2, self._abandon),
            (1, self._callback),
            (1, self._move),
            (2, self._wrap_up_ended),
            (1, self._configure),
            (1, self._hours),
        ]
        self.versions = 1

    def run(self, steps: int) -> None:
        """Play ``steps`` inputs (illegal requests are refused by the core, as in real life)."""
        rng = self.random
        weights = [weight for weight, _ in self.actions]
        for _ in range(steps):
            now = wall(self.center.now - EPOCH + rng.expovariate(1 / 6))
            self.center.advance(now)
            action = rng.choices(self.actions, weights)[0][1]
            event = action(now)
            if event is not None:
                with contextlib.suppress(AcdError):
                    self.center.send(event)

    @property
    def records(self) -> list[Record]:
        """Every record the core wrote so far."""
        return only(self.center.log, Record)

    def _agents_in(self, state: AgentState, now: float) -> list[tuple[str, str | None]]:
        views = self.center.acd.agent_views(now)
        return [(v.agent_id, v.call_id) for v in views if v.state is state]

    def _waiting(self, now: float) -> list[str]:
        core = self.center.acd
        return [c.call_id for q in QUEUES for c in core.waiting_calls(q, now)]

    def _arrival(self, now: float) -> Event:
        rng = self.random
        self.calls += 1
        skills = rng.choice([{}, {}, {"lang-fr": rng.randint(1, 4)}])
        return CallQueued(now, f"c{self.calls}", rng.choice(QUEUES), rng.randint(0, 2), skills)

    def _agent_request(self, now: float) -> Event:
        rng = self.random
        agent = rng.choice((*AGENTS, "a7"))
        return rng.choice(
            [
                AgentLoggedIn(now, agent, ready=rng.random() < 0.5),
                AgentReady(now, agent),
                AgentReady(now, agent),
                AgentPaused(now, agent, rng.choice(["break", "lunch"])),
                AgentLoggedOut(now, agent),
            ]
        )

    def _offer_outcome(self, now: float) -> Event | None:
        ringing = self._agents_in(AgentState.RESERVED, now)
        if not ringing:
            return None
        agent, call = self.random.choice(ringing)
        outcome = self.random.choices(
            [OfferAnswered, OfferTimedOut, OfferRejected, OfferFailed], [6, 2, 1, 1]
        )
        return outcome[0](now, call or "", agent)

    def _call_end(self, now: float) -> Event | None:
        talking = self._agents_in(AgentState.ON_CALL, now)
        if not talking:
            return None
        call = self.random.choice(talking)[1] or ""
        return CallEnded(now, call) if self.random.random() < 0.7 else CallerHungUp(now, call)

    def _abandon(self, now: float) -> Event | None:
        ringing = [call or "" for _, call in self._agents_in(AgentState.RESERVED, now)]
        calls = self._waiting(now) + ringing
        return CallerHungUp(now, self.random.choice(calls)) if calls else None

    def _callback(self, now: float) -> Event:
        rng = self.random
        self.calls += 1
        waiting = self._waiting(now)
        replaces = rng.choice(waiting) if waiting and rng.random() < 0.7 else None
        core = self.center.acd
        view = core.call_view(replaces, now) if replaces else None
        queue = view.queue if view and rng.random() < 0.8 else rng.choice(QUEUES)
        return CallbackRequested(now, f"cb{self.calls}", queue, rng.randint(0, 1), {}, replaces)

    def _move(self, now: float) -> Event | None:
        waiting = self._waiting(now)
        if not waiting:
            return None
        call = self.random.choice(waiting)
        return CallMoveRequested(now, call, self.random.choice(QUEUES))

    def _wrap_up_ended(self, now: float) -> Event | None:
        wrapping = self._agents_in(AgentState.WRAP_UP, now)
        return WrapUpEnded(now, self.random.choice(wrapping)[0]) if wrapping else None

    def _hours(self, now: float) -> Event:
        """A queue's opening hours open or close it (mostly open: a day, not a night)."""
        return QueueHoursChanged(now, self.random.choice(QUEUES), self.random.random() < 0.7)

    def _configure(self, now: float) -> Event:
        """A supervisor changes queue settings, memberships, skills; adds or removes a7."""
        rng = self.random
        document = self.center.acd.settings.model_dump(mode="json")
        for queue in document["queues"]:
            if rng.random() < 0.4:
                queue["ring_timeout_seconds"] = rng.choice((5, 10, 20))
                queue["wrap_up_seconds"] = rng.choice((0, 5, 20))
            if rng.random() < 0.3:
                queue["max_wait_seconds"] = rng.choice((None, 30, 90, 300))
            if rng.random() < 0.3:
                queue["strategy"] = rng.choice(("longest_idle", "round_robin", "fewest_calls"))
        agents = document["agents"]
        for agent in agents:
            if rng.random() < 0.3:
                agent["queues"] = rng.sample(QUEUES, rng.randint(1, 3))
            if rng.random() < 0.3:
                agent["skills"]["support"] = rng.randint(1, 5)
        ids = [agent["id"] for agent in agents]
        if "a7" in ids and rng.random() < 0.5:
            agents.pop(ids.index("a7"))  # refused while a7 is logged in
        elif "a7" not in ids:
            agents.append({"id": "a7", "queues": rng.sample(QUEUES, 2), "skills": {"tech": 4}})
        self.versions += 1
        settings = AcdSettings.model_validate(document)
        return ConfigurationChanged(now, settings, self.versions)


def picture(core: Acd, now: float) -> dict[str, Any]:
    """Everything a wallboard, a desktop or the shell's timers can see of the core at ``now``."""
    agents = core.agent_views(now)
    return {
        "settings": (core.settings, core.configuration_version),
        "agents": agents,
        "queues": core.all_queue_stats(now),
        "waiting": {queue: core.waiting_calls(queue, now) for queue in QUEUES},
        "calls": [core.call_view(a.call_id, now) for a in agents if a.call_id],
        "timers": core.armed_timers(),
    }


def restart(day: Day, downtime: float, refused: list[str] | None = None) -> tuple[Acd, float]:
    """Crash after the last input; rebuild from the log at ``downtime`` seconds later.

    The original core keeps running (firing its timers) until then, as the reference.
    Each input the replay refuses is added to ``refused``.
    """
    log = log_of(day.records)
    later = wall(day.center.now - EPOCH + downtime)
    day.center.advance(later)

    def dropped(item: Event, reason: str) -> None:
        if refused is not None:
            refused.append(f"{type(item).__name__}: {reason}")

    return rebuild(CONFIG, log, now=later, since=EPOCH, dropped=dropped), later


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    steps=st.integers(0, 150),
    downtime=st.floats(0, 400),
)
def test_rebuilt_core_equals_the_core_that_wrote_the_log(
    seed: int, steps: int, downtime: float
) -> None:
    day = Day(seed)
    day.run(steps)
    refused: list[str] = []

    rebuilt, now = restart(day, downtime, refused)

    assert picture(rebuilt, now) == picture(day.center.acd, now)
    assert refused == []  # every input read back from the log applies as it did live


def test_a_long_day_uses_every_record_kind_and_rebuilds_exactly() -> None:
    day = Day(seed=1)  # a day that meets every kind of record and reason asked for below
    day.run(1500)
    refused: list[str] = []

    assert {r.kind for r in day.records} == set(RecordKind)
    rebuilt, now = restart(day, 90, refused)
    assert picture(rebuilt, now) == picture(day.center.acd, now)
    assert refused == []
    # Both ends of wrap-up and both kinds of ring-no-answer happened that day.
    reasons = {(r.kind, r.reason, r.detail) for r in day.records}
    assert (RecordKind.READY, WRAP_UP_ELAPSED, None) in reasons
    assert (RecordKind.RING_NO_ANSWER, "ring-no-answer", RING_TIMER) in reasons
    assert (RecordKind.RING_NO_ANSWER, "ring-no-answer", None) in reasons
    # Calls that found their queue closed went to its overflow, or away without one.
    assert (RecordKind.OVERFLOW, "closed") in {(r.kind, r.reason) for r in day.records}
    assert (RecordKind.EXIT, "closed") in {(r.kind, r.reason) for r in day.records}


def _small_day(**queue: Any) -> Center:
    fields = {"name": "support", "wrap_up_seconds": 0, "announcements": {"position": False}}
    config = AcdSettings.model_validate(
        {"queues": [fields | queue], "agents": [{"id": "a1", "queues": ["support"]}]}
    )
    return Center(config, EPOCH)


def _rebuild_small(center: Center, now: float) -> Acd:
    return rebuild(center.acd.settings, log_of(only(center.log, Record)), now=now)


def test_given_a_caller_waiting_40s_when_rebuilt_then_the_wait_includes_the_downtime() -> None:
    center = _small_day()
    center.login("a1", ready=False)
    center.advance(wall(5))
    center.call("c1", priority=2, skills={"lang-fr": 2})
    center.advance(wall(45))

    rebuilt = _rebuild_small(center, now=wall(45 + 300))

    [waiting] = rebuilt.waiting_calls("support", wall(345))
    assert (waiting.call_id, waiting.position, waiting.priority) == ("c1", 1, 2)
    assert waiting.waited == 340
    assert waiting.requirement == (("lang-fr", 2),)


def test_given_an_agent_on_a_call_when_rebuilt_then_still_on_it_and_listed_in_flight() -> None:
    center = _small_day()
    center.login("a1")
    center.call("c1")
    center.advance(wall(8))
    center.answer("c1", "a1")

    rebuilt = _rebuild_small(center, now=wall(60))

    view = rebuilt.agent_view("a1", wall(60))
    assert (view.state, view.call_id, view.since, view.calls_today) == (
        AgentState.ON_CALL,
        "c1",
        wall(8),
        1,
    )
    assert in_flight(rebuilt) == InFlight(offered=(), connected=(Offer("c1", "a1", "support"),))


def test_given_wrap_up_due_during_downtime_then_the_agent_is_ready_and_gets_a_waiting_call() -> (
    None
):
    center = _small_day(wrap_up_seconds=30)
    center.login("a1")
    center.call("c1")
    center.answer("c1", "a1")
    center.advance(wall(100))
    center.end("c1")
    center.advance(wall(110))
    center.call("c2")

    rebuilt = _rebuild_small(center, now=wall(140))

    view = rebuilt.agent_view("a1", wall(140))
    assert (view.state, view.since, view.handled, view.aht) == (
        AgentState.RESERVED,
        wall(130),
        1,
        100 + 30,
    )
    # Offered by the replay during the downtime: the shell must ring the agent for real.
    assert in_flight(rebuilt).offered == (Offer("c2", "a1", "support"),)


def test_inputs_are_the_requests_and_facts_not_what_the_core_derived() -> None:
    center = _small_day(wrap_up_seconds=0)
    center.login("a1")  # login + ready
    center.call("c1", priority=1)  # enqueue + offer
    center.answer("c1", "a1")
    center.end("c1")  # complete + handled + ready, all the core's own
    center.send(AgentPaused(center.now, "a1", "break"))
    center.call("c2")
    center.send(CallbackRequested(center.now, "cb1", "support", replaces_call_id="c2"))

    inputs = inputs_from_log(log_of(only(center.log, Record)))

    at = wall(0)
    assert inputs == [
        AgentLoggedIn(at, "a1", ready=False),
        AgentReady(at, "a1"),
        CallQueued(at, "c1", "support", 1, {}),
        OfferAnswered(at, "c1", "a1"),
        CallEnded(at, "c1"),
        AgentPaused(at, "a1", "break"),
        CallQueued(at, "c2", "support", 0, {}),
        CallbackRequested(at, "cb1", "support", 0, {}, "c2"),
    ]


def test_since_keeps_state_across_the_period_start_and_restarts_the_counters() -> None:
    center = _small_day()
    center.login("a1")
    center.call("c1")
    center.answer("c1", "a1")
    midnight = wall(3600)
    center.advance(midnight + 10)

    rebuilt = rebuild(
        center.acd.settings, log_of(only(center.log, Record)), now=midnight + 10, since=midnight
    )

    view = rebuilt.agent_view("a1", midnight + 10)
    assert (view.state, view.call_id, view.calls_today) == (AgentState.ON_CALL, "c1", 0)
    assert rebuilt.queue_stats("support", midnight + 10).answered == 0


def test_admission_records_carry_what_the_replay_needs_and_nothing_else_does() -> None:
    center = _small_day(max_wait_seconds=10, overflow="voicemail:1")
    center.call("c1", priority=3, skills={"lang-fr": 2})

    enqueue = log_of(only(center.log, Record))[0]

    assert enqueue.data == {
        "detail": "priority 3",
        "call_kind": "voice",
        "priority": 3,
        "skills": {"lang-fr": 2},
    }
