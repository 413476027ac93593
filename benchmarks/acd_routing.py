"""Routing decisions of the ACD core at contact-center scale.

Builds a center of 2,000 agents, 100 skills and 50 queues, for each routing strategy, and
times single calls of ``Acd.handle`` that make a routing decision:

* agent -> call: 10,000 calls wait across the queues (some of them already relaxed a step or
  two); an agent finishes a call and the core picks their next call (``CallEnded``);
* call -> agent: every agent is ready and nobody waits; a call arrives and the core picks
  its agent (``CallQueued``).

Prints one row per strategy and scenario: decisions per second (1 / mean), p50 and p99 time
per decision, and the memory the core holds after setup (tracemalloc). Plain Python, no
assertions; ``--quick`` runs a small center for smoke tests.

    .venv/bin/python benchmarks/acd_routing.py [--quick] [--strategy longest_idle ...]
"""

from __future__ import annotations

import argparse
import gc
import heapq
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Run from a checkout without installing: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from acd import (
    Acd,
    AcdSettings,
    AgentLoggedIn,
    AgentReady,
    CallEnded,
    CallQueued,
    CancelTimer,
    Command,
    Event,
    OfferAnswered,
    OfferCall,
    RoutingStrategy,
    StartTimer,
    TimerFired,
    TimerKey,
)

LANGUAGES = 5


@dataclass(frozen=True)
class Size:
    """How big a center to build and how many decisions to time."""

    agents: int
    skills: int
    queues: int
    waiting: int
    decisions: int


FULL = Size(agents=2000, skills=100, queues=50, waiting=10_000, decisions=20_000)
QUICK = Size(agents=100, skills=20, queues=10, waiting=400, decisions=400)


def build_settings(size: Size, strategy: RoutingStrategy, rng: random.Random) -> AcdSettings:
    """Queues on the first skills, languages on the next few, agents in 3-5 queues each."""
    queues = [
        {
            "name": f"q{index:02d}",
            "skills": {f"s{index:02d}": rng.randint(2, 4)},
            "relaxation": [
                {"after_seconds": 30, "min_level": 2},
                {"after_seconds": 90},
            ],
            "weight": rng.choice([1.0, 1.0, 1.5, 2.0]),
            "strategy": strategy,
            "ring_timeout_seconds": 20,
            "wrap_up_seconds": 0,
            "announcements": {"position": False, "estimated_wait": False},
        }
        for index in range(size.queues)
    ]
    language_skills = [f"s{size.queues + index:02d}" for index in range(LANGUAGES)]
    spare_skills = [f"s{index:02d}" for index in range(size.queues + LANGUAGES, size.skills)]
    agents = []
    for index in range(size.agents):
        memberships = rng.sample(range(size.queues), k=rng.randint(3, 5))
        skills = {f"s{q:02d}": rng.randint(1, 5) for q in memberships}
        for language in rng.sample(language_skills, k=rng.choice([0, 0, 1, 1, 2])):
            skills[language] = rng.randint(2, 5)
        for spare in rng.sample(spare_skills, k=min(3, len(spare_skills))):
            skills[spare] = rng.randint(1, 5)
        agents.append(
            {"id": f"a{index:04d}", "skills": skills, "queues": [f"q{q:02d}" for q in memberships]}
        )
    return AcdSettings.model_validate({"queues": queues, "agents": agents})


class Driver:
    """Feeds the core and plays the shell's part: timers, answers, call ids."""

    def __init__(self, settings: AcdSettings, size: Size, rng: random.Random) -> None:
        self.acd = Acd(settings)
        self.size = size
        self.rng = rng
        self.now = 0.0
        self.serial = 0
        self.timers: list[tuple[float, int, TimerKey]] = []
        self.armed: set[TimerKey] = set()
        self.offers: list[OfferCall] = []
        self.talking: dict[str, str] = {}
        self.language_skills = [f"s{size.queues + i:02d}" for i in range(LANGUAGES)]

    def send(self, event: Event) -> list[Command]:
        """Feed an event untimed, keeping the shell's side in step."""
        commands = self.acd.handle(event)
        self.follow(commands)
        return commands

    def follow(self, commands: list[Command]) -> None:
        """Arm and cancel timers, remember offers."""
        for command in commands:
            if isinstance(command, StartTimer):
                self.armed.add(command.key)
                heapq.heappush(self.timers, (command.at, command.key.serial, command.key))
            elif isinstance(command, CancelTimer):
                self.armed.discard(command.key)
            elif isinstance(command, OfferCall):
                self.offers.append(command)

    def tick(self, seconds: float) -> None:
        """Let time pass, firing due timers untimed (relaxation steps, mostly)."""
        self.now += seconds
        while self.timers and self.timers[0][0] <= self.now:
            _, _, key = heapq.heappop(self.timers)
            if key in self.armed:
                self.armed.discard(key)
                self.send(TimerFired(self.now, key))

    def new_call(self) -> CallQueued:
        """A call for a random queue; VIPs first; some ask for a language."""
        self.serial += 1
        rng = self.rng
        skills = {}
        if rng.random() < 0.3:
            skills[rng.choice(self.language_skills)] = rng.randint(2, 3)
        priority = 5 if rng.random() < 0.1 else 0
        queue = f"q{rng.randrange(self.size.queues):02d}"
        return CallQueued(self.now, f"c{self.serial}", queue, priority, skills)

    def answer_offers(self) -> None:
        """Every agent ringing answers at once."""
        offers, self.offers = self.offers, []
        for offer in offers:
            self.send(OfferAnswered(self.now, offer.call_id, offer.agent_id))
            self.talking[offer.agent_id] = offer.call_id


def busy_center(driver: Driver) -> None:
    """Every agent talking, ``waiting`` calls in line, the oldest ten minutes old."""
    size = driver.size
    agent_ids = [agent.id for agent in driver.acd.settings.agents]
    for agent_id in agent_ids:
        driver.send(AgentLoggedIn(driver.now, agent_id))
    backlog = size.waiting + size.agents
    for _ in range(backlog):
        driver.send(driver.new_call())
        driver.tick(600.0 / backlog)
    for agent_id in agent_ids:
        driver.send(AgentReady(driver.now, agent_id))
    driver.answer_offers()


def agent_finishes_a_call(driver: Driver) -> Event:
    """A random agent's call ends: the core picks their next call."""
    driver.answer_offers()
    agent_id = driver.rng.choice(list(driver.talking))
    call_id = driver.talking.pop(agent_id)
    driver.tick(0.01)
    driver.send(driver.new_call())  # keep the backlog where it is
    return CallEnded(driver.now, call_id)


def quiet_center(driver: Driver) -> None:
    """Every agent ready, nobody waiting."""
    for agent in driver.acd.settings.agents:
        driver.send(AgentLoggedIn(driver.now, agent.id, ready=True))
        driver.tick(0.05)


def a_call_arrives(driver: Driver) -> Event:
    """The previous call is answered and over, so nearly every agent stays ready."""
    driver.answer_offers()
    for agent_id, call_id in list(driver.talking.items()):
        driver.send(CallEnded(driver.now, call_id))
        del driver.talking[agent_id]
    driver.tick(0.01)
    return driver.new_call()


SCENARIOS: dict[str, tuple[Callable[[Driver], None], Callable[[Driver], Event]]] = {
    "agent->call": (busy_center, agent_finishes_a_call),
    "call->agent": (quiet_center, a_call_arrives),
}


def measure(size: Size, strategy: RoutingStrategy, scenario: str, seed: int) -> dict[str, float]:
    """Build a center, set up the scenario, and time its decisions."""
    setup, next_event = SCENARIOS[scenario]
    rng = random.Random(seed)
    settings = build_settings(size, strategy, rng)
    gc.collect()
    tracemalloc.start()  # weighs the core and its backlog; off again before timing
    driver = Driver(settings, size, rng)
    setup(driver)
    # Warm up: the core creates a lane the first time a (queue, requirement) shows up;
    # a center that has run for a while has them all, so time the steady state.
    for _ in range(size.decisions // 4):
        driver.follow(driver.acd.handle(next_event(driver)))
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    gc.collect()
    timings: list[int] = []
    clock = time.perf_counter_ns
    handle = driver.acd.handle
    while len(timings) < size.decisions:
        event = next_event(driver)
        started = clock()
        commands = handle(event)
        elapsed = clock() - started
        driver.follow(commands)
        if any(isinstance(command, OfferCall) for command in commands):
            timings.append(elapsed)
    timings.sort()
    return {
        "decisions_per_second": 1e9 / (sum(timings) / len(timings)),
        "p50_us": timings[len(timings) // 2] / 1000,
        "p99_us": timings[int(len(timings) * 0.99)] / 1000,
        "memory_mb": memory / 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run every strategy and scenario, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small center, for smoke tests")
    parser.add_argument(
        "--strategy",
        action="append",
        choices=[s.value for s in RoutingStrategy],
        help="only these strategies (repeatable); default: all",
    )
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    strategies = [RoutingStrategy(s) for s in args.strategy or [s.value for s in RoutingStrategy]]
    print(
        f"ACD routing: {size.agents} agents, {size.skills} skills, {size.queues} queues, "
        f"{size.waiting} waiting calls (agent->call), {size.decisions} decisions per row; "
        f"Python {sys.version.split()[0]}"
    )
    columns = ["strategy", "decision", "decisions/s", "p50 µs", "p99 µs", "memory MB"]
    widths = [16, 11, 11, 7, 7, 9]
    print("| " + " | ".join(f"{c:<{w}}" for c, w in zip(columns, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for strategy in strategies:
        for scenario in SCENARIOS:
            row = measure(size, strategy, scenario, args.seed)
            print(
                f"| {strategy.value:<16} | {scenario:<11} | {row['decisions_per_second']:>11,.0f} "
                f"| {row['p50_us']:>7.1f} | {row['p99_us']:>7.1f} | {row['memory_mb']:>9.1f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
