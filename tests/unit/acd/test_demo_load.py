"""The demo's default load looks like a normal day: service level above target most of the time.

The ACD core runs through hours of the demo's calls in simulated time (`acd_simulation`),
with what the demo really has: the shipped queues and agents (agent1 is the person at the
desk, who has not logged in; the five others take calls), the callers `DemoCallers` makes
(known and unknown numbers, their language and tier, the menu key they press) routed as the
shipped hotline flow routes them, the arrival times `DemoLoad` gives (peaks included), and
the demo's phones (each agent's own ring and talk time). The wallboard's figure is probed
every minute, as a newcomer would glance at it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from acd_simulation import Behaviour, Simulation

from acd import Acd, AgentLoggedIn, CallerHungUp, CallQueued, QueueStats
from callcenter.app.settings import SHIPPED_FLOWS, load_settings
from callcenter.cli.main import build_parser
from callcenter.db.customer_import import read_customers
from callcenter.demo.traffic import (
    DEFAULT_CALLS_PER_MINUTE,
    DemoCallers,
    DemoLoad,
    agent_phones,
    arrival_times,
)
from callcenter.ivr.loader import load_flow_dir
from callcenter.sim import CallerScript, Press
from ivr_flows.nodes_exits import QueueNode
from ivr_flows.nodes_logic import EstimatedWaitNode, SetDataNode

ROOT = Path(__file__).resolve().parents[3]
SETTINGS = load_settings(ROOT / "config" / "callcenter.yaml", require_secrets=False)
CUSTOMERS = {
    phone: customer
    for customer in read_customers(ROOT / "config" / "demo" / "customers.csv").customers
    for phone in customer.phones
}
HOTLINE = load_flow_dir(SHIPPED_FLOWS)["main_hotline"]
BOTS = [agent.id for agent in SETTINGS.acd.agents[1:]]
"""The simulated agents; agent1 waits for the person trying the demo."""
TARGETS = {queue.name: queue.service_level_target for queue in SETTINGS.acd.queues}
HOURS = 6.0
"""A simulated day: long enough for a few peaks and for the figures to settle."""
DAYS = 20
SEED = 2026
WARM_UP_S = 600.0
"""The first calls of a day make the figures jump; a newcomer judges after a few minutes."""


def _queue_node(node_id: str) -> QueueNode:
    """Follow the hotline from a menu choice to the queue it ends in (no callback taken:
    the demo's callers do not answer the callback offer and keep waiting)."""
    node = HOTLINE.nodes[node_id]
    while not isinstance(node, QueueNode):
        if isinstance(node, SetDataNode):
            node = HOTLINE.nodes[node.next]
        elif isinstance(node, EstimatedWaitNode):
            node = HOTLINE.nodes[node.otherwise]
        else:
            raise AssertionError(f"the demo's callers do not pass {node_id}: {node}")
    return node


def route(script: CallerScript) -> tuple[str, int, dict[str, int]]:
    """(queue, priority, skills) of a demo caller, as the shipped hotline routes them."""
    customer = CUSTOMERS.get(script.number)
    data = {"language": "en"}  # unknown callers press 1 for English
    if customer is not None:
        data = {"language": customer.language or "en", "customer.tier": customer.tier.value}
        if customer.tier.value == "vip":
            node = _queue_node("vip_priority")
            skills, priority = node.routing(data)
            return node.queue, priority, skills
    keys = [step.digits for step in script.steps if isinstance(step, Press)]
    menu_key = keys[0] if customer is not None else keys[3]
    choice = HOTLINE.nodes["main_menu"].choices[menu_key]  # type: ignore[union-attr]
    if choice == "ask_order":  # order status, then 0 for an agent in the order menu
        choice = HOTLINE.nodes["order_menu"].choices["0"]  # type: ignore[union-attr]
    node = _queue_node(choice)
    skills, priority = node.routing(data)
    return node.queue, priority, skills


@dataclass
class Day:
    """What the wallboard showed through the simulated day."""

    glances: dict[str, list[float | None]]
    """Per queue, its service level a minute apart after the warm-up (None: no call yet)."""
    end: list[QueueStats]
    """Every queue's figures at the end of the day."""

    def on_target(self, queue: str | None = None) -> tuple[int, int]:
        """(glances at or above target, glances) at a queue (default: all queues)."""
        good = total = 0
        for name, values in self.glances.items():
            if queue is not None and name != queue:
                continue
            known = [value for value in values if value is not None]
            good += sum(value >= TARGETS[name] for value in known)
            total += len(known)
        return good, total

    def share_on_target(self, queue: str | None = None) -> float:
        """The share of glances at a queue (default: all) that saw it at or above target."""
        good, total = self.on_target(queue)
        return good / total

    @property
    def abandon_rate(self) -> float:
        """Callers who gave up waiting, of all callers who reached a queue."""
        return sum(s.abandoned for s in self.end) / sum(s.offered for s in self.end)


def _share(days: list[Day], queue: str | None = None) -> float:
    counts = [day.on_target(queue) for day in days]
    return sum(good for good, _ in counts) / sum(total for _, total in counts)


def simulate_demo(load: DemoLoad, seed: int) -> Day:
    """Run the demo's calls through `HOURS` of simulated time; what the wallboard showed."""
    rng = random.Random(seed)
    endpoints = [
        SETTINGS.telephony.endpoint(agent.id, SETTINGS.acd) for agent in SETTINGS.acd.agents
    ]
    phones = dict(
        zip(
            (agent.id for agent in SETTINGS.acd.agents),
            agent_phones(endpoints, random.Random(7)),  # as the demo seeds them
            strict=True,
        )
    )
    simulation = Simulation(
        SETTINGS.acd,
        Behaviour(
            arrival_rate=lambda _now: 1e-12,  # the arrivals are the demo's, scheduled below
            route=lambda _rng: ("general", 0, {}),
            mean_talk=0.0,
            talk_time=lambda _rng, agent: phones[agent or ""].talk_s or 0.0,
            answer_time=lambda _rng, agent: phones[agent].answer_after_s,
        ),
        seed=seed,
    )
    for agent in BOTS:
        simulation.schedule(0.0, AgentLoggedIn(0.0, agent, ready=True))
    callers = DemoCallers(list(CUSTOMERS), seed=seed)
    for index, at in enumerate(arrival_times(load, HOURS * 3600, rng)):
        script = callers(index)
        queue, priority, skills = route(script)
        simulation.schedule(at, CallQueued(at, f"c{index}", queue, priority, skills))
        leave = at + (script.patience_s or 0.0)
        simulation.schedule(leave, CallerHungUp(leave, f"c{index}"))
    glances: dict[str, list[float | None]] = {name: [] for name in TARGETS}

    def glance(core: Acd, now: float) -> None:
        if now >= WARM_UP_S:
            for stats in core.all_queue_stats(now):
                glances[stats.queue].append(stats.service_level)

    simulation.every(60.0, HOURS * 3600, glance)
    simulation.run(until=HOURS * 3600)
    return Day(glances, simulation.acd.all_queue_stats(HOURS * 3600))


def test_given_the_demos_default_load_then_service_level_is_above_target_most_of_the_time() -> None:
    """Twenty simulated days: one unlucky morning may keep a small queue's figure below
    target for a while (service level counts since the start of the day), but over the
    days each queue is on target in at least four glances of five, all queues together in
    nine of ten, no single day is mostly red, and hardly anybody gives up."""
    days = [simulate_demo(DemoLoad(), seed=SEED + n) for n in range(DAYS)]

    for queue in TARGETS:
        assert _share(days, queue) >= 0.8, queue
    assert _share(days) >= 0.9
    for day in days:
        assert day.share_on_target() >= 0.7, day.glances
        assert day.abandon_rate < 0.05


def test_given_the_old_default_of_6_calls_a_minute_then_the_floor_is_overloaded() -> None:
    """What a newcomer used to see: every queue red, a third of the callers giving up."""
    day = simulate_demo(DemoLoad(calls_per_minute=6.0), seed=SEED)

    assert day.share_on_target() < 0.05
    assert day.abandon_rate > 0.25
    assert all(stats.service_level < TARGETS[stats.queue] for stats in day.end)  # all red


def test_the_demo_load_is_calm_first_then_peaks_now_and_then_at_a_multiple_of_the_rate() -> None:
    load = DemoLoad()

    assert not load.in_peak(0.0)
    assert not load.in_peak(load.first_peak_s - 1)
    assert load.in_peak(load.first_peak_s)
    assert not load.in_peak(load.first_peak_s + load.peak_s)
    assert load.in_peak(load.first_peak_s + load.peak_every_s + 1)
    assert load.rate_per_s(load.first_peak_s) == load.peak_factor * load.rate_per_s(0.0)
    arrivals = arrival_times(load, HOURS * 3600, random.Random(SEED))
    in_peaks = sum(load.in_peak(at) for at in arrivals)
    peak_share = load.peak_s / load.peak_every_s
    expected = HOURS * 60 * DEFAULT_CALLS_PER_MINUTE * (1 + peak_share * (load.peak_factor - 1))
    assert abs(len(arrivals) - expected) < 4 * expected**0.5  # a Poisson count
    assert in_peaks > len(arrivals) * peak_share  # peaks bring more than their share of time


def test_the_demo_command_takes_the_load_as_a_knob() -> None:
    args = build_parser().parse_args(["demo", "--calls-per-minute", "3", "--no-peaks"])
    assert (args.calls_per_minute, args.peaks) == (3.0, False)
    default = build_parser().parse_args(["demo"])
    assert (default.calls_per_minute, default.peaks) == (None, True)  # DemoLoad's defaults
