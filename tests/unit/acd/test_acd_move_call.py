"""A supervisor moves a waiting call to another queue."""

from __future__ import annotations

import pytest
from acd_testkit import Center, agent, offers, only, queue, settings

from acd import AcdError, CallMoveRequested, CallNotWaiting, Record, RecordKind, UnknownQueue


def _center() -> Center:
    return Center(
        settings(
            [queue("first"), queue("second")],
            [agent("a1", queues=("first",)), agent("a2", queues=("second",))],
        )
    )


def test_a_moved_call_is_offered_at_once_to_a_ready_agent_of_the_new_queue() -> None:
    center = _center()
    center.login("a2")
    center.call("c1", "first")
    center.wait(40)

    commands = center.send(CallMoveRequested(center.now, "c1", "second"))

    assert offers(commands) == [("c1", "a2")]
    kinds = [(r.kind, r.queue) for r in only(commands, Record)][:2]
    assert kinds == [(RecordKind.MOVE, "first"), (RecordKind.ENQUEUE, "second")]
    assert only(commands, Record)[0].wait == 40
    assert center.acd.queue_stats("first", center.now).calls_waiting == 0
    assert center.acd.queue_stats("second", center.now).offered == 1


def test_a_moved_call_waits_in_the_new_queue_when_nobody_is_free() -> None:
    center = _center()
    center.call("c1", "first")
    center.send(CallMoveRequested(center.now, "c1", "second"))
    view = center.acd.call_view("c1", center.now)
    assert view is not None
    assert (view.queue, view.position) == ("second", 1)


def test_moving_a_call_that_is_ringing_or_gone_is_refused_and_changes_nothing() -> None:
    center = _center()
    center.login("a1")
    center.call("c1", "first")  # offered at once to a1
    with pytest.raises(CallNotWaiting, match="'c1' is offered, not waiting"):
        center.send(CallMoveRequested(center.now, "c1", "second"))
    with pytest.raises(CallNotWaiting, match="'nope' is not in the ACD"):
        center.send(CallMoveRequested(center.now, "nope", "second"))
    with pytest.raises(UnknownQueue):
        center.send(CallMoveRequested(center.now, "c1", "elsewhere"))
    view = center.acd.call_view("c1", center.now)
    assert view is not None
    assert view.agent_id == "a1"


def test_moving_a_call_to_its_own_queue_is_refused() -> None:
    center = _center()
    center.call("c1", "first")
    with pytest.raises(AcdError, match="already in queue 'first'"):
        center.send(CallMoveRequested(center.now, "c1", "first"))
