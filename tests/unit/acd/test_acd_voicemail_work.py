"""Voicemail as work: a message queued in the ACD is routed to a skilled agent like a call,
with its own priority; accepted on the desktop, it occupies the agent until it is closed."""

from __future__ import annotations

from acd_testkit import Center, agent, offers, only, queue, settings

from acd import (
    AgentReady,
    CallKind,
    CallOutcome,
    OfferCall,
    OfferTimedOut,
    Overflow,
    QueueHoursChanged,
    Record,
    RecordKind,
    StaleFact,
    VoicemailQueued,
)
from acd.states import AgentState, NotReadyReason


def _center() -> Center:
    return Center(
        settings(
            [queue(ring_timeout_seconds=15, max_wait_seconds=30, overflow="voicemail:1")],
            [agent("a1"), agent("a2", billing=3)],
        )
    )


def test_a_voicemail_is_offered_to_the_agent_with_the_skill_it_needs() -> None:
    center = _center()
    center.login("a1", "a2", ready=False)
    center.send(VoicemailQueued(center.now, "vm-1", "support", skills={"billing": 2}))

    assert offers(center.send(AgentReady(center.now, "a1"))) == []
    offer = only(center.send(AgentReady(center.now, "a2")), OfferCall)[0]

    assert (offer.call_id, offer.agent_id, offer.kind) == ("vm-1", "a2", CallKind.VOICEMAIL)


def test_a_voicemail_of_higher_priority_goes_before_a_waiting_call() -> None:
    center = _center()
    center.login("a1", ready=False)
    center.call("c1")
    center.wait(5)
    center.send(VoicemailQueued(center.now, "vm-1", "support", priority=5))

    waiting = center.acd.waiting_calls("support", center.now)
    assert [(c.call_id, c.kind) for c in waiting] == [
        ("vm-1", CallKind.VOICEMAIL),
        ("c1", CallKind.VOICE),
    ]
    assert offers(center.send(AgentReady(center.now, "a1"))) == [("vm-1", "a1")]


def test_a_voicemail_waits_past_the_maximum_wait_without_overflowing() -> None:
    center = _center()
    center.send(VoicemailQueued(center.now, "vm-1", "support"))

    assert only(center.wait(3600), Overflow) == []
    assert center.acd.call_view("vm-1", center.now) is not None
    stats = center.acd.queue_stats("support", center.now)
    assert stats.offered == 0  # its call was counted when it arrived, not again


def test_accepted_then_closed_it_counts_as_handled_and_the_record_says_voicemail() -> None:
    center = _center()
    center.login("a1")
    center.send(VoicemailQueued(center.now, "vm-1", "support"))
    center.answer("vm-1", "a1")
    assert center.acd.agent_view("a1", center.now).state is AgentState.ON_CALL
    center.wait(120)

    center.end("vm-1")

    view = center.acd.agent_view("a1", center.now)
    assert (view.state, view.handled, view.aht) == (AgentState.READY, 1, 120)
    records = only(center.log, Record)
    enqueue = next(r for r in records if r.kind is RecordKind.ENQUEUE)
    assert (enqueue.call_kind, enqueue.detail) == (CallKind.VOICEMAIL, "voicemail")
    complete = next(r for r in records if r.kind is RecordKind.COMPLETE)
    assert (complete.call_id, complete.agent_id, complete.talk) == ("vm-1", "a1", 120)
    assert [r.outcome for r in records if r.outcome] == [CallOutcome.ANSWERED]


def test_an_offer_not_accepted_goes_back_to_the_line_and_the_agent_pauses() -> None:
    center = _center()
    center.login("a1")
    center.send(VoicemailQueued(center.now, "vm-1", "support"))

    center.send(OfferTimedOut(center.now + 15, "vm-1", "a1"))

    view = center.acd.agent_view("a1", center.now)
    assert (view.state, view.reason) == (AgentState.NOT_READY, NotReadyReason.RING_NO_ANSWER)
    assert [c.call_id for c in center.acd.waiting_calls("support", center.now)] == ["vm-1"]
    assert offers(center.login("a2")) == [("vm-1", "a2")]


def test_a_voicemail_for_an_unknown_queue_or_twice_is_refused() -> None:
    center = _center()
    center.send(VoicemailQueued(center.now, "vm-1", "support"))

    again = only(center.send(VoicemailQueued(center.now, "vm-1", "support")), StaleFact)
    nowhere = only(center.send(VoicemailQueued(center.now, "vm-2", "sales")), StaleFact)

    assert "already in the ACD" in again[0].reason
    assert "unknown queue 'sales'" in nowhere[0].reason


def test_a_voicemail_in_a_closed_queue_waits_for_the_opening_before_it_is_offered() -> None:
    center = _center()
    center.login("a1")
    center.send(QueueHoursChanged(center.now, "support", open=False))

    assert offers(center.send(VoicemailQueued(center.now, "vm-1", "support"))) == []
    assert [c.call_id for c in center.acd.waiting_calls("support", center.now)] == ["vm-1"]

    opened = center.send(QueueHoursChanged(center.now + 60, "support", open=True))
    assert offers(opened) == [("vm-1", "a1")]
