"""Offers the PBX could not place: nobody is paused, the call keeps its place, and the
agents are not offered calls again before a retry delay that grows while the PBX fails."""

from __future__ import annotations

from typing import Any

import pytest
from acd_harness import CheckingCenter
from acd_testkit import Center, agent, offers, only, queue, settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import ValidationError

from acd import (
    AcdSettings,
    AgentPaused,
    AgentState,
    CallerHungUp,
    Command,
    OfferFailed,
    OfferRejected,
    OfferTimedOut,
    PublishAgentState,
    Record,
    RecordKind,
)


def _center(*agents: str, **fields: Any) -> Center:
    fields.setdefault("pbx_retry_seconds", 1.0)
    fields.setdefault("pbx_retry_max_seconds", 8.0)
    config = settings([queue(ring_timeout_seconds=15)], [agent(a) for a in agents], **fields)
    return Center(config)


def _states(commands: list[Command]) -> list[tuple[str, AgentState, str | None]]:
    return [(s.agent_id, s.state, s.reason) for s in only(commands, PublishAgentState)]


def test_given_a_pbx_failure_then_the_agent_stays_ready_and_the_call_keeps_its_place() -> None:
    center = _center("a1")
    center.login("a1")
    center.call("c1")
    center.wait(10)
    center.call("c2")
    center.wait(5)

    commands = center.send(OfferFailed(center.now, "c1", "a1", "congestion (cause 34)"))

    assert _states(commands) == [("a1", AgentState.READY, None)]
    failed = [r for r in only(commands, Record) if r.kind is RecordKind.OFFER_FAILED]
    assert [(r.call_id, r.agent_id, r.reason) for r in failed] == [
        ("c1", "a1", "congestion (cause 34)")
    ]
    waiting = center.acd.waiting_calls("support", center.now)
    assert [(c.call_id, c.position, c.waited) for c in waiting] == [("c1", 1, 15), ("c2", 2, 5)]
    assert center.acd.agent_view("a1", center.now).state is AgentState.READY


def test_given_a_pbx_failure_then_another_ready_agent_gets_the_call_at_once() -> None:
    center = _center("a1", "a2")
    center.login("a1")
    center.wait(1)
    center.login("a2")
    assert offers(center.call("c1")) == [("c1", "a1")]

    assert offers(center.send(OfferFailed(center.now, "c1", "a1"))) == [("c1", "a2")]


def test_given_a_pbx_failure_then_the_agent_is_offered_nothing_until_the_retry_delay() -> None:
    center = _center("a1")
    center.login("a1")
    center.call("c1")
    center.send(OfferFailed(center.now, "c1", "a1"))

    assert offers(center.wait(0.9)) == []
    assert offers(center.call("c2")) == []  # a new call waits too: the PBX just failed
    assert offers(center.wait(0.1)) == [("c1", "a1")]


def test_given_failures_in_a_row_then_the_delay_doubles_up_to_the_cap() -> None:
    center = _center("a1")
    center.login("a1")
    center.call("c1")
    delays = []
    for _ in range(6):
        started = center.now
        center.send(OfferFailed(center.now, "c1", "a1"))
        while not offers(center.wait(0.5)):
            pass
        delays.append(center.now - started)

    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_given_an_offer_the_pbx_placed_then_the_next_failure_waits_the_shortest_delay() -> None:
    center = _center("a1", "a2")
    center.login("a1", "a2")
    center.call("c1")
    center.send(OfferFailed(center.now, "c1", "a1"))  # c1 goes to a2 at once
    center.send(OfferFailed(center.now, "c1", "a2"))  # second in a row: a2 waits 2 s
    center.wait(1)  # a1 back: c1 offered to a1
    center.send(OfferRejected(center.now, "c1", "a1"))  # the PBX reached a1's phone
    center.wait(1)  # a2 back: c1 offered to a2

    center.send(OfferFailed(center.now, "c1", "a2"))

    assert center.timer("pbx-retry", "a2") is not None
    assert center.timers[center.timer("pbx-retry", "a2")] == center.now + 1.0


def test_given_a_held_agent_who_pauses_then_the_hold_ends_without_an_offer() -> None:
    center = _center("a1")
    center.login("a1")
    center.call("c1")
    center.send(OfferFailed(center.now, "c1", "a1"))

    center.send(AgentPaused(center.now, "a1", "break"))

    assert offers(center.wait(30)) == []
    assert center.acd.agent_view("a1", center.now).reason == "break"
    assert [c.call_id for c in center.acd.waiting_calls("support", center.now)] == ["c1"]


def test_given_a_held_agent_then_they_keep_their_turn_among_idle_agents() -> None:
    center = _center("a1", "a2")
    center.login("a1")
    center.wait(10)
    center.login("a2")
    center.call("c1")  # a1, idle longest
    center.send(OfferFailed(center.now, "c1", "a1"))  # c1 to a2 at once
    center.send(CallerHungUp(center.now, "c1"))  # a2 ready again, idle from now
    center.wait(5)  # a1's hold is over

    assert offers(center.call("c2")) == [("c2", "a1")]


def test_a_retry_cap_below_the_first_delay_is_refused_naming_both() -> None:
    with pytest.raises(ValidationError, match=r"pbx_retry_max_seconds \(0.5\) is below"):
        _center("a1", pbx_retry_seconds=1.0, pbx_retry_max_seconds=0.5)


def test_given_a_ring_no_answer_then_the_agent_still_pauses() -> None:
    center = _center("a1")
    center.login("a1")
    center.call("c1")

    commands = center.send(OfferTimedOut(center.now, "c1", "a1"))

    assert _states(commands) == [("a1", AgentState.NOT_READY, "ring-no-answer")]


_CONFIG = AcdSettings.model_validate(
    {
        "queues": [{"name": "line", "ring_timeout_seconds": 10, "wrap_up_seconds": 2}],
        "agents": [{"id": agent_id, "queues": ["line"]} for agent_id in ("f0", "f1", "f2")],
        "pbx_retry_seconds": 1,
        "pbx_retry_max_seconds": 4,
    }
)
_outcome = st.sampled_from(("fail", "fail", "fail", "answer", "reject", "no-answer", "hang-up"))


@hypothesis_settings(max_examples=200, deadline=None)
@given(steps=st.lists(st.tuples(st.integers(0, 3), _outcome, st.integers(0, 9)), max_size=80))
def test_a_failing_pbx_never_pauses_anyone_and_keeps_every_call(
    steps: list[tuple[int, str, int]],
) -> None:
    center = CheckingCenter(_CONFIG)
    center.login("f0", "f1", "f2")
    for serial, (pause, outcome, pick) in enumerate(steps):
        center.wait(pause)
        center.call(f"c{serial}", "line")
        offered = sorted(
            (c, t.agent or "") for c, t in center.calls.items() if t.state == "offered"
        )
        if not offered:
            continue
        call_id, agent_id = offered[pick % len(offered)]
        if outcome == "fail":
            commands = center.send(OfferFailed(center.now, call_id, agent_id, "no media port"))
            assert not [s for s in _states(commands) if s[1] is AgentState.NOT_READY]
        elif outcome == "answer":
            center.answer(call_id, agent_id)
        elif outcome == "reject":
            center.send(OfferRejected(center.now, call_id, agent_id))
        elif outcome == "no-answer":
            center.send(OfferTimedOut(center.now, call_id, agent_id))
        else:
            center.send(CallerHungUp(center.now, call_id))
        center.check_nothing_lost()
    # Nobody stays held: once the delays run out, every ready agent has a call or none waits.
    center.wait(10)
    waiting = center.acd.waiting_calls("line", center.now)
    idle = [v for v in center.acd.agent_views(center.now) if v.state is AgentState.READY]
    assert not (waiting and idle)
