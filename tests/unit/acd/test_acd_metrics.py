"""Live metrics with the definitions of docs/ARCHITECTURE.md ("Metric definitions")."""

from __future__ import annotations

from typing import Any

import pytest
from acd_testkit import Center, agent, queue, settings

from acd import AgentPaused, AgentReady, CallerHungUp, MetricsReset, ServiceLevelFormula
from acd.states import AgentState


def _center(**fields: Any) -> Center:
    return Center(settings([queue(**fields)], [agent("a1"), agent("a2")]))


def _scenario(**fields: Any) -> Center:
    """Answered at 10 s and at 30 s, a short abandon at 2 s, a long abandon at 40 s."""
    center = _center(service_level_seconds=20, short_abandon_seconds=5, wrap_up_seconds=0, **fields)
    center.login("a1", ready=False)
    for call_id, wait in (("fast", 10), ("slow", 30)):
        center.call(call_id)
        center.wait(wait)
        center.send(AgentReady(center.now, "a1"))
        center.answer(call_id, "a1")
        center.wait(100)
        center.end(call_id)
        center.send(AgentPaused(center.now, "a1", "break"))
    for call_id, wait in (("short", 2), ("long", 40)):
        center.call(call_id)
        center.wait(wait)
        center.send(CallerHungUp(center.now, call_id))
    return center


def test_service_level_is_answered_in_time_over_answered_plus_long_abandons() -> None:
    stats = _scenario().acd.queue_stats("support", 1000)

    assert stats.service_level == pytest.approx(1 / 3)
    assert (stats.answered, stats.abandoned, stats.short_abandoned) == (2, 1, 1)


@pytest.mark.parametrize(
    ("formula", "expected"),
    [(ServiceLevelFormula.OFFERED, 1 / 4), (ServiceLevelFormula.ANSWERED, 1 / 2)],
)
def test_service_level_formula_is_configurable(
    formula: ServiceLevelFormula, expected: float
) -> None:
    stats = _scenario(service_level_formula=formula).acd.queue_stats("support", 1000)

    assert stats.service_level == pytest.approx(expected)


def test_abandon_rate_leaves_out_short_abandons() -> None:
    assert _scenario().acd.queue_stats("support", 1000).abandon_rate == pytest.approx(1 / 4)


def test_asa_is_total_wait_of_answered_calls_over_answered_calls() -> None:
    assert _scenario().acd.queue_stats("support", 1000).asa == pytest.approx(20)


def test_aht_is_talk_plus_wrap_up_over_handled_calls() -> None:
    center = _center(wrap_up_seconds=20)
    center.login("a1")
    center.call("c1")
    center.answer("c1", "a1")
    center.wait(100)
    center.end("c1")
    center.wait(20)

    assert center.acd.queue_stats("support", center.now).aht == 120


def test_occupancy_is_handling_over_handling_and_available_time() -> None:
    center = _center(wrap_up_seconds=10)
    center.login("a1")
    center.wait(50)  # available
    center.call("c1")
    center.wait(10)  # ringing: still available
    center.answer("c1", "a1")
    center.wait(30)
    center.end("c1")
    center.wait(10)  # wrap-up, then ready again
    center.send(AgentPaused(center.now, "a1", "lunch"))
    center.wait(500)  # paused time counts neither way

    assert center.acd.agent_view("a1", center.now).occupancy == pytest.approx(40 / 100)


def test_longest_wait_is_the_age_of_the_oldest_waiting_call_whatever_its_priority() -> None:
    center = _center()
    center.call("old")
    center.wait(30)
    center.call("vip", priority=5)
    center.wait(10)

    stats = center.acd.queue_stats("support", center.now)

    assert (stats.longest_wait, stats.calls_waiting) == (40, 2)


def test_longest_wait_includes_a_call_ringing_an_agent() -> None:
    center = _center(ring_timeout_seconds=60)
    center.login("a1")
    center.call("c1")
    center.wait(12)

    stats = center.acd.queue_stats("support", center.now)

    assert (stats.longest_wait, stats.calls_waiting, stats.calls_ringing) == (12, 0, 1)


def test_agents_by_state_counts_the_members_of_the_queue() -> None:
    center = _center()
    center.login("a1")
    center.call("c1")
    center.login("a2", ready=False)

    by_state = center.acd.queue_stats("support", center.now).agents_by_state

    assert by_state[AgentState.RESERVED] == 1
    assert by_state[AgentState.NOT_READY] == 1
    assert by_state[AgentState.READY] == 0


def test_erlang_figures_follow_the_observed_arrival_rate_and_staffing() -> None:
    center = _center(default_handle_seconds=60, ring_timeout_seconds=3600)
    center.login("a1", "a2")
    for index in range(10):
        center.call(f"c{index}")
        center.wait(60)

    stats = center.acd.queue_stats("support", center.now)

    # 10 calls in 600 s at 60 s each: A = 1 erlang. Two agents: P(wait) = 1/3, so
    # ASA = 1/3 x 60 / (2 - 1) = 20 s and SL(20 s) = 1 - 1/3 e^(-1/3) = 0.76 < 0.8: 3 needed.
    assert stats.arrival_rate == pytest.approx(10 / 600)
    assert stats.erlang_asa == pytest.approx(20)
    assert stats.agents_needed == 3


def test_a_call_just_after_the_start_is_not_read_as_a_burst_of_arrivals() -> None:
    center = _center(default_handle_seconds=60)
    center.login("a1")
    center.wait(4)
    center.call("c1")

    stats = center.acd.queue_stats("support", center.now)

    assert stats.arrival_rate == pytest.approx(1 / 300)  # not 1 / 4
    assert stats.agents_needed == 1


def test_metrics_reset_starts_a_new_reporting_period() -> None:
    center = _scenario()
    center.send(MetricsReset(center.now))

    stats = center.acd.queue_stats("support", center.now)

    assert (stats.offered, stats.answered, stats.service_level) == (0, 0, None)
    assert center.acd.agent_view("a1", center.now).calls_today == 0


def test_queue_occupancy_and_agent_aht_are_shown_on_the_wallboard() -> None:
    center = _center(wrap_up_seconds=10)
    center.login("a1")
    center.wait(60)
    center.call("c1")
    center.answer("c1", "a1")
    center.wait(50)
    center.end("c1")
    center.wait(10)

    assert center.acd.queue_stats("support", center.now).occupancy == pytest.approx(60 / 120)
    assert center.acd.agent_view("a1", center.now).aht == 60
