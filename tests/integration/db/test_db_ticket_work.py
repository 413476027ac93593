"""Tickets as work in the database: the six steps with their promises and history, who may
move and assign, the follow-up call that confirms or reopens, the worklist and the report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db import CustomerRepository, NewCustomer, TicketRepository
from callcenter.db.tickets import FollowUpNotFound
from callcenter.reports import ReportRepository
from cti import IllegalTransition
from cti.complaint import SIX_STEPS, STEP_PROMISES_H, Actor, NotAllowed, Step

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANNA = Actor("anna", supervises=False)
BEN = Actor("ben", supervises=False)
SUP = Actor("sup", supervises=True)


@pytest.fixture
async def customer_id(sessions: async_sessionmaker[AsyncSession]) -> int:
    return await CustomerRepository(sessions).add(NewCustomer(name="Carl", account="7"), now=T0)


@pytest.fixture
def tickets(sessions: async_sessionmaker[AsyncSession]) -> TicketRepository:
    return TicketRepository(sessions, {"complaint": 48, "request": 72})


@pytest.fixture
def reports(sessions: async_sessionmaker[AsyncSession]) -> ReportRepository:
    """The report, from the event log entries the ticket changes appended."""
    return ReportRepository(sessions)


async def _open(tickets: TicketRepository, customer_id: int, queue: str | None = "general") -> int:
    ticket = await tickets.open(
        customer_id=customer_id, category="complaint", subject="late parcel", now=T0, queue=queue
    )
    return ticket.id


async def test_a_ticket_goes_through_all_six_steps_with_actor_time_and_kept_promises(
    tickets: TicketRepository, reports: ReportRepository, customer_id: int
) -> None:
    ticket_id = await _open(tickets, customer_id)
    at = T0
    for step in SIX_STEPS[1:]:
        at += timedelta(hours=1)  # well within every promise
        moved = await tickets.advance(ticket_id, step, now=at, actor=ANNA, note=f"did {step}")
        assert moved.step == step.value
    assert (moved.status, moved.step_due_at, moved.owner) == ("confirmed", None, "anna")
    history = await tickets.history(ticket_id)
    assert [h.step for h in history] == [s.value for s in SIX_STEPS]
    assert [h.to_status for h in history] == [
        "open",
        "in_progress",
        "in_progress",
        "resolved",
        "resolved",
        "confirmed",
    ]
    assert {h.actor for h in history[1:]} == {"anna"}
    assert history[1].at == T0 + timedelta(hours=1)
    assert history[1].promise_due_at == T0 + timedelta(hours=STEP_PROMISES_H[Step.ACKNOWLEDGED])
    report = await reports.ticket_report(T0, T0 + timedelta(days=1))
    assert [(s.step, s.due, s.kept) for s in report.steps] == [
        ("acknowledged", 1, 1),
        ("investigated", 1, 1),
        ("proposed", 1, 1),
        ("checked", 1, 1),
        ("confirmed", 1, 1),
    ]


async def test_a_skipped_step_is_refused_and_changes_nothing(
    tickets: TicketRepository, customer_id: int
) -> None:
    ticket_id = await _open(tickets, customer_id)
    with pytest.raises(IllegalTransition, match="from received it may go to acknowledged"):
        await tickets.advance(ticket_id, "proposed", now=T0, actor=SUP)
    ticket = await tickets.work_ticket(ticket_id)
    assert ticket is not None
    assert ticket.step == "received"
    assert len(await tickets.history(ticket_id)) == 1


async def test_an_agent_takes_an_unassigned_ticket_and_another_agent_cannot_move_it(
    tickets: TicketRepository, customer_id: int
) -> None:
    ticket_id = await _open(tickets, customer_id)
    taken = await tickets.advance(ticket_id, "acknowledged", now=T0, actor=ANNA)
    assert taken.owner == "anna"
    with pytest.raises(NotAllowed, match="assigned to anna"):
        await tickets.advance(ticket_id, "investigated", now=T0, actor=BEN)
    with pytest.raises(NotAllowed):
        await tickets.assign(ticket_id, "ben", now=T0, actor=BEN)
    moved = await tickets.assign(ticket_id, "ben", now=T0, actor=SUP, note="anna is away")
    assert moved.owner == "ben"
    assert (await tickets.history(ticket_id))[-1].note == "assigned to ben: anna is away"
    await tickets.advance(ticket_id, "investigated", now=T0, actor=BEN)


async def test_an_overdue_promise_is_listed_once_its_time_passes_and_counts_as_not_kept(
    tickets: TicketRepository, reports: ReportRepository, customer_id: int
) -> None:
    ticket_id = await _open(tickets, customer_id)
    due = T0 + timedelta(hours=STEP_PROMISES_H[Step.ACKNOWLEDGED])
    assert await tickets.overdue(due) == []
    late = due + timedelta(minutes=1)
    assert [t.id for t in await tickets.overdue(late)] == [ticket_id]
    await tickets.advance(ticket_id, "acknowledged", now=late, actor=ANNA)
    assert await tickets.overdue(late) == []
    report = await reports.ticket_report(T0, late + timedelta(seconds=1))
    assert (report.steps[0].due, report.steps[0].kept) == (1, 0)


async def test_a_resolved_ticket_gets_a_follow_up_and_not_satisfied_reopens_it(
    tickets: TicketRepository, reports: ReportRepository, customer_id: int
) -> None:
    ticket_id = await _open(tickets, customer_id)
    for step in ("acknowledged", "investigated", "proposed"):
        await tickets.advance(ticket_id, step, now=T0, actor=ANNA)
    [followup] = await tickets.followups(visible_queues=None)
    assert (followup.ticket_id, followup.due_at) == (
        ticket_id,
        T0 + timedelta(hours=STEP_PROMISES_H[Step.CHECKED]),
    )
    later = T0 + timedelta(hours=5)
    reopened = await tickets.answer_followup(
        followup.id, False, now=later, actor="ben", note="still broken"
    )
    assert (reopened.status, reopened.step) == ("reopened", "reopened")
    assert await tickets.followups(visible_queues=None) == []
    with pytest.raises(FollowUpNotFound):
        await tickets.answer_followup(followup.id, True, now=later, actor="ben")
    assert (await tickets.history(ticket_id))[-1].note == (
        "follow-up call: not satisfied: still broken"
    )
    report = await reports.ticket_report(T0, later + timedelta(seconds=1))
    assert (report.resolved, report.reopened, report.reopen_rate) == (1, 1, 1.0)
    assert (report.followups_answered, report.followups_satisfied) == (1, 0)


async def test_a_satisfied_answer_checks_and_confirms_the_ticket(
    tickets: TicketRepository, customer_id: int
) -> None:
    ticket_id = await _open(tickets, customer_id)
    for step in ("acknowledged", "investigated", "proposed"):
        await tickets.advance(ticket_id, step, now=T0, actor=ANNA)
    [followup] = await tickets.followups(visible_queues=None)
    done = await tickets.answer_followup(followup.id, True, now=T0, actor="ben")
    assert (done.status, done.step) == ("confirmed", "confirmed")
    assert [h.step for h in await tickets.history(ticket_id)][-2:] == ["checked", "confirmed"]


async def test_the_worklist_shows_mine_my_queues_and_overdue_within_what_i_may_see(
    tickets: TicketRepository, customer_id: int
) -> None:
    general = await _open(tickets, customer_id, "general")
    billing = await _open(tickets, customer_id, "billing")
    floor = await _open(tickets, customer_id, None)
    await tickets.assign(billing, "anna", now=T0, actor=SUP)

    async def ids(**filters: object) -> list[int]:
        found = await tickets.worklist(**filters)  # type: ignore[arg-type]
        return sorted(t.id for t in found)

    sees_general = frozenset({"general"})
    assert await ids(visible_queues=sees_general, me="ben") == [general, floor]
    assert await ids(visible_queues=sees_general, me="anna") == [general, billing, floor]
    assert await ids(visible_queues=sees_general, me="anna", owner="anna") == [billing]
    assert await ids(visible_queues=None, me="sup", queues=["general"]) == [general]
    assert await ids(visible_queues=None, me="sup", overdue_at=T0) == []
    late = T0 + timedelta(days=1)
    assert await ids(visible_queues=sees_general, me="ben", overdue_at=late) == [general, floor]
    assert await ids(visible_queues=None, me="sup", category="request") == []


async def test_a_coarse_move_of_the_in_call_form_lands_on_its_step(
    tickets: TicketRepository, customer_id: int
) -> None:
    ticket_id = await _open(tickets, customer_id)
    await tickets.move(ticket_id, "resolved", now=T0, actor="anna")
    ticket = await tickets.work_ticket(ticket_id)
    assert ticket is not None
    assert (ticket.status, ticket.step) == ("resolved", "proposed")
    assert len(await tickets.followups(visible_queues=None)) == 1
