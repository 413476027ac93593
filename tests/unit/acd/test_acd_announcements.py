"""Position and estimated-wait announcements, and the estimates behind them."""

from __future__ import annotations

import pytest
from acd_testkit import Center, agent, only, queue, settings

from acd import Announce, AnnouncementPolicy
from acd.estimates import expected_handle_time, wait_for_next_caller, wait_for_position
from acd.metrics import QueueCounters


def _center(policy: AnnouncementPolicy, agents: int = 2) -> Center:
    return Center(
        settings(
            [queue(announcements=policy, default_handle_seconds=120)],
            [agent(f"a{i}") for i in range(agents)],
        )
    )


def test_waiting_caller_hears_position_and_estimated_wait_at_the_configured_times() -> None:
    center = _center(AnnouncementPolicy(first_after_seconds=10, every_seconds=30))
    center.login("a0", "a1")
    for busy, agent_id in (("busy0", "a0"), ("busy1", "a1")):
        center.call(busy)
        center.answer(busy, agent_id)
    center.call("c1")
    center.call("c2")

    assert only(center.wait(9), Announce) == []
    first = [a for a in only(center.wait(1), Announce) if a.call_id == "c2"]
    later = [a for a in only(center.wait(30), Announce) if a.call_id == "c2"]

    # Two agents busy, AHT 120 s: position 2 waits about 2 x 120 / 2 = 120 s.
    assert first == [Announce("c2", "support", 2, 120.0)]
    assert later == [Announce("c2", "support", 2, 120.0)]


def test_position_moves_up_as_the_calls_ahead_are_answered() -> None:
    center = _center(AnnouncementPolicy(first_after_seconds=10, every_seconds=30), agents=1)
    center.login("a0")
    center.call("busy")
    center.call("c1")
    center.call("c2")
    center.wait(10)
    center.answer("busy", "a0")
    center.end("busy")  # a0 now rings with c1
    center.answer("c1", "a0")

    heard = [a.position for a in only(center.wait(30), Announce) if a.call_id == "c2"]

    assert heard == [1]


def test_announcement_leaves_out_what_the_policy_turns_off() -> None:
    center = _center(AnnouncementPolicy(estimated_wait=False, first_after_seconds=0))
    center.call("c1")

    assert only(center.wait(0), Announce) == [Announce("c1", "support", 1, None)]


def test_no_announcement_when_the_policy_has_nothing_to_say() -> None:
    center = _center(AnnouncementPolicy(position=False, estimated_wait=False))
    center.call("c1")

    assert only(center.wait(600), Announce) == []


def test_announcing_once_when_no_repeat_is_configured() -> None:
    center = _center(AnnouncementPolicy(first_after_seconds=5, every_seconds=None))
    center.call("c1")

    assert len(only(center.wait(600), Announce)) == 1


def test_estimate_is_position_times_handle_time_over_staffed_agents() -> None:
    assert wait_for_position(3, staffed=6, aht=120) == 60
    assert wait_for_position(1, staffed=0, aht=120) is None
    assert wait_for_next_caller(waiting=0, ready=1, staffed=3, aht=120) == 0
    assert wait_for_next_caller(waiting=2, ready=0, staffed=3, aht=120) == 120


def test_observed_handle_time_is_blended_with_the_default_while_few_calls_are_known() -> None:
    counters = QueueCounters()
    assert expected_handle_time(counters, 100) == 100
    for _ in range(990):
        counters.note_handled(300)
    assert expected_handle_time(counters, 100) == pytest.approx(298, abs=0.1)


def test_call_view_shows_position_and_estimate_to_the_wallboard() -> None:
    center = _center(AnnouncementPolicy(), agents=1)
    center.login("a0")
    center.call("busy")
    center.call("c1")
    center.wait(4)

    view = center.acd.call_view("c1", center.now)

    assert view is not None
    assert (view.position, view.waited, view.estimated_wait) == (1, 4, 120)
