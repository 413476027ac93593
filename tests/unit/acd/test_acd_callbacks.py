"""Callbacks: an entry that keeps the caller's place in line without holding a line."""

from __future__ import annotations

from typing import Any

from acd_testkit import Center, agent, offers, only, queue, settings

from acd import (
    AgentReady,
    CallbackRequested,
    CallerHungUp,
    CallKind,
    CallOutcome,
    OfferCall,
    Overflow,
    Record,
)


def _outcomes(center: Center) -> dict[str, CallOutcome]:
    return {r.call_id or "": r.outcome for r in only(center.log, Record) if r.outcome}


def _center(**queue_fields: Any) -> Center:
    return Center(settings([queue(**queue_fields)], [agent("a1")]))


def test_callback_replaces_a_waiting_call_and_keeps_its_place_in_line() -> None:
    center = _center()
    center.login("a1", ready=False)
    center.call("c1")
    center.wait(10)
    center.call("c2")
    center.wait(10)

    center.send(CallbackRequested(center.now, "cb1", "support", replaces_call_id="c1"))

    waiting = center.acd.waiting_calls("support", center.now)
    assert [(c.call_id, c.kind, c.waited) for c in waiting] == [
        ("cb1", CallKind.CALLBACK, 20),
        ("c2", CallKind.VOICE, 10),
    ]
    assert _outcomes(center) == {"c1": CallOutcome.CALLBACK}
    stats = center.acd.queue_stats("support", center.now)
    assert (stats.calls_waiting, stats.callbacks_waiting, stats.callback_requests) == (1, 1, 1)


def test_callback_entry_is_offered_to_an_agent_as_a_callback() -> None:
    center = _center()
    center.login("a1", ready=False)
    center.send(CallbackRequested(center.now, "cb1", "support"))

    offer = only(center.send(AgentReady(center.now, "a1")), OfferCall)[0]

    assert (offer.call_id, offer.kind) == ("cb1", CallKind.CALLBACK)


def test_callback_entry_never_overflows_on_max_wait() -> None:
    center = _center(max_wait_seconds=30, overflow="voicemail:1")
    center.send(CallbackRequested(center.now, "cb1", "support"))

    assert only(center.wait(3600), Overflow) == []
    assert center.acd.call_view("cb1", center.now) is not None


def test_callback_for_a_call_no_longer_waiting_joins_the_back_of_the_line() -> None:
    center = _center()
    center.call("c0")
    center.wait(30)

    center.send(CallbackRequested(center.now, "cb1", "support", replaces_call_id="gone"))

    assert [c.call_id for c in center.acd.waiting_calls("support", center.now)] == ["c0", "cb1"]


def test_cancelled_callback_ends_abandoned_without_counting_as_a_caller_abandon() -> None:
    center = _center()
    center.send(CallbackRequested(center.now, "cb1", "support"))
    center.wait(60)

    center.send(CallerHungUp(center.now, "cb1"))

    assert _outcomes(center) == {"cb1": CallOutcome.ABANDONED}
    assert center.acd.queue_stats("support", center.now).abandoned == 0
    assert offers(center.login("a1")) == []
