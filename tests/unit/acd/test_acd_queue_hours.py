"""Opening hours per queue (issue 16): `QueueHoursChanged` opens and closes a queue."""

from __future__ import annotations

import pytest
from acd_testkit import Center, agent, offers, only, queue, settings

from acd import (
    CallbackRequested,
    CallOutcome,
    Command,
    ConfigurationChanged,
    ExitQueue,
    OfferCall,
    Overflow,
    OverflowKind,
    QueueHoursChanged,
    Record,
    RecordKind,
    UnknownQueue,
)

WITH_VOICEMAIL = settings(
    [queue(overflow={"kind": "voicemail"}), queue("general")],
    [agent("a1"), agent("a2", ("general",))],
)


def _hours(center: Center, open_: bool, name: str = "support") -> list[Record]:
    return only(center.send(QueueHoursChanged(center.now, name, open_)), Record)


def test_a_call_to_a_closed_queue_goes_to_its_overflow_at_once() -> None:
    center = Center(WITH_VOICEMAIL)
    center.login("a1")
    (record,) = _hours(center, False)
    assert (record.kind, record.queue, record.detail) == (RecordKind.HOURS, "support", "closed")

    commands = center.call("late")

    # Even with an agent ready: the queue is closed.
    assert offers(commands) == []
    (overflow,) = only(commands, Overflow)
    assert (overflow.call_id, overflow.target, overflow.reason.value) == (
        "late",
        OverflowKind.VOICEMAIL,
        "closed",
    )
    assert center.acd.queue_stats("support", center.now).open is False
    assert center.acd.queue_stats("general", center.now).open is True


def test_a_closed_queue_without_an_overflow_sends_the_caller_away_as_timed_out() -> None:
    center = Center(settings([queue()], [agent("a1")]))
    _hours(center, False)
    commands = center.call("late")
    (exit_,) = only(commands, ExitQueue)
    assert exit_.reason.value == "closed"
    (record,) = [r for r in only(commands, Record) if r.outcome is not None]
    assert (record.kind, record.outcome, record.reason) == (
        RecordKind.EXIT,
        CallOutcome.TIMED_OUT,
        "closed",
    )


def test_callers_waiting_as_the_queue_closes_stay_and_are_answered() -> None:
    center = Center(WITH_VOICEMAIL)
    center.call("early")
    center.call("second")
    _hours(center, False)
    assert [v.call_id for v in center.acd.waiting_calls("support", center.now)] == [
        "early",
        "second",
    ]
    assert offers(center.login("a1")) == [("early", "a1")]


def test_a_reopened_queue_takes_calls_again_and_only_changes_are_recorded() -> None:
    center = Center(WITH_VOICEMAIL)
    center.login("a1")
    assert _hours(center, True) == []  # open already: nothing to record
    _hours(center, False)
    assert _hours(center, False) == []
    (record,) = _hours(center, True)
    assert record.detail == "open"
    assert offers(center.call("morning")) == [("morning", "a1")]


def test_an_overflow_to_a_closed_queue_goes_on_to_that_queues_own_overflow() -> None:
    config = settings(
        [
            queue(overflow={"kind": "queue", "name": "general"}),
            queue("general", overflow={"kind": "callback"}),
        ],
        [agent("a2", ("general",))],
    )
    center = Center(config)
    center.login("a2")
    _hours(center, False)
    _hours(center, False, "general")
    targets = [(o.queue, o.target) for o in only(center.call("late"), Overflow)]
    assert targets == [("support", OverflowKind.QUEUE), ("general", OverflowKind.CALLBACK)]


def test_a_new_configuration_keeps_a_closed_queue_closed() -> None:
    center = Center(WITH_VOICEMAIL)
    _hours(center, False)
    longer = settings(
        [queue(overflow={"kind": "voicemail"}, wrap_up_seconds=60), queue("general")],
        [agent("a1"), agent("a2", ("general",))],
    )
    center.send(ConfigurationChanged(center.now, longer, 2))
    assert center.acd.queue_stats("support", center.now).open is False
    assert only(center.call("late"), Overflow)


def test_hours_for_a_queue_that_does_not_exist_are_refused() -> None:
    center = Center(WITH_VOICEMAIL)
    with pytest.raises(UnknownQueue):
        _hours(center, False, "nowhere")


def _callback(center: Center, callback_id: str, queue_name: str = "support") -> list[Command]:
    return center.send(CallbackRequested(center.now, callback_id, queue_name))


def test_a_callback_for_a_closed_queue_waits_for_its_opening_with_its_place_kept() -> None:
    center = Center(WITH_VOICEMAIL)
    _hours(center, False)
    center.login("a1")
    assert offers(_callback(center, "cb-1")) == []  # an agent is ready: still not offered
    center.wait(60)
    assert offers(_callback(center, "cb-2")) == []
    line = [v.call_id for v in center.acd.waiting_calls("support", center.now)]
    assert line == ["cb-1", "cb-2"]
    assert center.acd.queue_stats("support", center.now).callbacks_waiting == 2

    commands = center.send(QueueHoursChanged(center.now, "support", True))

    (offer,) = only(commands, OfferCall)
    assert (offer.call_id, offer.agent_id, offer.explanation.trigger.value) == (
        "cb-1",
        "a1",
        "queue opened",
    )
    assert [v.call_id for v in center.acd.waiting_calls("support", center.now)] == ["cb-2"]


def test_as_a_queue_closes_its_callbacks_stop_being_offered_and_its_callers_are_answered() -> None:
    center = Center(WITH_VOICEMAIL)
    _callback(center, "cb-1")
    center.wait(5)
    center.call("caller")
    _hours(center, False)
    # The callback is older, but the queue is closed: the caller on the line goes first.
    assert offers(center.login("a1")) == [("caller", "a1")]
    assert [v.call_id for v in center.acd.waiting_calls("support", center.now)] == ["cb-1"]
