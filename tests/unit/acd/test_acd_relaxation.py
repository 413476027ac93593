"""Skill relaxation in steps over waiting time, and the explanation of each offer."""

from __future__ import annotations

from acd_testkit import Center, agent, offers, only, queue, settings

from acd import (
    AgentReady,
    DecisionTrigger,
    OfferCall,
    OfferTimedOut,
    Record,
    RecordKind,
    RelaxationStep,
)
from acd.relaxation import RelaxationPlan, merge_requirements

_STEPS = (
    RelaxationStep(after_seconds=30, min_level=2),
    RelaxationStep(after_seconds=60),
)


def _center(ring_timeout: float = 15) -> Center:
    return Center(
        settings(
            [queue(skills={"billing": 4}, relaxation=_STEPS, ring_timeout_seconds=ring_timeout)],
            [agent("expert", billing=5), agent("junior", billing=2), agent("generalist")],
        )
    )


def test_call_waits_for_the_full_level_before_the_first_step() -> None:
    center = _center()
    center.login("junior", "generalist")
    center.call("c1")

    assert offers(center.wait(29)) == []


def test_requirement_relaxes_to_the_lower_level_when_the_step_starts() -> None:
    center = _center()
    center.login("junior", "generalist")
    center.call("c1")

    offer = only(center.wait(30), OfferCall)[0]

    assert offer.agent_id == "junior"
    assert (offer.explanation.step, offer.explanation.requirement) == (1, (("billing", 2),))
    assert offer.explanation.trigger is DecisionTrigger.REQUIREMENT_RELAXED
    assert str(offer.explanation) == (
        "queue 'support' step 1 (from 30 s): billing>=2; longest_idle agent; on requirement relaxed"
    )


def test_last_step_lets_any_member_take_the_call() -> None:
    center = _center()
    center.login("generalist")
    center.call("c1")

    offer = only(center.wait(60), OfferCall)[0]

    assert offer.agent_id == "generalist"
    assert offer.explanation.requirement == ()
    assert "any member" in str(offer.explanation)


def test_each_relaxation_is_written_to_the_event_log() -> None:
    center = _center()
    center.call("c1")
    center.wait(61)

    relaxed = [r.detail for r in only(center.log, Record) if r.kind is RecordKind.RELAX]
    assert relaxed == ["step 1: billing>=2", "step 2: any member"]


def test_agent_becoming_ready_takes_a_call_at_its_relaxed_step() -> None:
    center = _center()
    center.login("junior", ready=False)
    center.call("c1")
    center.wait(40)

    offer = only(center.send(AgentReady(center.now, "junior")), OfferCall)[0]

    assert (offer.call_id, offer.explanation.step) == ("c1", 1)


def test_expert_is_offered_the_call_from_the_start() -> None:
    center = _center()
    center.login("expert")

    offer = only(center.call("c1"), OfferCall)[0]

    assert (offer.explanation.step, offer.explanation.requirement) == (0, (("billing", 4),))


def test_requeued_call_resumes_at_the_step_for_its_whole_wait() -> None:
    center = _center(ring_timeout=120)
    center.login("expert")
    center.call("c1")
    center.wait(45)
    center.login("junior", ready=True)

    commands = center.send(OfferTimedOut(center.now, "c1", "expert"))

    offer = only(commands, OfferCall)[0]
    assert (offer.agent_id, offer.explanation.step, offer.waited) == ("junior", 1, 45)


def test_relaxation_plan_gives_step_next_start_and_requirement() -> None:
    plan = RelaxationPlan(_STEPS)
    base = merge_requirements({"billing": 4}, {"lang-fr": 3, "billing": 2})

    assert base == (("billing", 4), ("lang-fr", 3))
    assert [plan.step_for_wait(t) for t in (0, 29.9, 30, 59, 60, 600)] == [0, 0, 1, 1, 2, 2]
    assert [plan.next_step_at(s) for s in range(3)] == [30, 60, None]
    assert plan.requirement(base, 1) == (("billing", 2), ("lang-fr", 2))
    assert plan.requirement(base, 2) == ()
