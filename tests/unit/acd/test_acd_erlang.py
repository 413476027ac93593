"""Erlang B/C: known values, stability for large centers, staffing."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from acd.erlang import (
    agents_needed,
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    forecast,
    service_level,
)


def _erlang_c_by_factorials(agents: int, traffic: int) -> float:
    """The textbook formula in exact arithmetic: only usable for small centers."""
    a = Fraction(traffic)
    top = a**agents / math.factorial(agents) * Fraction(agents, agents - traffic)
    bottom = sum(a**k / math.factorial(k) for k in range(agents)) + top
    return float(top / bottom)


def _erlang_c_in_log_space(agents: int, traffic: float) -> float:
    """The same formula through logarithms, as an independent check for large centers."""
    log_terms = [k * math.log(traffic) - math.lgamma(k + 1) for k in range(agents)]
    log_top = (
        agents * math.log(traffic) - math.lgamma(agents + 1) + math.log(agents / (agents - traffic))
    )
    peak = max(*log_terms, log_top)
    total = sum(math.exp(t - peak) for t in log_terms) + math.exp(log_top - peak)
    return math.exp(log_top - peak) / total


def test_erlang_b_matches_the_published_table() -> None:
    assert erlang_b(10, 5.0) == pytest.approx(0.018385, abs=1e-6)
    assert erlang_b(1, 1.0) == pytest.approx(0.5)


@pytest.mark.parametrize(("agents", "traffic"), [(2, 1), (5, 4), (12, 10), (30, 25)])
def test_erlang_c_agrees_with_the_factorial_formula(agents: int, traffic: int) -> None:
    assert erlang_c(agents, traffic) == pytest.approx(_erlang_c_by_factorials(agents, traffic))


@pytest.mark.parametrize(("agents", "traffic"), [(200, 180.0), (600, 570.5), (2000, 1950.0)])
def test_erlang_c_stays_exact_for_hundreds_and_thousands_of_agents(
    agents: int, traffic: float
) -> None:
    probability = erlang_c(agents, traffic)

    assert 0 < probability < 1
    assert probability == pytest.approx(_erlang_c_in_log_space(agents, traffic), rel=1e-9)


def test_service_level_and_asa_follow_the_design_formulas() -> None:
    waiting = erlang_c(10, 8.0)

    assert service_level(10, 8.0, 180, 20) == pytest.approx(
        1 - waiting * math.exp(-(10 - 8.0) * 20 / 180)
    )
    assert average_speed_of_answer(10, 8.0, 180) == pytest.approx(waiting * 180 / 2)


def test_an_understaffed_queue_makes_everyone_wait_forever() -> None:
    assert erlang_c(8, 8.0) == 1.0
    assert service_level(8, 9.0, 180, 20) == 0.0
    assert average_speed_of_answer(8, 9.0, 180) == math.inf


def test_agents_needed_is_the_smallest_staffing_meeting_the_target() -> None:
    rate, aht = 100 / 1800, 180.0  # 100 calls per half hour, 3 minutes each: 10 erlangs
    needed = agents_needed(rate, aht, target=0.8, threshold=20)

    assert needed == 14
    assert service_level(needed, rate * aht, aht, 20) >= 0.8
    assert service_level(needed - 1, rate * aht, aht, 20) < 0.8


def test_agents_needed_scales_to_large_centers() -> None:
    needed = agents_needed(1.0, 300.0, target=0.9, threshold=15)

    assert 300 < needed < 330
    assert (
        service_level(needed - 1, 300.0, 300.0, 15) < 0.9 <= service_level(needed, 300.0, 300.0, 15)
    )


def test_no_traffic_needs_no_agent_and_nobody_waits() -> None:
    assert agents_needed(0.0, 180, 0.8, 20) == 0
    assert erlang_c(3, 0.0) == 0.0
    assert service_level(0, 0.0, 180, 20) == 1.0


@pytest.mark.parametrize(
    "call",
    [
        lambda: erlang_c(-1, 1.0),
        lambda: erlang_c(1, -1.0),
        lambda: service_level(1, 0.5, 0, 20),
        lambda: agents_needed(1.0, 60, 1.0, 20),
    ],
)
def test_nonsense_inputs_are_refused(call: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        call()  # type: ignore[operator]


def test_forecast_gathers_every_figure_for_a_staffing_level() -> None:
    result = forecast(agents=10, arrival_rate=8 / 180, aht=180, threshold=20)

    assert result.traffic == pytest.approx(8)
    assert result.occupancy == pytest.approx(0.8)
    assert result.probability_of_waiting == pytest.approx(erlang_c(10, 8.0))
