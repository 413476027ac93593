"""Routing: who gets which call, in which order, under each strategy."""

from __future__ import annotations

import pytest
from acd_testkit import Center, agent, offers, only, queue, settings

from acd import (
    AgentReady,
    CallerHungUp,
    CancelOffer,
    Command,
    DecisionTrigger,
    OfferCall,
    PublishAgentState,
    RelaxationStep,
    RoutingStrategy,
)
from acd.states import AgentState


def test_call_is_offered_at_once_to_a_ready_agent_with_ring_timeout_and_explanation() -> None:
    center = Center(settings([queue(ring_timeout_seconds=12)], [agent("a1")]))
    center.login("a1")

    offer = only(center.call("c1"), OfferCall)[0]

    assert (offer.call_id, offer.agent_id, offer.queue) == ("c1", "a1", "support")
    assert offer.ring_timeout == 12
    assert offer.explanation.trigger is DecisionTrigger.CALL_QUEUED
    assert "queue 'support' step 0" in str(offer.explanation)


def test_call_waits_while_nobody_is_ready_and_goes_to_the_first_agent_to_be_ready() -> None:
    center = Center(settings([queue()], [agent("a1")]))
    center.login("a1", ready=False)
    assert offers(center.call("c1")) == []

    center.wait(5)
    commands = center.send(AgentReady(center.now, "a1"))

    assert offers(commands) == [("c1", "a1")]
    assert only(commands, OfferCall)[0].waited == 5
    assert only(commands, OfferCall)[0].explanation.trigger is DecisionTrigger.AGENT_AVAILABLE


def test_answered_call_connects_and_its_end_frees_the_agent_for_the_next_call() -> None:
    center = Center(settings([queue()], [agent("a1")]))
    center.login("a1")
    center.call("c1")
    center.call("c2")

    states = only(center.answer("c1", "a1"), PublishAgentState)
    assert [s.state for s in states] == [AgentState.ON_CALL]
    assert offers(center.end("c1")) == [("c2", "a1")]


def test_vip_caller_is_offered_before_standard_callers_who_came_earlier() -> None:
    center = Center(settings([queue()], [agent("a1")]))
    center.login("a1", ready=False)
    center.call("standard")
    center.wait(10)
    center.call("vip", priority=10)

    assert offers(center.send(AgentReady(center.now, "a1"))) == [("vip", "a1")]


def test_calls_of_one_priority_are_offered_in_arrival_order() -> None:
    center = Center(settings([queue()], [agent("a1")]))
    center.login("a1", ready=False)
    for index in range(5):
        center.call(f"c{index}")
        center.wait(1)

    served = []
    commands = center.send(AgentReady(center.now, "a1"))
    for _ in range(5):
        (call_id, _agent) = offers(commands)[0]
        served.append(call_id)
        center.answer(call_id, "a1")
        commands = center.end(call_id)
    assert served == ["c0", "c1", "c2", "c3", "c4"]


def test_heavier_queue_weight_wins_a_shared_agent_despite_a_shorter_wait() -> None:
    center = Center(
        settings(
            [queue("normal"), queue("urgent", weight=3.0)],
            [agent("a1", queues=("normal", "urgent"))],
        )
    )
    center.login("a1", ready=False)
    center.call("old", "normal")
    center.wait(20)
    center.call("young", "urgent")
    center.wait(10)  # weighted waits: old 30 x 1 = 30, young 10 x 3 = 30 -> tie ...
    center.wait(1)  # ... then 31 against 33: the urgent queue wins

    assert offers(center.send(AgentReady(center.now, "a1"))) == [("young", "a1")]


def test_agent_below_the_required_level_is_not_offered_the_call() -> None:
    center = Center(
        settings(
            [queue(skills={"billing": 4})], [agent("novice", billing=2), agent("expert", billing=4)]
        )
    )
    center.login("novice")

    assert offers(center.call("c1")) == []
    assert offers(center.login("expert")) == [("c1", "expert")]


def test_call_specific_skill_adds_to_the_queue_requirement() -> None:
    center = Center(
        settings(
            [queue(skills={"billing": 2})],
            [agent("english", billing=3), agent("french", billing=3, lang_fr=3)],
        )
    )
    center.login("english")

    assert offers(center.call("c1", skills={"lang-fr": 2})) == []
    assert offers(center.login("french")) == [("c1", "french")]


def test_agent_is_offered_only_calls_of_queues_they_belong_to() -> None:
    center = Center(settings([queue("sales"), queue("support")], [agent("a1", queues=("sales",))]))
    center.login("a1")

    assert offers(center.call("c1", "support")) == []
    assert offers(center.call("c2", "sales")) == [("c2", "a1")]


def test_longest_idle_strategy_offers_to_the_agent_ready_longest() -> None:
    center = Center(settings([queue()], [agent("a1"), agent("a2"), agent("a3")]))
    center.login("a2")
    center.wait(5)
    center.login("a1")
    center.wait(5)
    center.login("a3")

    assert offers(center.call("c1")) == [("c1", "a2")]
    assert offers(center.call("c2")) == [("c2", "a1")]


def test_best_proficiency_strategy_prefers_the_highest_level_then_the_longest_idle() -> None:
    center = Center(
        settings(
            [queue(skills={"billing": 1}, strategy=RoutingStrategy.BEST_PROFICIENCY)],
            [
                agent("good", billing=3),
                agent("best-late", billing=5),
                agent("best-early", billing=5),
            ],
        )
    )
    center.login("good", "best-early")
    center.wait(5)
    center.login("best-late")

    assert offers(center.call("c1")) == [("c1", "best-early")]
    assert offers(center.call("c2")) == [("c2", "best-late")]
    assert offers(center.call("c3")) == [("c3", "good")]


def test_fewest_calls_strategy_prefers_the_agent_with_fewest_answered_calls_today() -> None:
    center = Center(
        settings([queue(strategy=RoutingStrategy.FEWEST_CALLS)], [agent("busy"), agent("fresh")])
    )
    center.login("busy")
    for index in range(2):
        center.call(f"warmup{index}")
        center.answer(f"warmup{index}", "busy")
        center.end(f"warmup{index}")
    center.login("fresh")  # ready after "busy", so longest idle alone would pick "busy"

    assert offers(center.call("c1")) == [("c1", "fresh")]


def test_round_robin_strategy_rotates_through_the_agents_in_configured_order() -> None:
    center = Center(
        settings(
            [queue(strategy=RoutingStrategy.ROUND_ROBIN)],
            [agent("a1"), agent("a2"), agent("a3")],
        )
    )
    center.login("a3", "a2", "a1")
    served = []
    for index in range(6):
        (call_id, agent_id) = offers(center.call(f"c{index}"))[0]
        served.append(agent_id)
        center.answer(call_id, agent_id)
        center.end(call_id)

    assert served == ["a1", "a2", "a3", "a1", "a2", "a3"]


@pytest.mark.parametrize("strategy", list(RoutingStrategy))
def test_routing_is_deterministic_for_the_same_inputs(strategy: RoutingStrategy) -> None:
    def run() -> list[Command]:
        center = Center(
            settings(
                [queue(strategy=strategy, skills={"billing": 1})],
                [agent(f"a{i}", billing=1 + i % 5) for i in range(8)],
            )
        )
        center.login(*(f"a{i}" for i in range(8)))
        for index in range(12):
            center.call(f"c{index}")
            center.wait(1)
        return center.log

    assert run() == run()


def test_caller_hanging_up_while_ringing_frees_the_agent_who_keeps_their_idle_rank() -> None:
    center = Center(settings([queue()], [agent("a1"), agent("a2")]))
    center.login("a1")
    center.wait(5)
    center.login("a2")
    center.call("c1")  # rings a1, the longest idle

    commands = center.send(CallerHungUp(center.now, "c1"))

    assert only(commands, CancelOffer)[0].agent_id == "a1"
    assert center.acd.agent_view("a1", center.now).state is AgentState.READY
    assert offers(center.call("c2")) == [("c2", "a1")]


def test_best_proficiency_still_ranks_on_the_queue_skill_once_any_member_may_answer() -> None:
    center = Center(
        settings(
            [
                queue(
                    skills={"billing": 5},
                    strategy=RoutingStrategy.BEST_PROFICIENCY,
                    relaxation=[RelaxationStep(after_seconds=30)],
                )
            ],
            [agent("weak", billing=1), agent("strong", billing=4)],
        )
    )
    center.login("weak")  # idle longer, but the weaker of the two
    center.wait(5)
    center.login("strong")
    assert offers(center.call("c1")) == []  # nobody has billing 5

    offer = only(center.wait(30), OfferCall)[0]

    assert (offer.agent_id, offer.explanation.requirement) == ("strong", ())
