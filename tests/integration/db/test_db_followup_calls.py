"""Automated follow-up calls in the database: made by the category's rule, claimed once
(a restart or a second look does not dial one twice), retried after a miss, unreached when
the calls are used up, and a call never heard of again released as a miss."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db import CustomerRepository, NewCustomer, TicketRepository
from cti.complaint import Actor, Step
from cti.followups import FollowUpMode, FollowUpRule

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANNA = Actor("anna", supervises=False)
RULE = FollowUpRule(FollowUpMode.AUTOMATED, delay_hours=1, max_attempts=2, retry_minutes=30)


@pytest.fixture
async def customer_id(sessions: async_sessionmaker[AsyncSession]) -> int:
    return await CustomerRepository(sessions).add(
        NewCustomer(name="Carl", account="7", phones=("+4930123456",)), now=T0
    )


def _tickets(sessions: async_sessionmaker[AsyncSession]) -> TicketRepository:
    tickets = TicketRepository(sessions, {"complaint": 48, "request": 72})
    tickets.use_followups(lambda category: RULE if category == "complaint" else FollowUpRule())
    return tickets


async def _resolved(tickets: TicketRepository, customer_id: int, category: str) -> int:
    ticket = await tickets.open(
        customer_id=customer_id, category=category, subject="late parcel", now=T0
    )
    for step in (Step.ACKNOWLEDGED, Step.INVESTIGATED, Step.PROPOSED):
        await tickets.advance(ticket.id, step, now=T0, actor=ANNA)
    return ticket.id


async def test_a_resolved_ticket_gets_the_followup_its_category_says(
    sessions: async_sessionmaker[AsyncSession], customer_id: int
) -> None:
    tickets = _tickets(sessions)
    complaint = await _resolved(tickets, customer_id, "complaint")
    request = await _resolved(tickets, customer_id, "request")
    by_ticket = {f.ticket_id: f for f in await tickets.followups(visible_queues=None)}
    assert (by_ticket[complaint].mode, by_ticket[complaint].due_at) == (
        "automated",
        T0 + timedelta(hours=1),
    )
    assert by_ticket[request].mode == "agent"
    # Only the automated one is dialled, and only once it is due.
    assert await tickets.claim_due(T0 + timedelta(minutes=59)) == []
    [due] = await tickets.claim_due(T0 + timedelta(hours=1))
    assert (due.ticket_id, due.number, due.attempt) == (complaint, "+4930123456", 1)


async def test_a_claimed_followup_is_not_dialled_again_after_a_restart(
    sessions: async_sessionmaker[AsyncSession], customer_id: int
) -> None:
    await _resolved(_tickets(sessions), customer_id, "complaint")
    at = T0 + timedelta(hours=1)
    assert len(await _tickets(sessions).claim_due(at)) == 1
    # A new process on the same database: the call is out, nothing to dial.
    restarted = _tickets(sessions)
    assert await restarted.claim_due(at + timedelta(minutes=5)) == []
    [listed] = await restarted.followups(visible_queues=None)
    assert listed.dialling
    # Never heard of again: released as a miss, dialled again after the rule's wait.
    assert await restarted.release_stale(at, now=at + timedelta(minutes=20)) == []
    released = await restarted.release_stale(
        at + timedelta(seconds=1), now=at + timedelta(minutes=20)
    )
    assert released == [listed.id]
    assert await restarted.claim_due(at + timedelta(minutes=49)) == []
    [again] = await restarted.claim_due(at + timedelta(minutes=50))
    assert again.attempt == 2


async def test_misses_retry_then_leave_the_followup_unreached_for_an_agent(
    sessions: async_sessionmaker[AsyncSession], customer_id: int
) -> None:
    tickets = _tickets(sessions)
    ticket_id = await _resolved(tickets, customer_id, "complaint")
    at = T0 + timedelta(hours=1)
    [first] = await tickets.claim_due(at)
    missed = await tickets.followup_missed(first.id, "busy", now=at)
    assert (missed.attempts, missed.due_at, missed.unreached_at) == (
        1,
        at + timedelta(minutes=30),
        None,
    )
    [second] = await tickets.claim_due(at + timedelta(minutes=30))
    gone = await tickets.followup_missed(second.id, "no-answer", now=at + timedelta(minutes=31))
    assert gone.unreached_at == at + timedelta(minutes=31)
    assert await tickets.claim_due(at + timedelta(days=1)) == []
    # Still listed for an agent, who can call and record the answer as always.
    [listed] = await tickets.followups(visible_queues=None)
    assert (listed.last_result, listed.unreached_at is not None) == ("no-answer", True)
    done = await tickets.answer_followup(
        listed.id, False, now=at + timedelta(hours=2), actor="anna"
    )
    assert done.step == "reopened"
    notes = [h.note for h in await tickets.history(ticket_id)]
    assert "automated follow-up call 1: busy" in notes


async def test_the_keypad_answer_is_recorded_as_an_agents_answer_and_ends_the_call(
    sessions: async_sessionmaker[AsyncSession], customer_id: int
) -> None:
    tickets = _tickets(sessions)
    ticket_id = await _resolved(tickets, customer_id, "complaint")
    [due] = await tickets.claim_due(T0 + timedelta(hours=1))
    assert await tickets.followup_waiting(due.id)
    done = await tickets.answer_followup(due.id, True, now=T0 + timedelta(hours=1), actor="ivr")
    assert done.step == "confirmed"
    assert not await tickets.followup_waiting(due.id)
    [followup] = await tickets.followups(visible_queues=None, ticket_id=ticket_id)
    assert (followup.satisfied, followup.dialling, followup.last_result) == (
        True,
        False,
        "answered",
    )
