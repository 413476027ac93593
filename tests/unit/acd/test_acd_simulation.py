"""Simulated traffic: the core against Erlang C, and a whole day of a 200-agent center."""

from __future__ import annotations

import random
import time

import pytest
from acd_simulation import Behaviour, Simulation

from acd import AcdSettings, AgentLoggedIn, RoutingStrategy
from acd.erlang import average_speed_of_answer, erlang_c, service_level

AGENTS = 10
AHT = 180.0
TRAFFIC = 7.0  # erlangs: 70 % occupancy, a fifth of callers wait
CALLS = 40_000
WARM_UP = 2_000


def _erlang_queue() -> AcdSettings:
    return AcdSettings.model_validate(
        {
            "queues": [
                {
                    "name": "erlang",
                    "wrap_up_seconds": 0,
                    "announcements": {"position": False, "estimated_wait": False},
                }
            ],
            "agents": [{"id": f"a{i}", "queues": ["erlang"]} for i in range(AGENTS)],
        }
    )


def test_measured_waiting_service_level_and_asa_agree_with_erlang_c() -> None:
    """M/M/10 at 7 erlangs: Poisson arrivals, exponential talk, no abandons, instant answer.

    Erlang C: P(wait) = 0.222, SL(20 s) = 0.841, ASA = 13.3 s. Tolerances for 38,000
    measured calls (fixed seed): 0.025 absolute on P(wait) and SL, 20 % relative on ASA.
    Measured over ten other seeds, one standard deviation is about 0.006 on P(wait) and SL
    and 8 % on ASA, whose heavy, autocorrelated tail makes it the noisiest; longer runs
    (200,000 calls) show no bias.
    """
    rate = TRAFFIC / AHT
    simulation = Simulation(
        _erlang_queue(),
        Behaviour(
            arrival_rate=lambda _now: rate,
            route=lambda _rng: ("erlang", 0, {}),
            mean_talk=AHT,
        ),
        seed=20240611,
    )
    for index in range(AGENTS):
        simulation.schedule(0.0, AgentLoggedIn(0.0, f"a{index}", ready=True))

    observed = simulation.run(until=CALLS / rate)

    waits = observed.answer_waits[WARM_UP:]
    assert len(waits) > 37_000
    measured_wait = sum(1 for w in waits if w > 0) / len(waits)
    measured_sl = sum(1 for w in waits if w <= 20) / len(waits)
    measured_asa = sum(waits) / len(waits)
    assert measured_wait == pytest.approx(erlang_c(AGENTS, TRAFFIC), abs=0.025)
    assert measured_sl == pytest.approx(service_level(AGENTS, TRAFFIC, AHT, 20), abs=0.025)
    assert measured_asa == pytest.approx(average_speed_of_answer(AGENTS, TRAFFIC, AHT), rel=0.2)


def _center_of_200_agents(seed: int) -> AcdSettings:
    """Five queues sharing 200 agents, with skills, relaxation, overflow and callbacks."""
    rng = random.Random(seed)
    queues = [
        {
            "name": "billing",
            "skills": {"billing": 3},
            "relaxation": [{"after_seconds": 30, "min_level": 2}, {"after_seconds": 90}],
            "max_wait_seconds": 600,
            "overflow": "queue:general",
            "weight": 1.5,
            "wrap_up_seconds": 20,
            "strategy": RoutingStrategy.BEST_PROFICIENCY,
        },
        {
            "name": "sales",
            "skills": {"sales": 2},
            "relaxation": [{"after_seconds": 60, "min_level": 1}],
            "max_wait_seconds": 900,
            "overflow": "callback",
            "wrap_up_seconds": 15,
            "strategy": RoutingStrategy.FEWEST_CALLS,
        },
        {
            "name": "support",
            "skills": {"support": 3},
            "relaxation": [{"after_seconds": 45, "min_level": 1}, {"after_seconds": 120}],
            "wrap_up_seconds": 30,
        },
        {
            "name": "general",
            "max_wait_seconds": 1200,
            "overflow": "voicemail:general",
            "wrap_up_seconds": 10,
            "strategy": RoutingStrategy.ROUND_ROBIN,
        },
        {
            "name": "vip",
            "skills": {"support": 4},
            "relaxation": [{"after_seconds": 20, "min_level": 3}, {"after_seconds": 40}],
            "weight": 3,
            "strategy": RoutingStrategy.BEST_PROFICIENCY,
        },
    ]
    skill_of = {"billing": "billing", "sales": "sales", "support": "support", "vip": "support"}
    agents = []
    for index in range(200):
        memberships = [*rng.sample(["billing", "sales", "support"], k=2), "general"]
        if "support" in memberships and rng.random() < 0.3:
            memberships.append("vip")
        skills = {skill_of[q]: rng.randint(1, 5) for q in memberships if q in skill_of}
        if rng.random() < 0.25:
            skills["lang-fr"] = rng.randint(2, 5)
        agents.append({"id": f"agent{index:03d}", "skills": skills, "queues": memberships})
    return AcdSettings.model_validate({"queues": queues, "agents": agents})


def _route(rng: random.Random) -> tuple[str, int, dict[str, int]]:
    queue = rng.choices(["billing", "sales", "support", "general", "vip"], [3, 3, 3, 1, 1])[0]
    priority = 10 if queue == "vip" else rng.choice([0, 0, 0, 0, 5])
    skills = {"lang-fr": 3} if queue == "support" and rng.random() < 0.2 else {}
    return queue, priority, skills


def test_an_eight_hour_day_of_a_200_agent_center_runs_in_seconds_and_loses_no_call() -> None:
    day = 8 * 3600.0
    config = _center_of_200_agents(seed=7)
    simulation = Simulation(
        config,
        Behaviour(
            # About 160 erlangs of talk and wrap-up, with a late-morning peak.
            arrival_rate=lambda now: 0.55 + 0.15 * (1 - abs(now - 3 * 3600) / (5 * 3600)),
            route=_route,
            mean_talk=240.0,
            answer_delay=3.0,
            no_answer_probability=0.02,
            mean_patience=300.0,
            break_probability=0.01,
        ),
        seed=8,
        checked=True,
    )
    for agent in config.agents:
        simulation.schedule(0.0, AgentLoggedIn(0.0, agent.id, ready=True))
    wallboard: list[float] = []
    simulation.every(
        300.0,
        day,
        lambda acd, now: wallboard.extend(stats.longest_wait for stats in acd.all_queue_stats(now)),
    )

    started = time.perf_counter()
    observed = simulation.run(until=day)
    elapsed = time.perf_counter() - started

    checker = simulation.checker
    assert checker is not None
    assert elapsed < 60, f"an 8-hour day took {elapsed:.1f} s"
    assert observed.arrivals > 15_000
    assert checker.calls == {}, "every call ended"
    assert len(checker.outcomes) == observed.arrivals, "one outcome per call"
    answered = observed.outcomes["answered"]
    assert answered > 0.8 * observed.arrivals
    stats = simulation.acd.all_queue_stats(simulation.now)
    assert sum(s.answered for s in stats) == answered, "live metrics agree with the outcomes"
    assert all(s.answered > 0 and s.service_level is not None for s in stats)
    assert max(wallboard) > 0
