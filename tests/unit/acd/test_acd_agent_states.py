"""Agent states and the requests that move agents between them."""

from __future__ import annotations

import pytest
from acd_testkit import Center, agent, offers, only, queue, settings

from acd import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    CancelOffer,
    IllegalTransition,
    OfferAnswered,
    PublishAgentState,
    Record,
    RecordKind,
    StaleFact,
    UnknownAgent,
    UnknownPauseReason,
    WrapUpEnded,
)
from acd.states import AgentState, NotReadyReason


def _center(wrap_up: float = 0) -> Center:
    return Center(settings([queue(wrap_up_seconds=wrap_up)], [agent("a1"), agent("a2")]))


def _state(center: Center, agent_id: str = "a1") -> AgentState:
    return center.acd.agent_view(agent_id, center.now).state


def test_login_leaves_the_agent_not_ready_until_they_ask_for_calls() -> None:
    center = _center()
    center.login("a1", ready=False)

    view = center.acd.agent_view("a1", center.now)
    assert (view.state, view.reason) == (AgentState.NOT_READY, NotReadyReason.LOGGED_IN)
    assert offers(center.call("c1")) == []


def test_login_ready_hands_the_agent_a_waiting_call_at_once() -> None:
    center = _center()
    center.call("c1")

    assert offers(center.login("a1")) == [("c1", "a1")]


def test_logging_in_twice_is_refused() -> None:
    center = _center()
    center.login("a1")

    with pytest.raises(IllegalTransition, match=r"agent 'a1' cannot log in while ready"):
        center.send(AgentLoggedIn(center.now, "a1"))


def test_going_ready_while_on_call_is_refused_naming_agent_state_and_allowed_states() -> None:
    center = _center()
    center.login("a1")
    center.call("c1")
    center.answer("c1", "a1")

    with pytest.raises(IllegalTransition) as refused:
        center.send(AgentReady(center.now, "a1"))

    assert str(refused.value) == (
        "agent 'a1' cannot go ready while on_call (allowed from: not_ready, ready, wrap_up)"
    )
    assert _state(center) is AgentState.ON_CALL


def test_going_ready_while_logged_out_is_refused() -> None:
    center = _center()

    with pytest.raises(IllegalTransition, match="while logged_out"):
        center.send(AgentReady(center.now, "a1"))


def test_going_ready_twice_changes_nothing() -> None:
    center = _center()
    center.login("a1")

    assert center.send(AgentReady(center.now, "a1")) == []


def test_pause_with_an_unknown_reason_is_refused_and_the_agent_stays_ready() -> None:
    center = _center()
    center.login("a1")

    with pytest.raises(UnknownPauseReason, match="'nap'"):
        center.send(AgentPaused(center.now, "a1", "nap"))
    assert offers(center.call("c1")) == [("c1", "a1")]


def test_pause_while_the_phone_rings_is_refused() -> None:
    center = _center()
    center.login("a1")
    center.call("c1")

    with pytest.raises(IllegalTransition, match="cannot pause while reserved"):
        center.send(AgentPaused(center.now, "a1", "break"))


def test_paused_agent_is_offered_nothing_until_ready_again() -> None:
    center = _center()
    center.login("a1")
    commands = center.send(AgentPaused(center.now, "a1", "lunch"))

    assert only(commands, PublishAgentState)[0].reason == "lunch"
    assert offers(center.call("c1")) == []
    assert offers(center.send(AgentReady(center.now, "a1"))) == [("c1", "a1")]


def test_changing_the_pause_reason_keeps_the_agent_not_ready_with_the_new_reason() -> None:
    center = _center()
    center.login("a1", ready=False)
    center.send(AgentPaused(center.now, "a1", "training"))

    view = center.acd.agent_view("a1", center.now)
    assert (view.state, view.reason) == (AgentState.NOT_READY, "training")


def _talk_then_end(center: Center) -> None:
    center.login("a1")
    center.call("c1")
    center.answer("c1", "a1")
    center.wait(60)
    center.end("c1")


def test_call_end_starts_wrap_up_and_its_timer_makes_the_agent_ready() -> None:
    center = _center(wrap_up=30)
    _talk_then_end(center)
    assert _state(center) is AgentState.WRAP_UP
    center.call("c2")

    assert offers(center.wait(29)) == []
    assert offers(center.wait(1)) == [("c2", "a1")]


def test_ready_during_wrap_up_ends_it_early_and_disarms_its_timer() -> None:
    center = _center(wrap_up=30)
    _talk_then_end(center)
    center.wait(5)

    center.send(AgentReady(center.now, "a1"))

    assert _state(center) is AgentState.READY
    assert not any(key.kind.value == "wrap-up" for key in center.timers)
    handled = [r for r in only(center.log, Record) if r.kind is RecordKind.HANDLED]
    assert (handled[0].talk, handled[0].wrap_up) == (60, 5)


def test_wrap_up_ended_from_the_desktop_makes_the_agent_ready() -> None:
    center = _center(wrap_up=30)
    _talk_then_end(center)

    center.send(WrapUpEnded(center.now, "a1"))

    assert _state(center) is AgentState.READY


def test_wrap_up_ended_for_an_agent_not_in_wrap_up_is_reported_stale() -> None:
    center = _center()
    center.login("a1")

    commands = center.send(WrapUpEnded(center.now, "a1"))

    assert [type(c) for c in commands] == [StaleFact]
    assert "not in wrap-up" in only(commands, StaleFact)[0].reason


def test_pause_during_wrap_up_ends_it_and_counts_the_call_handled() -> None:
    center = _center(wrap_up=30)
    _talk_then_end(center)
    center.wait(10)

    center.send(AgentPaused(center.now, "a1", "break"))

    assert _state(center) is AgentState.NOT_READY
    assert center.acd.agent_view("a1", center.now).handled == 1


def test_logging_out_while_on_call_is_refused() -> None:
    center = _center()
    center.login("a1")
    center.call("c1")
    center.answer("c1", "a1")

    with pytest.raises(IllegalTransition, match="cannot log out while on_call"):
        center.send(AgentLoggedOut(center.now, "a1"))


def test_logging_out_while_ringing_withdraws_the_offer_and_requeues_the_call() -> None:
    center = _center()
    center.login("a1")
    center.call("c1")
    center.login("a2")

    commands = center.send(AgentLoggedOut(center.now, "a1"))

    assert only(commands, CancelOffer)[0].agent_id == "a1"
    assert offers(commands) == [("c1", "a2")]
    assert _state(center) is AgentState.LOGGED_OUT
    late = center.send(OfferAnswered(center.now, "c1", "a1"))
    assert [type(c) for c in late] == [StaleFact]


def test_request_for_an_unknown_agent_raises_unknown_agent() -> None:
    center = _center()

    with pytest.raises(UnknownAgent, match="'ghost'"):
        center.send(AgentLoggedIn(center.now, "ghost"))


def test_agent_view_shows_time_in_state_and_current_call() -> None:
    center = _center()
    center.login("a1")
    center.wait(7)
    center.call("c1")
    center.wait(3)

    view = center.acd.agent_view("a1", center.now)

    assert (view.state, view.call_id, view.time_in_state) == (AgentState.RESERVED, "c1", 3)
    assert [v.agent_id for v in center.acd.agent_views(center.now)] == ["a1", "a2"]
