"""Facts that no longer apply are dropped and reported; they never crash the core."""

from __future__ import annotations

import math

from acd_testkit import Center, agent, offers, only, queue, settings

from acd import (
    CallEnded,
    CallerHungUp,
    CallQueued,
    Command,
    OfferAnswered,
    OfferRejected,
    StaleFact,
    TimerFired,
)


def _center() -> Center:
    return Center(settings([queue()], [agent("a1"), agent("a2")]))


def _stale_reason(commands: list[Command]) -> str:
    assert [type(c) for c in commands] == [StaleFact]
    return only(commands, StaleFact)[0].reason


def test_answer_for_a_call_that_is_already_gone_is_stale() -> None:
    center = _center()
    center.login("a1")
    center.call("c1")
    center.send(CallerHungUp(center.now, "c1"))

    reason = _stale_reason(center.send(OfferAnswered(center.now, "c1", "a1")))

    assert reason == "call 'c1' is not in the ACD"


def test_answer_from_an_agent_the_call_was_not_offered_to_is_stale() -> None:
    center = _center()
    center.login("a1")
    center.call("c1")

    assert "not being offered to 'a2'" in _stale_reason(
        center.send(OfferAnswered(center.now, "c1", "a2"))
    )


def test_call_ended_for_a_call_still_waiting_is_stale_and_the_call_keeps_waiting() -> None:
    center = _center()
    center.call("c1")

    assert "is waiting, not connected" in _stale_reason(center.send(CallEnded(center.now, "c1")))
    assert offers(center.login("a1")) == [("c1", "a1")]


def test_a_call_queued_twice_is_stale_the_second_time() -> None:
    center = _center()
    center.call("c1")

    assert "already in the ACD" in _stale_reason(center.call("c1"))


def test_a_call_for_an_unknown_queue_is_stale() -> None:
    center = _center()

    assert "unknown queue 'nope'" in _stale_reason(center.call("c1", "nope"))


def test_a_call_asking_for_an_impossible_skill_level_is_stale() -> None:
    center = _center()

    assert "outside 1-5" in _stale_reason(center.call("c1", skills={"billing": 9}))


def test_a_timer_that_was_disarmed_before_it_fired_is_stale() -> None:
    center = _center()
    center.login("a1")
    center.call("c1")
    ring = center.timer("ring", "c1")
    center.send(OfferRejected(center.now, "c1", "a1"))

    assert "no longer armed" in _stale_reason(center.send(TimerFired(center.now, ring)))


def test_hang_up_of_an_unknown_call_is_stale() -> None:
    center = _center()

    assert "not in the ACD" in _stale_reason(center.send(CallerHungUp(center.now, "ghost")))


def test_a_fact_without_a_usable_time_is_stale() -> None:
    center = _center()

    assert "not a finite number" in _stale_reason(
        center.acd.handle(CallQueued(math.nan, "c1", "support"))
    )


def test_a_fact_older_than_the_last_one_is_applied_at_the_core_clock() -> None:
    center = _center()
    center.send(CallQueued(100, "c1", "support"))
    center.send(CallQueued(90, "c2", "support"))

    waits = [c.waited for c in center.acd.waiting_calls("support", 100)]

    assert waits == [0, 0]
    assert center.acd.now == 100
