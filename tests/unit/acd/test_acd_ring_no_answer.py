"""Ring-no-answer and rejected offers: the agent pauses, the caller keeps their place."""

from __future__ import annotations

from acd_testkit import Center, agent, offers, only, queue, settings

from acd import (
    CancelOffer,
    OfferAnswered,
    OfferCall,
    OfferRejected,
    OfferTimedOut,
    PublishAgentState,
    StaleFact,
)
from acd.states import AgentState, NotReadyReason


def _center() -> Center:
    return Center(
        settings(
            [queue(ring_timeout_seconds=15)], [agent("a1"), agent("a2")], offer_grace_seconds=5
        )
    )


def test_ring_no_answer_makes_the_agent_not_ready_with_that_reason() -> None:
    center = _center()
    center.login("a1")
    center.call("c1")

    commands = center.send(OfferTimedOut(center.now + 15, "c1", "a1"))

    state = only(commands, PublishAgentState)[0]
    assert (state.agent_id, state.state, state.reason) == (
        "a1",
        AgentState.NOT_READY,
        NotReadyReason.RING_NO_ANSWER,
    )


def test_call_back_from_ring_no_answer_is_first_in_line_with_its_original_wait() -> None:
    center = _center()
    center.login("a1")
    center.call("c1")
    center.wait(10)
    center.call("c2")
    center.wait(5)

    center.send(OfferTimedOut(center.now, "c1", "a1"))

    waiting = center.acd.waiting_calls("support", center.now)
    assert [(c.call_id, c.position, c.waited) for c in waiting] == [("c1", 1, 15), ("c2", 2, 5)]
    offer = only(center.login("a2"), OfferCall)[0]
    assert (offer.call_id, offer.waited) == ("c1", 15)


def test_rejected_offer_is_handled_like_ring_no_answer_with_reason_rejected() -> None:
    center = _center()
    center.login("a1", "a2")
    center.call("c1")

    commands = center.send(OfferRejected(center.now, "c1", "a1"))

    assert only(commands, PublishAgentState)[0].reason == NotReadyReason.REJECTED
    assert offers(commands) == [("c1", "a2")]


def test_core_withdraws_an_offer_the_pbx_never_reports_on() -> None:
    center = _center()
    center.login("a1")
    center.call("c1")

    assert center.wait(19.9) == []
    commands = center.wait(0.1)

    assert only(commands, CancelOffer) == [CancelOffer("c1", "a1", "ring-no-answer")]
    assert center.acd.agent_view("a1", center.now).reason == NotReadyReason.RING_NO_ANSWER


def test_answer_arriving_after_the_ring_timeout_is_stale() -> None:
    center = _center()
    center.login("a1")
    center.call("c1")
    center.send(OfferTimedOut(center.now, "c1", "a1"))

    commands = center.send(OfferAnswered(center.now, "c1", "a1"))

    assert [type(c) for c in commands] == [StaleFact]
    assert "not being offered to 'a1'" in only(commands, StaleFact)[0].reason


def test_a_lost_offer_goes_back_to_the_head_of_the_line_and_the_agent_stays_ready() -> None:
    from acd import OfferLost, Record, RecordKind  # noqa: PLC0415

    center = Center(settings([queue()], [agent("a1"), agent("a2")]))
    center.login("a1")
    center.call("c1")
    center.call("c2")
    commands = center.send(OfferLost(center.now, "c1", "a1"))

    assert offers(commands) == [("c1", "a1")]  # back first in line, to the same free agent
    assert center.acd.agent_view("a1", center.now).state is AgentState.RESERVED
    kinds = [r.kind for r in only(commands, Record)]
    assert RecordKind.OFFER_WITHDRAWN in kinds
    assert RecordKind.RING_NO_ANSWER not in kinds
