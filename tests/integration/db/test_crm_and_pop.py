"""The screen pop from the database, with an HTTP CRM that answers, is slow, or fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.testing import capture_logs

from callcenter.db import (
    CustomerRepository,
    InteractionData,
    InteractionRepository,
    NewCustomer,
    TicketRepository,
)
from callcenter.live.crm import HttpCrmLookup
from cti import CallContext, CrmRecord, PopBuilder, Tier

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KNOWN = "+4930111222"


async def crm_handler(request: web.Request) -> web.Response:
    number = request.query["phone"]
    if number == "+4930999000":
        await asyncio.sleep(5)  # the slow CRM: cancelled by the lookup's deadline first
    if number == "+4930500500":
        return web.Response(status=500)
    if number != KNOWN:
        return web.Response(status=404)
    return web.json_response({"name": "Anna S. (CRM)", "tier": "VIP", "extra": 1})


@pytest.fixture
async def crm_url() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/customers", crm_handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/customers?phone={{number}}"
    await runner.cleanup()


async def test_the_crm_answers_known_numbers_and_none_otherwise(crm_url: str) -> None:
    crm = HttpCrmLookup(crm_url, timeout_s=1.0)
    try:
        assert await crm.lookup(KNOWN) == CrmRecord(name="Anna S. (CRM)", tier=Tier.VIP)
        assert await crm.lookup("+4930123123") is None
        with capture_logs() as logs:
            assert await crm.lookup("+4930500500") is None
        assert logs[0]["event"] == "crm_lookup_failed"
        assert logs[0]["status"] == 500
    finally:
        await crm.close()


async def test_a_slow_crm_costs_its_timeout_and_the_pop_uses_the_local_record(
    sessions: async_sessionmaker[AsyncSession], crm_url: str
) -> None:
    customers = CustomerRepository(sessions)
    anna = await customers.add(
        NewCustomer(name="Anna", account="1", tier=Tier.GOLD, phones=("+4930999000",))
    )
    tickets = TicketRepository(sessions, {"complaint": 48})
    await tickets.open(customer_id=anna, category="complaint", subject="late", now=T0)
    await InteractionRepository(sessions).save(
        InteractionData(uniqueid="u0", arrived_at=T0, customer_id=anna, disposition="order")
    )
    crm = HttpCrmLookup(crm_url, timeout_s=0.2)
    builder = PopBuilder(customers, InteractionRepository(sessions), tickets, crm=crm)
    call = CallContext(uniqueid="u1", caller_number="+4930999000", dialled_number="100")
    try:
        with capture_logs() as logs:
            started = asyncio.get_running_loop().time()
            pop = await builder.build(call, now=T0 + timedelta(hours=1))
            elapsed = asyncio.get_running_loop().time() - started
    finally:
        await crm.close()
    assert elapsed < 1.0
    assert pop.source == "local"
    assert pop.customer is not None
    assert (pop.customer.name, pop.customer.tier) == ("Anna", Tier.GOLD)
    assert [h.disposition for h in pop.history] == ["order"]
    assert [t.subject for t in pop.open_tickets] == ["late"]
    assert logs[0]["error"] == "timeout"
    assert logs[0]["phone"] == "+4930999000"  # masked by the renderer (callcenter.app.logsetup)


async def test_the_crm_overlays_the_local_record(
    sessions: async_sessionmaker[AsyncSession], crm_url: str
) -> None:
    customers = CustomerRepository(sessions)
    await customers.add(NewCustomer(name="Anna", account="1", phones=(KNOWN,)))
    crm = HttpCrmLookup(crm_url, timeout_s=1.0)
    builder = PopBuilder(
        customers, InteractionRepository(sessions), TicketRepository(sessions, {}), crm=crm
    )
    try:
        pop = await builder.build(
            CallContext(uniqueid="u2", caller_number=KNOWN, dialled_number="100"), now=T0
        )
    finally:
        await crm.close()
    assert pop.source == "local+crm"
    assert pop.vip
    assert pop.customer is not None
    assert (pop.customer.name, pop.customer.account) == ("Anna S. (CRM)", "1")
