"""Call detail records and a customer's history, read the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db import (
    CallbackRepository,
    CallEvent,
    CustomerRepository,
    EventLog,
    InteractionData,
    InteractionRepository,
    NewCustomer,
)
from callcenter.db.call_records import CallRecords, Period
from callcenter.db.contact_history import ContactHistory

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
"""23:00 in Berlin on the Saturday before summer time starts (02:00 -> 03:00 on Sunday)."""
NUMBER = "+4930123456"


async def _seed(sessions: async_sessionmaker[AsyncSession]) -> int:
    customer = await CustomerRepository(sessions).add(
        NewCustomer(name="Erika Mustermann", account="4711", phones=(NUMBER,))
    )
    calls = InteractionRepository(sessions)
    # Every 40 minutes over 4 hours: Saturday 23:00 to Sunday 04:20 Berlin time.
    for n in range(7):
        at = START + timedelta(minutes=40 * n)
        answered = n % 2 == 0
        await calls.save(
            InteractionData(
                uniqueid=f"1774735200.{n}",
                arrived_at=at,
                caller_number=NUMBER,
                customer_id=customer if n != 3 else None,  # one not linked: found by number
                queue=None if n == 5 else ("general" if n % 3 else "billing"),
                agent="agent1" if answered else None,
                queued_at=at + timedelta(seconds=10),
                answered_at=at + timedelta(seconds=30) if answered else None,
                ended_at=at + timedelta(seconds=90),
                outcome="answered" if answered else ("self_service" if n == 5 else "abandoned"),
            )
        )
    await EventLog(sessions).append(
        [
            CallEvent(
                at=START + timedelta(seconds=90),
                kind="complete",
                call_id="1774735200.0",
                queue="billing",
                agent="agent1",
            ),
            CallEvent(
                at=START + timedelta(seconds=100),
                kind="handled",
                queue="billing",
                agent="agent1",
                data={"wrap_up": 10.0},
            ),
        ]
    )
    callbacks = CallbackRepository(sessions)
    request = await callbacks.request(
        number=NUMBER,
        window_start=START,
        window_end=START + timedelta(hours=8),
        now=START,
        queue="billing",
    )  # stored without the customer: theirs by number
    for minutes, result in ((50, "busy"), (130, "no-answer")):
        await callbacks.record_attempt(
            request.id,
            reached=False,
            now=START + timedelta(minutes=minutes),
            agent="agent3",
            result=result,
        )
    return customer


async def test_given_a_night_across_midnight_and_a_clock_change_then_every_record_comes_in_order(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _seed(sessions)
    records = CallRecords(sessions, chunk=2)  # several round trips per day
    saturday = datetime(2026, 3, 28, tzinfo=BERLIN)

    rows = [r async for r in records.rows(Period(saturday, saturday + timedelta(days=2), BERLIN))]

    kinds = [(r["record_type"], r["call_id"]) for r in rows]
    assert kinds == [
        ("call", "1774735200.0"),
        ("call", "1774735200.1"),
        ("callback_attempt", kinds[2][1]),
        ("call", "1774735200.2"),
        ("call", "1774735200.3"),
        ("callback_attempt", kinds[2][1]),
        ("call", "1774735200.4"),
        ("call", "1774735200.5"),
        ("call", "1774735200.6"),
    ]
    assert [r["attempt"] for r in rows if r["record_type"] == "callback_attempt"] == [1, 2]
    assert rows[0]["wrap_up_seconds"] == 10.0
    assert rows[0]["customer_name"] == "Erika Mustermann"
    assert (rows[0]["talk_seconds"], rows[0]["wait_seconds"]) == (60.0, 20.0)
    assert all(r["arrived_at"].tzinfo is not None for r in rows)


async def test_given_queues_then_only_theirs_come_and_calls_without_one_only_when_asked(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _seed(sessions)
    records = CallRecords(sessions)
    period = Period(START, START + timedelta(hours=6), BERLIN)

    scoped = [r async for r in records.rows(period, queues={"billing"})]
    strict = [r async for r in records.rows(period, queues={"billing"}, unqueued=False)]

    assert {r["queue"] for r in scoped} == {"billing", None}
    assert {r["queue"] for r in strict} == {"billing"}
    assert len([r for r in strict if r["record_type"] == "callback_attempt"]) == 2


async def test_a_customers_history_holds_their_calls_requests_and_attempts_newest_first(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    customer = await _seed(sessions)

    history = await ContactHistory(sessions).of_customer(customer)

    assert [c.at for c in history] == sorted((c.at for c in history), reverse=True)
    assert [c.kind for c in history].count("call") == 7  # the unlinked one by its number
    assert [(c.attempt, c.outcome) for c in history if c.kind == "callback_attempt"] == [
        (2, "no-answer"),
        (1, "busy"),
    ]
    (request,) = [c for c in history if c.kind == "callback"]
    assert (request.outcome, request.details["attempts"]) == ("pending", 2)
    assert await ContactHistory(sessions).of_customer(customer + 1000) == []
