"""The relay on a real PostgreSQL: a standby's request is run by the leader and answered;
one sent while no node leads waits for the next leader; one taken after its deadline is not
acted on; a refusal reaches the sender with its reason; feeds arrive in the order sent."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import pytest

from callcenter.cluster.relay import JSON, PROBE_S, Origin, Refused, Relay, RelayError
from callcenter.db import make_engine, upgrade
from tests.pg import PostgresServer


@pytest.fixture
async def url(postgres: PostgresServer) -> AsyncIterator[str]:
    url = postgres.new_database()
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    return url


@pytest.fixture
async def nodes(url: str) -> AsyncIterator[tuple[Relay, Relay]]:
    leader, standby = Relay(url, "a", poll_s=0.1), Relay(url, "b", poll_s=0.1)
    await leader.start()
    await standby.start()
    yield leader, standby
    await standby.close()
    await leader.close()


async def test_given_a_leader_when_a_standby_asks_then_the_leader_answers(
    nodes: tuple[Relay, Relay],
) -> None:
    leader, standby = nodes
    seen: list[Origin] = []

    async def double(body: JSON, origin: Origin) -> JSON:
        seen.append(origin)
        return {"twice": body["n"] * 2}

    leader.serve("double", double)
    leader.lead()
    assert await standby.call("double", {"n": 21}) == {"twice": 42}
    assert [o.node for o in seen] == ["b"]
    # An answer too long for a notification is read from the table.
    big = "x" * 20_000

    async def echo(body: JSON, origin: Origin) -> JSON:
        return body

    leader.serve("echo", echo)
    assert (await standby.call("echo", {"text": big}))["text"] == big
    assert standby.stats.answered == 2
    assert leader.stats.served == 2


async def test_given_no_leader_when_one_is_elected_then_the_waiting_request_is_answered(
    nodes: tuple[Relay, Relay],
) -> None:
    leader, standby = nodes

    async def ok(body: JSON, origin: Origin) -> JSON:
        return {"ok": True, "waited": origin.waited_s}

    leader.serve("ok", ok)
    asking = asyncio.create_task(standby.call("ok", {}, timeout_s=5))
    await asyncio.sleep(0.5)
    assert not asking.done()
    leader.lead()
    answer = await asking
    assert answer["ok"] is True
    assert answer["waited"] >= 0.4


async def test_given_a_request_past_its_deadline_then_the_leader_does_not_act_on_it(
    nodes: tuple[Relay, Relay],
) -> None:
    leader, standby = nodes
    acted: list[JSON] = []

    async def act(body: JSON, origin: Origin) -> JSON:
        acted.append(body)
        return {}

    leader.serve("act", act)
    with pytest.raises(RelayError, match=r"no leader answered within 0\.3 s"):
        await standby.call("act", {"late": True}, timeout_s=0.3)
    leader.lead()
    await asyncio.sleep(0.5)
    assert acted == []
    assert leader.stats.expired == 1


async def test_given_a_refusal_or_an_unknown_kind_then_the_sender_hears_why(
    nodes: tuple[Relay, Relay],
) -> None:
    leader, standby = nodes

    async def refuse(body: JSON, origin: Origin) -> JSON:
        raise Refused("agent7 is not logged in")

    async def crash(body: JSON, origin: Origin) -> JSON:
        raise ZeroDivisionError

    leader.serve("refuse", refuse)
    leader.serve("crash", crash)
    leader.lead()
    with pytest.raises(RelayError, match="agent7 is not logged in"):
        await standby.call("refuse", {})
    with pytest.raises(RelayError, match="the leader failed: ZeroDivisionError"):
        await standby.call("crash", {})
    with pytest.raises(RelayError, match="no handler for 'nothing'"):
        await standby.call("nothing", {})


async def test_given_a_feed_when_the_leader_publishes_then_the_standby_gets_it_in_order(
    nodes: tuple[Relay, Relay],
) -> None:
    leader, standby = nodes
    got: list[str] = []
    done = asyncio.Event()

    def heard(payload: str) -> None:
        got.append(payload)
        if len(got) == 300:
            done.set()

    standby.listen("cc_feed_b", heard)
    await standby.heard_on("cc_feed_b")
    for start in range(0, 300, 100):
        await leader.publish("cc_feed_b", [str(n) for n in range(start, start + 100)])
    await asyncio.wait_for(done.wait(), 5)
    assert got == [str(n) for n in range(300)]
    # The same message twice in one batch still arrives twice (PostgreSQL folds identical
    # notifications of one transaction).
    got.clear()
    done.clear()
    await leader.publish("cc_feed_b", ["same", "same", "other", "same"] * 75)
    await asyncio.wait_for(done.wait(), 5)
    assert got == ["same", "same", "other", "same"] * 75


async def test_given_the_listening_connection_cut_then_the_relay_listens_again_and_says_so(
    url: str, nodes: tuple[Relay, Relay]
) -> None:
    leader, standby = nodes
    told = asyncio.Event()
    standby.on_reconnect.append(told.set)
    got: list[str] = []
    arrived = asyncio.Event()

    def heard(payload: str) -> None:
        got.append(payload)
        arrived.set()

    standby.listen("cc_feed_b", heard)
    await standby.heard_on("cc_feed_b")
    # The database ends the standby's listening session (an operator, a restart, a cut).
    killer = Relay(url, "killer")
    await killer.start()
    try:
        pool = killer._require_pool()
        ended = await pool.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'callcenter relay listen b'"
        )
        assert ended == 1
    finally:
        await killer.close()
    await asyncio.wait_for(told.wait(), 10)
    assert standby.listening
    # Listening again: the feed goes on, and requests are answered.
    await leader.publish("cc_feed_b", ["after"])
    await asyncio.wait_for(arrived.wait(), 5)
    assert got == ["after"]

    async def ok(body: JSON, origin: Origin) -> JSON:
        return {"ok": True}

    leader.serve("ok", ok)
    leader.lead()
    assert await standby.call("ok", {}) == {"ok": True}


async def test_given_the_listening_connection_silent_then_the_relay_gives_it_up_and_listens_again(
    url: str, nodes: tuple[Relay, Relay]
) -> None:
    # The database's end of the standby's listening session stops answering without
    # closing (a partition, a frozen server process): the probe finds it.
    _, standby = nodes
    told = asyncio.Event()
    standby.on_reconnect.append(told.set)
    watcher = Relay(url, "watcher")
    await watcher.start()
    try:
        pool = watcher._require_pool()
        pid = await pool.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'callcenter relay listen b'"
        )
        os.kill(pid, signal.SIGSTOP)
        try:
            await asyncio.wait_for(told.wait(), 3 * PROBE_S + 2)
        finally:
            os.kill(pid, signal.SIGCONT)
        assert standby.listening
        again = await pool.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'callcenter relay listen b'"
            " AND pid <> $1",
            pid,
        )
        assert again is not None
    finally:
        await watcher.close()
