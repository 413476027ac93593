"""The event log only grows; the batched writer batches, retries, reports, never drops."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from structlog.testing import capture_logs

from acd.commands import Record, RecordKind
from callcenter.db import (
    AppendEvents,
    BatchedWriter,
    CallEvent,
    EventLog,
    InteractionData,
    InteractionRepository,
    SaveInteraction,
    WriteQueueFull,
    event_from_record,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def event(n: int, kind: str = "enqueue") -> CallEvent:
    return CallEvent(at=T0 + timedelta(seconds=n), kind=kind, call_id=f"c{n}", queue="sales")


async def test_events_are_read_back_in_log_order_and_by_time(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    log = EventLog(sessions)
    record = Record(12.5, RecordKind.CONNECT, queue="sales", call_id="c9", agent_id="a1", wait=4)
    await log.append([event(1), event(2, "offer"), event_from_record(record, T0)])
    events = await log.read()
    assert [e.kind for e in events] == ["enqueue", "offer", "connect"]
    assert events[2].agent == "a1"
    assert events[2].data == {"wait": 4}
    assert [e.kind for e in await log.read(after_id=events[0].id or 0)] == ["offer", "connect"]
    assert [e.call_id for e in await log.read(since=T0 + timedelta(seconds=2))] == ["c2"]


@pytest.mark.parametrize(
    "statement", ["UPDATE call_events SET kind = 'x'", "DELETE FROM call_events"]
)
async def test_the_database_refuses_to_change_the_event_log(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine, statement: str
) -> None:
    await EventLog(sessions).append([event(1)])
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    assert len(await EventLog(sessions).read()) == 1


async def test_the_writer_batches_the_call_path_writes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    writer = BatchedWriter(sessions, batch_size=50, interval_s=0.01)
    writer.start()
    for n in range(120):
        writer.submit(AppendEvents((event(n),)))
    writer.submit(SaveInteraction(InteractionData(uniqueid="u1", arrived_at=T0)))
    await writer.close(timeout=10)
    assert len(await EventLog(sessions).read()) == 120
    assert await InteractionRepository(sessions).get("u1") is not None
    assert (writer.written, writer.failures, writer.pending) == (121, 0, 0)


async def test_a_small_batch_waits_for_company_unless_someone_flushes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    writer = BatchedWriter(sessions, interval_s=30)
    writer.start()
    writer.submit(AppendEvents((event(1),)))
    await asyncio.sleep(0.2)
    assert await EventLog(sessions).read() == [], "waits for company"
    await writer.flush(timeout=5)  # cuts the 30 s wait short
    assert [e.call_id for e in await EventLog(sessions).read()] == ["c1"]
    writer.submit(AppendEvents((event(2),)))
    await asyncio.sleep(0.2)
    assert len(await EventLog(sessions).read()) == 1, "the next batch waits again"
    await writer.close(timeout=5)
    assert len(await EventLog(sessions).read()) == 2


class FlakySessions:
    """A session factory whose first `failures` transactions fail, as a database outage."""

    def __init__(self, real: async_sessionmaker[AsyncSession], failures: int) -> None:
        self.real, self.failures = real, failures

    def __call__(self) -> AsyncSession:
        session = self.real()
        if self.failures > 0:
            self.failures -= 1

            async def broken(*_args: object, **_kwargs: object) -> None:
                raise OperationalError("INSERT", {}, ConnectionRefusedError("database down"))

            session.flush = broken  # type: ignore[method-assign]
            session.execute = broken  # type: ignore[method-assign]
        return session


async def test_a_failed_batch_is_retried_and_reported_then_written(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    delays: list[float] = []

    async def no_wait(seconds: float) -> None:
        delays.append(seconds)
        await asyncio.sleep(0)

    flaky = FlakySessions(sessions, failures=3)
    writer = BatchedWriter(flaky, interval_s=0, retry_initial_s=0.1, sleep=no_wait)  # type: ignore[arg-type]
    with capture_logs() as logs:
        writer.submit(AppendEvents((event(1), event(2))))
        await writer.close(timeout=10)
    failed = [entry for entry in logs if entry["event"] == "db_write_failed"]
    assert [entry["attempt"] for entry in failed] == [1, 2, 3]
    assert "database down" in failed[0]["error"]
    assert failed[0]["log_level"] == "error"
    assert delays == [0.1, 0.2, 0.4]
    assert writer.failures == 3
    assert writer.last_error is None  # recovered
    assert len(await EventLog(sessions).read()) == 2


async def test_while_the_database_is_down_the_failure_is_visible_and_the_queue_refuses(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    flaky = FlakySessions(sessions, failures=10**6)
    writer = BatchedWriter(flaky, interval_s=0, max_pending=2, retry_max_s=0.01)  # type: ignore[arg-type]
    writer.start()
    writer.submit(AppendEvents((event(1),)))
    await asyncio.sleep(0.05)
    assert writer.failures >= 1
    assert writer.last_error is not None
    assert "database down" in writer.last_error
    writer.submit(AppendEvents((event(2),)))
    writer.submit(AppendEvents((event(3),)))
    with pytest.raises(WriteQueueFull, match="database down"):
        writer.submit(AppendEvents((event(4),)))
    with pytest.raises(TimeoutError):
        await writer.close(timeout=0.05)
    assert writer.written == 0  # and nothing was thrown away: the ops are still queued


class RefusedOp:
    """An operation the database refuses for good (a constraint it breaks)."""

    async def apply(self, session: AsyncSession) -> None:
        raise IntegrityError("INSERT INTO call_events", {}, Exception("duplicate key"))


async def test_a_refused_write_is_rejected_loudly_and_the_writes_around_it_still_land(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    writer = BatchedWriter(sessions, interval_s=0.05)
    with capture_logs() as logs:
        writer.submit(AppendEvents((event(1),)))
        writer.submit(RefusedOp())
        writer.submit(AppendEvents((event(2),)))
        await writer.flush(timeout=10)
        writer.submit(AppendEvents((event(3),)))  # later writes are not stalled either
        await writer.close(timeout=10)
    assert [e.call_id for e in await EventLog(sessions).read()] == ["c1", "c2", "c3"]
    assert writer.rejected == 1
    assert writer.dead_letters[0][0] == "RefusedOp"
    assert "duplicate key" in writer.dead_letters[0][1]
    rejected = [entry for entry in logs if entry["event"] == "db_write_rejected"]
    assert len(rejected) == 1
    assert rejected[0]["log_level"] == "error"
    permanent = [entry for entry in logs if entry["event"] == "db_write_failed"]
    assert all(entry["permanent"] for entry in permanent)  # no pointless retries
    assert [entry["batch"] for entry in permanent] == [3, 1]  # the batch, then the op alone


class HeldSessions:
    """A session factory whose n-th transaction waits until `release(n)`."""

    def __init__(self, real: async_sessionmaker[AsyncSession]) -> None:
        self.real, self.opened = real, 0
        self.gates: dict[int, asyncio.Event] = {}

    def gate(self, n: int) -> asyncio.Event:
        return self.gates.setdefault(n, asyncio.Event())

    def __call__(self) -> AsyncSession:
        session = self.real()
        self.opened += 1
        gate, execute = self.gate(self.opened), session.execute

        async def held(*args: object, **kwargs: object) -> object:
            await gate.wait()
            return await execute(*args, **kwargs)  # type: ignore[arg-type]

        session.execute = held  # type: ignore[method-assign]
        return session


async def test_settle_waits_for_what_was_submitted_before_it_not_for_later_writes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """An offer waits for its own record (several nodes), not for a queue that steady
    traffic keeps from ever being empty, as `flush` would."""
    held = HeldSessions(sessions)
    writer = BatchedWriter(held, interval_s=30)  # type: ignore[arg-type]
    writer.start()
    writer.submit(AppendEvents((event(1),)))
    settling = asyncio.create_task(writer.settle(timeout=5))  # cuts the 30 s wait short
    await asyncio.sleep(0.1)  # the batch of c1 is in its (held) transaction
    for n in (2, 3):  # later writes, behind it
        writer.submit(AppendEvents((event(n),)))
    held.gate(1).set()
    await settling  # c1 is in; c2 and c3 wait in a second, held transaction
    assert [e.call_id for e in await EventLog(sessions).read()] == ["c1"]
    with pytest.raises(TimeoutError):
        await writer.flush(timeout=0.3)  # flush would have waited for them
    held.gate(2).set()
    await writer.settle(timeout=5)
    assert [e.call_id for e in await EventLog(sessions).read()] == ["c1", "c2", "c3"]
    for n in range(3, 6):
        held.gate(n).set()
    await writer.close(timeout=5)
