"""Leader election on a real PostgreSQL: one node leads, a standby takes over when the
leader's session ends, and a leader that lost the lock can neither renew nor write."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import DBAPIError

from callcenter.app.settings import ClusterSettings
from callcenter.cluster.fence import Fence
from callcenter.cluster.leadership import Leadership, Role
from callcenter.db import CallEvent, EventLog, make_engine, make_sessions, upgrade
from callcenter.db.writer import fenced_error
from tests.pg import PostgresServer

FAST = {"lease_s": 1.0, "heartbeat_s": 0.2, "poll_s": 0.05}


@pytest.fixture
async def url(postgres: PostgresServer) -> AsyncIterator[str]:
    url = postgres.new_database()
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    return url


def node(url: str, name: str) -> Leadership:
    return Leadership(url, ClusterSettings(enabled=True, node=name, **FAST), Fence())


async def write_event(url: str, fence: Fence, kind: str = "login") -> None:
    engine = make_engine(url)
    try:
        log = EventLog(make_sessions(engine, fence=fence))
        await log.append([CallEvent(at=datetime.now(UTC), kind=kind, agent="agent1")])
    finally:
        await engine.dispose()


async def test_given_two_nodes_then_one_leads_and_the_other_waits_seeing_it(url: str) -> None:
    # A long lease for the leader: it sends no heartbeats here (no `hold`), and PostgreSQL
    # ends a lock session silent for the lease, however slowly the standby connects.
    long = ClusterSettings(enabled=True, node="a", lease_s=30.0, heartbeat_s=0.2, poll_s=0.05)
    a, b = Leadership(url, long, Fence()), node(url, "b")
    assert await asyncio.wait_for(a.campaign(), 5) == 1
    waiting = asyncio.create_task(b.campaign())
    await _until(lambda: b.status().leader == "a")
    await asyncio.sleep(0.3)  # a few more polls: still waiting
    assert not waiting.done()
    status = b.status()
    assert (status.role, status.leader, status.term) == (Role.STANDBY, "a", 1)
    assert a.fence.may_act()
    assert not b.fence.may_act()
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    await a.close()
    await b.close()


async def test_given_the_leader_session_dies_then_a_standby_leads_in_the_next_term(
    url: str,
) -> None:
    a, b = node(url, "a"), node(url, "b")
    await a.campaign()
    holding = asyncio.create_task(a.hold())
    taking = asyncio.create_task(b.campaign())
    assert a._conn is not None
    a._conn.terminate()  # what the kernel does to a killed process's socket
    assert await asyncio.wait_for(taking, 5) == 2
    reason = await asyncio.wait_for(holding, 5)
    assert "lock connection" in reason
    assert a.status().role is Role.FENCED
    assert not a.fence.may_act()
    assert b.fence.may_act()
    assert b.status().role is Role.LEADER
    await b.close()


async def test_given_a_stalled_leader_then_it_is_replaced_after_the_lease_and_is_fenced(
    url: str,
) -> None:
    a, b = node(url, "a"), node(url, "b")
    await a.campaign()
    await write_event(url, a.fence)  # the leader writes with its term
    # The leader stalls: no heartbeat at all (its process paused), its socket still open.
    taking = asyncio.create_task(b.campaign())
    term = await asyncio.wait_for(taking, 10)  # PostgreSQL ended a's silent session
    assert term == 2
    # a wakes up: its lease ran out by its own clock before b could lead ...
    assert a.fence.expired()
    assert not a.fence.may_act()
    reason = await asyncio.wait_for(a.hold(), 5)
    assert "lease ran out" in reason
    # ... and what it still had to write is refused by the database: fenced.
    with pytest.raises(DBAPIError) as refused:
        await write_event(url, a.fence)
    assert fenced_error(refused.value) is not None
    assert "term 1" in str(refused.value)
    await write_event(url, b.fence)  # the new leader writes
    await b.close()


async def test_given_a_single_node_then_its_writes_carry_no_term_and_are_not_fenced(
    url: str,
) -> None:
    await write_event(url, Fence())
    a = node(url, "a")
    await a.campaign()
    await write_event(url, Fence())  # a single node beside a cluster is not held to a term
    await a.close()


async def test_given_the_leaders_fastagi_address_then_a_standby_reads_it_checked(
    url: str,
) -> None:
    # A long lease: this leader sends no heartbeats (no `hold`), and PostgreSQL ends a
    # lock session silent for the lease, however slowly the standby below connects.
    settings = ClusterSettings(enabled=True, node="a", lease_s=30.0, heartbeat_s=0.2, poll_s=0.05)
    a = Leadership(url, settings, Fence(), fastagi="10.0.0.5:4573")
    b = node(url, "b")
    await a.campaign()
    assert a.status().leader_fastagi == "10.0.0.5:4573"  # its own, while it leads
    waiting = asyncio.create_task(b.campaign())
    try:
        # The standby's polls read who leads (a loaded machine may take a while to connect).
        await _until(lambda: b.status().leader == "a")
        assert b.status().leader_fastagi == "10.0.0.5:4573"
        # A row written by something else (the leader holds no heartbeat here to write it
        # back): it goes into the dialplan, so it must pass the setting's own check, or no
        # caller is sent there.
        assert a._conn is not None
        await a._conn.execute(
            "UPDATE cluster_nodes SET fastagi = $1 WHERE node = 'a'", "10.0.0.5:4573,x"
        )
        await _until(lambda: b.status().leader_fastagi is None)
        assert b.status().leader == "a"
    finally:
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
        await a.close()
        await b.close()


async def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110  (polls the node's status, as a scrape would)
            await asyncio.sleep(0.05)
