"""The call path's lookups: the same answers however they run, cached lookups kept honest."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from callcenter.db import (
    CustomerRepository,
    InteractionData,
    InteractionRepository,
    NewCustomer,
    TicketRepository,
    make_engine,
    make_sessions,
    upgrade,
)
from callcenter.db.reads import InlineSqliteReads, make_reads
from tests.pg import PostgresServer

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
PROMISES = {"complaint": 48.0, "request": 72.0, "inquiry": 24.0}


async def test_lookups_give_the_same_answers_on_the_fast_path_as_through_sessions(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customers = CustomerRepository(sessions)
    anna = await customers.add(
        NewCustomer(name="Anna Schmidt", account="100200", phones=("030 1234567", "0171 5551234"))
    )
    calls = InteractionRepository(sessions)
    for minute in range(3):
        await calls.save(
            InteractionData(f"u{minute}", T0 + timedelta(minutes=minute), customer_id=anna)
        )
    await calls.save(InteractionData("x1", T0, caller_number="+4940999"))
    tickets = TicketRepository(sessions, PROMISES)
    await tickets.open(customer_id=anna, category="complaint", subject="late delivery", now=T0)
    reads = make_reads(engine)
    try:
        if engine.dialect.name == "sqlite":
            assert isinstance(reads, InlineSqliteReads)
        fast = (
            CustomerRepository(sessions, reads=reads),
            InteractionRepository(sessions, reads=reads),
            TicketRepository(sessions, PROMISES, reads=reads),
        )
        for c, i, t in ((customers, calls, tickets), fast):
            found = await c.find_by_phone("+49 171 5551234")
            assert found is not None
            assert (found.id, found.name, found.phones) == (
                anna,
                "Anna Schmidt",
                ("+49301234567", "+491715551234"),
            )
            assert await c.find_by_account("100200") == found
            assert await c.get(anna) == found
            assert await c.find_by_phone("030 7777777") is None
            recent = await i.recent(customer_id=anna, caller_number=None, limit=2)
            assert [r.uniqueid for r in recent] == ["u2", "u1"]
            by_number = await i.recent(customer_id=None, caller_number="+4940999", limit=5)
            assert [r.uniqueid for r in by_number] == ["x1"]
            (open_ticket,) = await t.open_for_customer(anna)
            assert (open_ticket.subject, open_ticket.status) == ("late delivery", "open")
    finally:
        await reads.close()


async def test_the_inline_sqlite_reads_cannot_write(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'callcenter.db'}")
    await upgrade(engine)
    reads = make_reads(engine)
    try:
        with pytest.raises(OperationalError, match="readonly"):
            await reads.rows(text("DELETE FROM customers"), {})
    finally:
        await reads.close()
        await engine.dispose()


async def test_a_remembered_caller_follows_an_edit_at_once_and_another_process_within_ttl(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    service = CustomerRepository(sessions, cache_s=0.5)
    importer = CustomerRepository(sessions)  # another process: its writes are not seen
    assert await service.find_by_phone("030 1234567") is None  # remembered as unknown
    anna = await importer.add(NewCustomer(name="Anna", account="1", phones=("030 1234567",)))
    assert await service.find_by_phone("030 1234567") is None  # not yet
    await asyncio.sleep(0.6)
    found = await service.find_by_phone("030 1234567")
    assert found is not None
    assert found.name == "Anna"
    await service.update(anna, name="Anna Schmidt")  # the desktop's edit: seen at once
    edited = await service.find_by_phone("030 1234567")
    assert edited is not None
    assert edited.name == "Anna Schmidt"
    assert await service.find_by_account("1") == edited


async def test_postgres_lookups_survive_their_connections_being_cut(
    postgres: PostgresServer,
) -> None:
    url = postgres.new_database()
    engine = make_engine(url)
    await upgrade(engine)
    sessions = make_sessions(engine)
    await CustomerRepository(sessions).add(
        NewCustomer(name="Anna", account="1", phones=("030 1234567",))
    )
    reads = make_reads(engine)
    customers = CustomerRepository(sessions, reads=reads)
    try:
        assert await customers.find_by_phone("030 1234567") is not None  # a pooled connection
        database = url.rsplit("/", 1)[1]
        # The server restarts, or an admin ends the sessions: the pooled connection is dead.
        postgres.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE datname = '{database}' AND pid <> pg_backend_pid()"
        )
        outcomes = []
        for _ in range(3):
            try:
                outcomes.append(await customers.find_by_phone("030 1234567") is not None)
            except DBAPIError:
                outcomes.append(False)
        # No ping on checkout: at most the first lookup fails, then the pool is renewed.
        assert outcomes[1:] == [True, True]
    finally:
        await reads.close()
        await engine.dispose()
