"""What the web API lists: tickets (and linking one to a call) and callback requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db import (
    AttemptResult,
    CallbackAttempt,
    CallbackRepository,
    CallbackStatus,
    CustomerRepository,
    InteractionData,
    InteractionNotFound,
    InteractionRepository,
    NewCustomer,
    TicketNotFound,
    TicketRepository,
)
from cti import TicketError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
async def customer_ids(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    customers = CustomerRepository(sessions)
    carl, dora = await customers.add_many(
        [NewCustomer(name="Carl", account="7"), NewCustomer(name="Dora", account="8")], now=T0
    )
    return carl, dora


@pytest.fixture
def tickets(sessions: async_sessionmaker[AsyncSession]) -> TicketRepository:
    return TicketRepository(sessions, {"complaint": 48, "request": 72})


async def test_tickets_are_listed_newest_updated_first_by_customer_and_status(
    tickets: TicketRepository, customer_ids: tuple[int, int]
) -> None:
    carl, dora = customer_ids
    first = await tickets.open(customer_id=carl, category="request", subject="a", now=T0)
    second = await tickets.open(customer_id=dora, category="request", subject="b", now=T0 + HOUR)
    third = await tickets.open(
        customer_id=carl, category="complaint", subject="c", now=T0 + 2 * HOUR
    )
    await tickets.move(first.id, "in_progress", now=T0 + 3 * HOUR)

    async def ids(**filters: object) -> list[int]:
        return [t.id for t in await tickets.list(**filters)]  # type: ignore[arg-type]

    assert await ids() == [first.id, third.id, second.id]
    assert await ids(customer_id=carl) == [first.id, third.id]
    assert await ids(status="open") == [third.id, second.id]
    assert await ids(customer_id=carl, status="open") == [third.id]
    assert await ids(status="confirmed") == []
    assert await ids(limit=1) == [first.id]
    with pytest.raises(TicketError, match=r"unknown ticket status 'done' \(one of: open, "):
        await tickets.list(status="done")


async def test_an_existing_ticket_is_linked_to_a_call_and_the_link_is_in_its_history(
    sessions: async_sessionmaker[AsyncSession],
    tickets: TicketRepository,
    customer_ids: tuple[int, int],
) -> None:
    interactions = InteractionRepository(sessions)
    await interactions.save(InteractionData(uniqueid="1700000000.5", arrived_at=T0))
    record = await interactions.record("1700000000.5")
    assert record is not None
    ticket = await tickets.open(
        customer_id=customer_ids[0], category="request", subject="s", now=T0
    )
    linked = await tickets.link(ticket.id, record.id, now=T0 + HOUR, actor="a7")
    assert linked == ticket  # the status and due time stay
    after = await interactions.record("1700000000.5")
    assert after is not None
    assert after.ticket_ids == (ticket.id,)
    history = await tickets.history(ticket.id)
    assert [(h.from_status, h.to_status, h.actor, h.note) for h in history[1:]] == [
        ("open", "open", "a7", "linked to call 1700000000.5")
    ]
    await tickets.link(ticket.id, record.id, now=T0 + 2 * HOUR)  # again: nothing new
    assert len(await tickets.history(ticket.id)) == 2
    with pytest.raises(TicketNotFound, match="no ticket 999"):
        await tickets.link(999, record.id)
    with pytest.raises(InteractionNotFound, match="no recorded call with id 999"):
        await tickets.link(ticket.id, 999)
    with pytest.raises(TicketNotFound, match="no ticket 999"):
        await tickets.move(999, "resolved", now=T0)


async def test_callbacks_are_listed_by_window_with_the_customer_name(
    sessions: async_sessionmaker[AsyncSession], customer_ids: tuple[int, int]
) -> None:
    callbacks = CallbackRepository(sessions, max_attempts=1)
    late = await callbacks.request(
        number="+49301234567", window_start=T0 + 2 * HOUR, window_end=T0 + 3 * HOUR, now=T0
    )
    early = await callbacks.request(
        number="+49301234568",
        window_start=T0,
        window_end=T0 + HOUR,
        now=T0,
        customer_id=customer_ids[1],
    )
    assert early.customer_name == "Dora"
    assert late.customer_name is None
    failed = await callbacks.record_attempt(early.id, reached=False, now=T0)
    assert (failed.status, failed.customer_name) == (CallbackStatus.FAILED, "Dora")
    everything = await callbacks.list()
    assert [(c.id, c.customer_name) for c in everything] == [(early.id, "Dora"), (late.id, None)]
    assert everything[0] == failed
    assert [c.id for c in await callbacks.list(status="pending")] == [late.id]
    assert [c.id for c in await callbacks.list(status=CallbackStatus.FAILED)] == [early.id]
    assert [c.id for c in await callbacks.list(limit=1)] == [early.id]
    assert [c.customer_name for c in await callbacks.due(T0 + 2 * HOUR)] == [None]
    with pytest.raises(ValueError, match=r"unknown callback status 'x' \(one of: pending, "):
        await callbacks.list(status="x")


async def test_each_callback_attempt_is_kept_with_its_time_agent_and_result(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    callbacks = CallbackRepository(sessions, max_attempts=3)
    missed = await callbacks.request(
        number="+49301234567", window_start=T0, window_end=T0 + 4 * HOUR, now=T0
    )
    reached = await callbacks.request(
        number="+49301234568", window_start=T0, window_end=T0 + 4 * HOUR, now=T0
    )
    minute = timedelta(minutes=1)

    busy = await callbacks.record_attempt(
        missed.id, reached=False, now=T0 + minute, agent="agent1", result=AttemptResult.BUSY
    )
    await callbacks.record_attempt(
        missed.id, reached=False, now=T0 + 6 * minute, agent="agent2", result="no-answer"
    )
    last = await callbacks.record_attempt(
        missed.id, reached=False, now=T0 + 11 * minute, agent="agent1", result="failed"
    )
    done = await callbacks.record_attempt(
        reached.id, reached=True, now=T0 + 2 * minute, agent="agent2", result="reached"
    )

    assert (busy.status, busy.attempts, busy.last_attempt_at) == (
        CallbackStatus.PENDING,
        1,
        T0 + minute,
    )
    assert busy.history == (CallbackAttempt(T0 + minute, "agent1", "busy"),)
    assert (last.status, last.attempts) == (CallbackStatus.FAILED, 3)
    assert [(a.agent, a.result) for a in last.history] == [
        ("agent1", "busy"),
        ("agent2", "no-answer"),
        ("agent1", "failed"),
    ]
    assert (done.status, done.history) == (
        CallbackStatus.DONE,
        (CallbackAttempt(T0 + 2 * minute, "agent2", "reached"),),
    )
    listed = {c.id: c for c in await callbacks.list()}
    assert listed[missed.id] == last
    assert listed[reached.id] == done
    assert await callbacks.get(missed.id) == last
    assert await callbacks.get(9999) is None
    # An attempt without a result given is reached or not-reached.
    plain = await callbacks.request(
        number="+49301234569", window_start=T0, window_end=T0 + HOUR, now=T0
    )
    plain = await callbacks.record_attempt(plain.id, reached=False, now=T0)
    assert [(a.agent, a.result) for a in plain.history] == [(None, "not-reached")]
