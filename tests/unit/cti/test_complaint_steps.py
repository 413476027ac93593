"""The six steps of the complaint process: legal moves, promises, who may move and assign."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from cti.complaint import (
    SIX_STEPS,
    STATUS_OF_STEP,
    STEP_MOVES,
    STEP_PROMISES_H,
    Actor,
    NotAllowed,
    Step,
    check_may_assign,
    check_may_work,
    check_step,
    is_overdue,
    step_due_at,
)
from cti.tickets import IllegalTransition

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANNA = Actor("anna", supervises=False)
SUP = Actor("sup", supervises=True)


def test_the_six_steps_follow_each_other_in_the_seeds_order() -> None:
    assert [s.value for s in SIX_STEPS] == [
        "received",
        "acknowledged",
        "investigated",
        "proposed",
        "checked",
        "confirmed",
    ]
    for current, following in itertools.pairwise(SIX_STEPS):
        assert check_step(current, following) is following


@pytest.mark.parametrize(
    ("current", "target"),
    [("received", "proposed"), ("acknowledged", "confirmed"), ("confirmed", "checked")],
)
def test_a_skipped_or_backward_step_is_refused_naming_what_is_allowed(
    current: str, target: str
) -> None:
    with pytest.raises(IllegalTransition) as refused:
        check_step(current, target)
    allowed = ", ".join(s.value for s in STEP_MOVES[Step(current)])
    assert f"from {current} it may go to {allowed}" in str(refused.value)


def test_an_unknown_step_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(IllegalTransition, match=r"unknown step 'done'.*received"):
        check_step("received", "done")


def test_an_unhappy_customer_reopens_a_resolved_or_confirmed_ticket_which_is_worked_again() -> None:
    for step in ("proposed", "checked", "confirmed"):
        assert check_step(step, "reopened") is Step.REOPENED
    assert check_step("reopened", "acknowledged") is Step.ACKNOWLEDGED
    assert STATUS_OF_STEP[Step.REOPENED].value == "reopened"


def test_each_step_promises_the_next_within_its_hours_and_a_confirmed_ticket_promises_nothing() -> (
    None
):
    assert step_due_at(Step.RECEIVED, T0) == T0 + timedelta(
        hours=STEP_PROMISES_H[Step.ACKNOWLEDGED]
    )
    assert step_due_at(Step.PROPOSED, T0) == T0 + timedelta(hours=STEP_PROMISES_H[Step.CHECKED])
    assert step_due_at(Step.REOPENED, T0) == T0 + timedelta(
        hours=STEP_PROMISES_H[Step.ACKNOWLEDGED]
    )
    assert step_due_at(Step.CONFIRMED, T0) is None


def test_a_promise_is_overdue_only_once_its_time_has_passed_and_never_when_confirmed() -> None:
    due = T0 + timedelta(hours=4)
    assert not is_overdue("received", due, due)
    assert is_overdue("received", due, due + timedelta(seconds=1))
    assert not is_overdue("confirmed", due, due + timedelta(days=9))
    assert not is_overdue("received", None, due)


def test_an_agent_works_their_own_and_unassigned_tickets_a_supervisor_any() -> None:
    check_may_work(ANNA, None)
    check_may_work(ANNA, "anna")
    check_may_work(SUP, "ben")
    with pytest.raises(NotAllowed, match="assigned to ben"):
        check_may_work(ANNA, "ben")


def test_an_agent_takes_an_unassigned_ticket_but_only_a_supervisor_reassigns() -> None:
    check_may_assign(ANNA, None, "anna")
    check_may_assign(ANNA, "anna", None)
    check_may_assign(SUP, "anna", "ben")
    for owner, to in (("ben", "anna"), ("anna", "ben"), (None, "ben")):
        with pytest.raises(NotAllowed, match="only a supervisor may assign"):
            check_may_assign(ANNA, owner, to)
