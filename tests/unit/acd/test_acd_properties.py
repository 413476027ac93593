"""Property tests: random days of arrivals (on two Asterisk servers, or bound to none),
answers, hang-ups, pauses, log-offs, timers and configuration changes (queue settings,
memberships, skill levels, agents' servers, agents and queues added and removed).

The checking shell (`acd_harness.CheckingCenter`) asserts on every offer that an agent never
holds two calls, that the agent has the skills of the step in force, that the agent's
phone is on the caller's server (no offer crosses servers), and that within a queue
and priority calls are offered in arrival order; after every step, that no call is lost;
and at the end, once every caller has hung up, that every call had exactly one outcome.
"""

from __future__ import annotations

import contextlib
import random
from typing import Any

from acd_harness import CheckingCenter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acd import (
    Acd,
    AcdError,
    AcdSettings,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    CallbackRequested,
    CallEnded,
    CallerHungUp,
    CallQueued,
    Command,
    ConfigurationChanged,
    Event,
    OfferAnswered,
    OfferCall,
    OfferRejected,
    OfferTimedOut,
    RoutingStrategy,
    WrapUpEnded,
)

AGENTS = ("a0", "a1", "a2", "a3", "a4")
QUEUES = ("billing", "general", "sales")


def _config(strategy: RoutingStrategy) -> AcdSettings:
    quiet = {"position": True, "estimated_wait": True, "first_after_seconds": 15}
    return AcdSettings.model_validate(
        {
            "queues": [
                {
                    "name": "billing",
                    "skills": {"billing": 4},
                    "relaxation": [
                        {"after_seconds": 20, "min_level": 2},
                        {"after_seconds": 40},
                    ],
                    "max_wait_seconds": 90,
                    "overflow": "queue:general",
                    "weight": 2,
                    "ring_timeout_seconds": 10,
                    "wrap_up_seconds": 5,
                    "strategy": strategy,
                    "announcements": quiet,
                },
                {
                    "name": "general",
                    "max_wait_seconds": 120,
                    "overflow": "voicemail:1",
                    "ring_timeout_seconds": 8,
                    "wrap_up_seconds": 0,
                    "strategy": strategy,
                },
                {
                    "name": "sales",
                    "skills": {"sales": 3},
                    "relaxation": [{"after_seconds": 30, "min_level": 1}],
                    "overflow": "callback",
                    "overflow_when_no_agents": True,
                    "ring_timeout_seconds": 12,
                    "wrap_up_seconds": 3,
                    "strategy": strategy,
                },
            ],
            # Two servers: "east" is the default (the first configured), so a1 and a3, who
            # name none, are there too.
            "agents": [
                {
                    "id": "a0",
                    "skills": {"billing": 5},
                    "queues": ["billing", "general"],
                    "server": "east",
                },
                {"id": "a1", "skills": {"billing": 2, "sales": 3}, "queues": ["billing", "sales"]},
                {"id": "a2", "skills": {}, "queues": ["general", "sales"], "server": "west"},
                {
                    "id": "a3",
                    "skills": {"billing": 4, "sales": 1, "lang-fr": 3},
                    "queues": list(QUEUES),
                },
                {
                    "id": "a4",
                    "skills": {"sales": 5, "lang-fr": 2},
                    "queues": ["sales"],
                    "server": "west",
                },
            ],
            "offer_grace_seconds": 2,
        }
    )


def _variant(current: AcdSettings, seed: int) -> AcdSettings:
    """A random change of ``current``: queue settings, memberships, skills, agents, queues.

    Some variants are refused by the core (an agent removed while logged in, a queue
    removed while calls wait in it); the tests keep only what the core accepted.
    """
    rng = random.Random(seed)
    document = current.model_dump(mode="json")
    queues: list[dict[str, Any]] = document["queues"]
    names = [q["name"] for q in queues]
    if rng.random() < 0.2:
        if "sales" in names:
            queues[:] = [q for q in queues if q["name"] != "sales"]
        else:
            default = _config(RoutingStrategy(queues[0]["strategy"]))
            queues.append(default.queues[2].model_dump(mode="json"))
    names = [q["name"] for q in queues]
    for queue in queues:
        if rng.random() < 0.3:
            queue["strategy"] = rng.choice(list(RoutingStrategy)).value
        if rng.random() < 0.3:
            queue["ring_timeout_seconds"] = rng.choice((5, 10, 20))
        if rng.random() < 0.3:
            queue["wrap_up_seconds"] = rng.choice((0, 3, 8))
        if rng.random() < 0.3:
            queue["max_wait_seconds"] = rng.choice((None, 20, 60, 150))
        if rng.random() < 0.2:
            queue["weight"] = rng.choice((1, 2, 3))
        if rng.random() < 0.3 and queue["skills"]:
            queue["skills"] = {skill: rng.randint(1, 5) for skill in queue["skills"]}
        if rng.random() < 0.2:
            queue["relaxation"] = rng.choice(
                ([], [{"after_seconds": 10, "min_level": 1}], [{"after_seconds": 25}])
            )
        if rng.random() < 0.2 and queue["overflow"] is not None:
            queue["overflow_when_no_agents"] = not queue["overflow_when_no_agents"]
        if rng.random() < 0.2:
            queue["service_level_seconds"] = rng.choice((10, 30))
    agents: list[dict[str, Any]] = document["agents"]
    for configured in agents:
        if rng.random() < 0.3:
            configured["queues"] = rng.sample(names, rng.randint(1, len(names)))
        else:
            configured["queues"] = [name for name in configured["queues"] if name in names]
        if rng.random() < 0.3:
            skill = rng.choice(("billing", "sales", "lang-fr"))
            configured["skills"][skill] = rng.randint(1, 5)
        if rng.random() < 0.2:
            configured["server"] = rng.choice((None, "east", "west"))
    if rng.random() < 0.15:
        agents.pop(rng.randrange(len(agents)))
    if rng.random() < 0.2 and all(a["id"] != "a5" for a in agents):
        skills = {"billing": rng.randint(1, 5), "sales": rng.randint(1, 5)}
        agents.append({"id": "a5", "skills": skills, "queues": rng.sample(names, 1)})
    return AcdSettings.model_validate(document)


_pick = st.integers(min_value=0, max_value=50)
_agent = st.sampled_from((*AGENTS, "a5"))
SERVERS = (None, "east", "west", "west")
"""Where a caller is: bound to no server, on the default server, on the other one."""
_arrive = st.tuples(
    st.just("arrive"),
    st.sampled_from(QUEUES),
    st.sampled_from((0, 0, 5)),
    st.booleans(),
    st.sampled_from(SERVERS),
)
# Weighted by repetition: mostly arrivals and the answers, ends and readiness that drain them.
_operation = st.one_of(
    _arrive,
    _arrive,
    _arrive,
    st.tuples(st.just("answer"), _pick),
    st.tuples(st.just("answer"), _pick),
    st.tuples(st.just("end"), _pick),
    st.tuples(st.just("end"), _pick),
    st.tuples(st.just("ready"), _agent),
    st.tuples(st.just("ready"), _agent),
    st.tuples(st.just("login"), _agent, st.booleans()),
    st.tuples(st.just("reject"), _pick),
    st.tuples(st.just("no-answer"), _pick),
    st.tuples(st.just("hang-up"), _pick),
    st.tuples(st.just("callback"), _pick, st.booleans()),
    st.tuples(st.just("pause"), _agent, st.sampled_from(("break", "lunch"))),
    st.tuples(st.just("logout"), _agent),
    st.tuples(st.just("wrap-up-done"), _agent),
    st.tuples(st.just("wait"), st.integers(min_value=1, max_value=60)),
    st.tuples(st.just("configure"), st.integers(min_value=0, max_value=2**32)),
)
_step = st.tuples(st.integers(min_value=0, max_value=4), _operation)


def _choose(items: list[str], pick: int) -> str | None:
    return items[pick % len(items)] if items else None


def _event(center: CheckingCenter, operation: tuple[Any, ...], serial: int) -> Event | None:
    now = center.now
    kind = operation[0]
    offered = sorted(c for c, t in center.calls.items() if t.state == "offered")
    connected = sorted(c for c, t in center.calls.items() if t.state == "connected")
    if kind == "arrive":
        _, queue, priority, french, *where = operation
        server = where[0] if where else None
        skills = {"lang-fr": 2} if french else {}
        return CallQueued(
            now,
            f"c{serial}",
            queue,
            priority,
            skills,
            server=server,
            default_server=server == "east",
        )
    if kind in ("answer", "reject", "no-answer"):
        call_id = _choose(offered, operation[1])
        if call_id is None:  # nothing rings: a stray answer the core must drop
            return OfferAnswered(now, "stray", "a0")
        agent_id = center.calls[call_id].agent or ""
        fact = {"answer": OfferAnswered, "reject": OfferRejected, "no-answer": OfferTimedOut}
        return fact[kind](now, call_id, agent_id)
    if kind == "hang-up":
        return CallerHungUp(now, _choose(center.open_calls(), operation[1]) or "gone")
    if kind == "end":
        return CallEnded(now, _choose(connected, operation[1]) or "gone")
    if kind == "callback":
        _, pick, replace = operation
        waiting = sorted(c for c, t in center.calls.items() if t.state == "waiting")
        replaced = _choose(waiting, pick) if replace else None
        queue = center.calls[replaced].queue if replaced else QUEUES[pick % 3]
        return CallbackRequested(now, f"cb{serial}", queue, 0, {}, replaced)
    if kind == "ready":
        return AgentReady(now, operation[1])
    if kind == "pause":
        return AgentPaused(now, operation[1], operation[2])
    if kind == "login":
        return AgentLoggedIn(now, operation[1], ready=operation[2])
    if kind == "logout":
        return AgentLoggedOut(now, operation[1])
    if kind == "wrap-up-done":
        return WrapUpEnded(now, operation[1])
    if kind == "configure":
        return ConfigurationChanged(now, _variant(center.acd.settings, operation[1]), serial)
    return None


def _hang_up_everyone(center: CheckingCenter) -> None:
    for call_id in center.open_calls():
        if center.calls[call_id].state == "connected":
            center.send(CallEnded(center.now, call_id))
        else:
            center.send(CallerHungUp(center.now, call_id))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    strategy=st.sampled_from(RoutingStrategy),
    start_ready=st.lists(st.booleans(), min_size=len(AGENTS), max_size=len(AGENTS)),
    steps=st.lists(_step, min_size=20, max_size=120),
)
def test_random_days_keep_every_routing_invariant(
    strategy: RoutingStrategy, start_ready: list[bool], steps: list[tuple[int, tuple[Any, ...]]]
) -> None:
    center = CheckingCenter(_config(strategy))
    for agent_id, ready in zip(AGENTS, start_ready, strict=True):
        center.login(agent_id, ready=ready)
    queued: set[str] = set()
    for serial, (pause, operation) in enumerate(steps):
        center.wait(pause)
        if operation[0] == "wait":
            center.wait(operation[1])
            continue
        event = _event(center, operation, serial)
        if event is None:
            continue
        # An illegal request is refused; the invariants must hold all the same.
        with contextlib.suppress(AcdError):
            center.send(event)
        if isinstance(event, CallQueued | CallbackRequested):
            call_id = event.call_id if isinstance(event, CallQueued) else event.callback_id
            if call_id in center.calls or call_id in center.checker.outcomes:
                queued.add(call_id)  # admitted (a call to a removed queue is not)
        center.check_nothing_lost()

    _hang_up_everyone(center)
    center.wait(3600)  # let wrap-ups and stray timers run out

    # The checker already refused a second outcome for any call; now none may be missing.
    assert center.calls == {}
    assert set(center.checker.outcomes) == queued


def test_the_checker_follows_real_offers_so_the_properties_are_not_vacuous() -> None:
    """The checks above only bite on offers: make sure the checker sees them."""
    center = CheckingCenter(_config(RoutingStrategy.LONGEST_IDLE))
    center.login(*AGENTS)
    for serial in range(10):
        center.send(CallQueued(center.now, f"c{serial}", QUEUES[serial % 3]))
        center.wait(7)
    assert center.checker.offers >= 5


_FIFO_CONFIG = AcdSettings.model_validate(
    {
        "queues": [{"name": "line", "ring_timeout_seconds": 10, "wrap_up_seconds": 2}],
        "agents": [{"id": agent_id, "queues": ["line"]} for agent_id in ("f0", "f1", "f2")],
    }
)
_fifo_agent = st.sampled_from(("f0", "f1", "f2"))
_fifo_operation = st.one_of(
    st.tuples(
        st.just("arrive"),
        st.just("line"),
        st.sampled_from((0, 0, 0, 5)),
        st.just(False),
        st.just(None),
    ),
    st.tuples(st.just("ready"), _fifo_agent),
    st.tuples(st.just("pause"), _fifo_agent, st.just("break")),
    st.tuples(st.just("answer"), _pick),
    st.tuples(st.just("end"), _pick),
    st.tuples(st.just("no-answer"), _pick),
    st.tuples(st.just("hang-up"), _pick),
)


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(st.tuples(st.integers(0, 3), _fifo_operation), min_size=20, max_size=60))
def test_one_queue_offers_the_highest_priority_then_the_oldest_call_first(
    steps: list[tuple[int, tuple[Any, ...]]],
) -> None:
    center = CheckingCenter(_FIFO_CONFIG)
    center.login("f0", "f1", "f2", ready=False)
    for serial, (pause, operation) in enumerate(steps):
        center.wait(pause)
        event = _event(center, operation, serial)
        assert event is not None
        waiting = sorted(
            (-t.priority, t.entered_at, t.order, c)
            for c, t in center.calls.items()
            if t.state == "waiting"
        )
        try:
            commands = center.send(event)
        except AcdError:
            continue
        offered = [o.call_id for o in commands if isinstance(o, OfferCall)]
        if offered and not isinstance(event, CallQueued | OfferTimedOut):
            # A freed agent takes the head of the line as it stood before the event.
            assert offered[0] == waiting[0][3]


def _state_of(acd: Acd, now: float) -> tuple[object, ...]:
    return (
        acd.settings,
        acd.configuration_version,
        acd.all_queue_stats(now),
        acd.agent_views(now),
        [acd.waiting_calls(queue.name, now) for queue in acd.settings.queues],
        acd.armed_timers(),
    )


@settings(max_examples=40, deadline=None)
@given(
    strategy=st.sampled_from(RoutingStrategy),
    steps=st.lists(_step, min_size=20, max_size=80),
)
def test_replaying_the_accepted_inputs_rebuilds_the_same_state(
    strategy: RoutingStrategy, steps: list[tuple[int, tuple[Any, ...]]]
) -> None:
    """What the shell does after a failover: feed the event log into a fresh core."""
    center = CheckingCenter(_config(strategy))
    center.login(*AGENTS)
    accepted: list[Event] = []
    original_send = center.send

    def send_and_keep(event: Event) -> list[Command]:
        commands = original_send(event)  # raises, and is not kept, if refused
        accepted.append(event)
        return commands

    center.send = send_and_keep  # type: ignore[method-assign]
    for serial, (pause, operation) in enumerate(steps):
        center.wait(pause)
        event = _event(center, operation, serial) if operation[0] != "wait" else None
        if event is not None:
            with contextlib.suppress(AcdError):
                center.send(event)

    replica = Acd(_config(strategy))
    for event in [AgentLoggedIn(0.0, agent_id, ready=True) for agent_id in AGENTS] + accepted:
        replica.handle(event)

    assert _state_of(replica, center.now) == _state_of(center.acd, center.now)
