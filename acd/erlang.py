"""Erlang C: waiting probability, service level, ASA and staffing for an M/M/N queue.

Strategy: never compute factorials or powers of the traffic (they overflow a float past
~170 agents). Erlang B has a stable recurrence, B(0) = 1 and
B(k) = A B(k-1) / (k + A B(k-1)), whose terms stay in [0, 1]; Erlang C follows from it as
C = N B / (N - A (1 - B)). This is exact for thousands of agents. Formulas as in
docs/ARCHITECTURE.md ("Metric definitions"):

* A = arrival rate x AHT (erlangs);
* SL(t) = 1 - C exp(-(N - A) t / AHT);
* ASA = C AHT / (N - A);
* staffing = the smallest N > A that meets the target.

With N <= A the queue grows without bound: every caller waits, SL is 0 and ASA infinite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from acd.types import Seconds

_MAX_AGENTS = 1_000_000


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability of ``agents`` servers offered ``traffic`` erlangs (no queue)."""
    _check(agents, traffic)
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic * blocking / (k + traffic * blocking)
    return blocking


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a caller has to wait, with ``agents`` and ``traffic`` erlangs."""
    _check(agents, traffic)
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    return _c_from_b(agents, traffic, erlang_b(agents, traffic))


def service_level(agents: int, traffic: float, aht: Seconds, threshold: Seconds) -> float:
    """Share of callers answered within ``threshold`` seconds."""
    _check_aht(aht)
    if traffic == 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    return _sl_from_c(agents, traffic, aht, threshold, erlang_c(agents, traffic))


def average_speed_of_answer(agents: int, traffic: float, aht: Seconds) -> Seconds:
    """Mean wait over all callers (those answered at once count as 0 s)."""
    _check_aht(aht)
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(agents, traffic) * aht / (agents - traffic)


def agents_needed(arrival_rate: float, aht: Seconds, target: float, threshold: Seconds) -> int:
    """The fewest agents that answer ``target`` (e.g. 0.8) of calls within ``threshold`` s.

    ``arrival_rate`` is in calls per second. No traffic needs no agent.
    """
    _check_aht(aht)
    if not 0 < target < 1:
        raise ValueError(f"service-level target must be between 0 and 1 (exclusive): {target}")
    if arrival_rate < 0:
        raise ValueError(f"arrival rate cannot be negative: {arrival_rate}")
    traffic = arrival_rate * aht
    if traffic == 0:
        return 0
    agents = math.floor(traffic) + 1
    blocking = erlang_b(agents, traffic)
    # Walk up one agent at a time, extending the Erlang B recurrence instead of restarting.
    while agents < _MAX_AGENTS:
        waiting = _c_from_b(agents, traffic, blocking)
        if _sl_from_c(agents, traffic, aht, threshold, waiting) >= target:
            return agents
        agents += 1
        blocking = traffic * blocking / (agents + traffic * blocking)
    raise ValueError(f"no staffing up to {_MAX_AGENTS} agents meets the target")


@dataclass(frozen=True, slots=True)
class ErlangCForecast:
    """What Erlang C predicts for a staffing level, as shown on a wallboard."""

    agents: int
    traffic: float
    occupancy: float
    probability_of_waiting: float
    service_level: float
    average_speed_of_answer: Seconds


def forecast(agents: int, arrival_rate: float, aht: Seconds, threshold: Seconds) -> ErlangCForecast:
    """Every Erlang C figure for ``agents`` at ``arrival_rate`` calls per second."""
    traffic = arrival_rate * aht
    return ErlangCForecast(
        agents=agents,
        traffic=traffic,
        occupancy=min(1.0, traffic / agents) if agents else 1.0,
        probability_of_waiting=erlang_c(agents, traffic),
        service_level=service_level(agents, traffic, aht, threshold),
        average_speed_of_answer=average_speed_of_answer(agents, traffic, aht),
    )


def _c_from_b(agents: int, traffic: float, blocking: float) -> float:
    return agents * blocking / (agents - traffic * (1.0 - blocking))


def _sl_from_c(
    agents: int, traffic: float, aht: Seconds, threshold: Seconds, waiting: float
) -> float:
    return 1.0 - waiting * math.exp(-(agents - traffic) * threshold / aht)


def _check(agents: int, traffic: float) -> None:
    if agents < 0:
        raise ValueError(f"number of agents cannot be negative: {agents}")
    if traffic < 0 or not math.isfinite(traffic):
        raise ValueError(f"traffic must be a finite number of erlangs >= 0: {traffic}")


def _check_aht(aht: Seconds) -> None:
    if aht <= 0 or not math.isfinite(aht):
        raise ValueError(f"average handle time must be a positive number of seconds: {aht}")
