"""Tickets follow their workflow (illegal moves refused, history kept); callbacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db import (
    CallbackRepository,
    CallbackStatus,
    CustomerRepository,
    NewCustomer,
    TicketRepository,
)
from cti import IllegalTransition, TicketError, TicketStatus

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def customer_id(sessions: async_sessionmaker[AsyncSession]) -> int:
    return await CustomerRepository(sessions).add(NewCustomer(name="Carl", account="7"), now=T0)


@pytest.fixture
def tickets(sessions: async_sessionmaker[AsyncSession]) -> TicketRepository:
    return TicketRepository(sessions, {"complaint": 48, "request": 72})


async def test_a_ticket_goes_through_its_workflow_with_history(
    tickets: TicketRepository, customer_id: int
) -> None:
    ticket = await tickets.open(
        customer_id=customer_id, category="complaint", subject="late parcel", now=T0
    )
    assert ticket.status == "open"
    assert ticket.due_at == T0 + timedelta(hours=48)
    steps = [
        TicketStatus.IN_PROGRESS,
        TicketStatus.RESOLVED,
        TicketStatus.REOPENED,
        TicketStatus.RESOLVED,
        TicketStatus.CONFIRMED,
    ]
    for hour, status in enumerate(steps, start=1):
        moved = await tickets.move(ticket.id, status, now=T0 + timedelta(hours=hour), actor="a7")
        assert moved.status == status.value
    history = await tickets.history(ticket.id)
    assert [(h.from_status, h.to_status) for h in history] == [
        (None, "open"),
        ("open", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "reopened"),
        ("reopened", "resolved"),
        ("resolved", "confirmed"),
    ]
    assert history[-1].actor == "a7"


async def test_an_illegal_move_is_refused_clearly_and_changes_nothing(
    tickets: TicketRepository, customer_id: int
) -> None:
    ticket = await tickets.open(customer_id=customer_id, category="request", subject="x", now=T0)
    with pytest.raises(IllegalTransition, match="cannot go from open to confirmed"):
        await tickets.move(ticket.id, "confirmed", now=T0)
    with pytest.raises(IllegalTransition, match="unknown ticket status 'done'"):
        await tickets.move(ticket.id, "done", now=T0)
    assert (await tickets.get(ticket.id)) == ticket
    assert len(await tickets.history(ticket.id)) == 1
    with pytest.raises(TicketError, match="unknown ticket category 'praise'"):
        await tickets.open(customer_id=customer_id, category="praise", subject="x", now=T0)
    with pytest.raises(TicketError, match="no ticket 999"):
        await tickets.move(999, "resolved", now=T0)


async def test_only_unsettled_tickets_are_open_soonest_due_first(
    tickets: TicketRepository, customer_id: int
) -> None:
    request = await tickets.open(customer_id=customer_id, category="request", subject="r", now=T0)
    complaint = await tickets.open(
        customer_id=customer_id, category="complaint", subject="c", now=T0
    )
    done = await tickets.open(customer_id=customer_id, category="request", subject="d", now=T0)
    await tickets.move(done.id, "resolved", now=T0)
    assert [t.id for t in await tickets.open_for_customer(customer_id)] == [
        complaint.id,
        request.id,
    ]


async def test_callbacks_are_due_in_their_window_and_fail_after_the_last_attempt(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    callbacks = CallbackRepository(sessions, max_attempts=2)
    one = await callbacks.request(
        number="+49301234567", window_start=T0, window_end=T0 + timedelta(hours=1), now=T0
    )
    later = await callbacks.request(
        number="+49301234568",
        window_start=T0 + timedelta(hours=2),
        window_end=T0 + timedelta(hours=3),
        now=T0,
    )
    assert [c.id for c in await callbacks.due(T0 + timedelta(minutes=5))] == [one.id]
    first = await callbacks.record_attempt(one.id, reached=False, now=T0)
    assert (first.attempts, first.status) == (1, CallbackStatus.PENDING)
    last = await callbacks.record_attempt(one.id, reached=False, now=T0)
    assert (last.attempts, last.status) == (2, CallbackStatus.FAILED)
    reached = await callbacks.record_attempt(later.id, reached=True, now=T0)
    assert reached.status is CallbackStatus.DONE
    assert await callbacks.due(T0 + timedelta(minutes=5)) == []
    with pytest.raises(ValueError, match="is failed, not pending"):
        await callbacks.record_attempt(one.id, reached=True, now=T0)
    with pytest.raises(ValueError, match="must end after it starts"):
        await callbacks.request(number="+4930", window_start=T0, window_end=T0, now=T0)
