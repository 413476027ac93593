"""A standby's websockets fed through the relay on a real PostgreSQL: a desktop opened on
the standby gets the very messages a desktop on the leader gets (an offer whose pop is
longer than a notification included); a standby's screen that fell behind gets a fresh
snapshot next; a new leader, or a session ended on the leader, ends the relayed feed.

One process plays both nodes: the site's web answers as a standby while the sockets open
(so they are relayed) and as the leader for the API calls that drive the agent; the
leader's side (`FeedServer`) feeds from the same live center, through PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import WSMsgType

from callcenter.cluster.feed_relay import FeedServer, RemoteFeeds
from callcenter.cluster.leadership import ClusterStatus, Role
from callcenter.cluster.relay import MAX_PAYLOAD, Relay
from callcenter.db import Role as UserRole
from callcenter.db import make_engine, upgrade
from callcenter.web.auth import Principal
from tests.integration.web.conftest import User
from tests.pg import PostgresServer, postgres
from tests.web_site import AGENT, Site

__all__ = ["postgres"]

Login = Callable[[str, str], Awaitable[User]]
STANDBY = ClusterStatus("node2", Role.STANDBY, 4, "node1", 0.1, None)
LEADER = ClusterStatus("node2", Role.LEADER, 4, "node2", 0.0, 1_800_000_000.0)


class Nodes:
    """The site as a standby or a leader, with both sides of the relayed feeds."""

    def __init__(self, site: Site, leader: Relay, server: FeedServer, feeds: RemoteFeeds) -> None:
        self.site = site
        self.leader = leader
        self.server = server
        self.feeds = feeds
        self.status = LEADER
        site.backend.context.cluster = lambda: self.status
        site.backend.context.feeds = feeds


@pytest.fixture
async def nodes(site: Site, postgres: PostgresServer) -> AsyncIterator[Nodes]:
    url = postgres.new_database()
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    leader, standby = Relay(url, "node1", poll_s=0.1), Relay(url, "node2", poll_s=0.1)
    await leader.start()
    await standby.start()
    context = site.backend.context
    server = FeedServer(leader, site.center, scope_of=context.queues_for, ttl_s=2.0)
    context.sessions.on_end(server.session_ended)
    leader.lead()
    feeds = RemoteFeeds(standby, renew_s=0.2, mailbox_size=8)
    yield Nodes(site, leader, server, feeds)
    await feeds.stop()
    await server.close()
    await standby.close()
    await leader.close()


async def _text(ws: Any) -> str:
    msg = await ws.receive(timeout=10)
    assert msg.type is WSMsgType.TEXT, msg
    text: str = msg.data
    return text


async def test_given_a_desktop_on_a_standby_then_it_gets_the_messages_a_desktop_on_the_leader_gets(
    login: Login, nodes: Nodes
) -> None:
    site = nodes.site
    agent = await login(*AGENT)
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "logged_in"})
    nodes.status = STANDBY
    relayed = await agent.client.ws_connect("/ws/agent")
    snapshot = json.loads(await _text(relayed))
    assert snapshot["type"] == "snapshot"
    assert snapshot["agent"]["state"] == "not_ready"
    local = site.center.agents.subscribe("agent1")  # a desktop on the leader
    assert json.loads(await local.get() or "")["type"] == "snapshot"
    assert len(nodes.feeds) == 1
    assert len(nodes.server) == 1

    nodes.status = LEADER  # the API calls that drive the agent
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "ready"})
    # What the IVR learnt goes out with the ring: longer than a notification holds.
    long_answer = "ä" * MAX_PAYLOAD
    call_id = await site.queue_call(ivr_answers={"reason": long_answer})
    await site.answer(call_id)
    await site.hang_up(call_id)
    on_leader: list[str] = []
    while not on_leader or json.loads(on_leader[-1])["type"] != "wrap_up":
        on_leader.append(await asyncio.wait_for(local.get(), 10) or "")
    on_standby = [await _text(relayed) for _ in on_leader]
    assert on_standby == on_leader
    offers = [json.loads(m) for m in on_standby if '"type": "offer"' in m]
    assert [o["pop"]["ivr_answers"]["reason"] for o in offers] == [long_answer]
    assert len(offers[0]["pop"]["ivr_answers"]["reason"].encode()) > MAX_PAYLOAD

    await relayed.close()
    await _until(lambda: len(nodes.server) == 0)  # closed on the leader too
    site.center.agents.unsubscribe("agent1", local)


async def test_given_a_standby_screen_that_fell_behind_then_its_next_message_is_a_snapshot(
    login: Login, nodes: Nodes
) -> None:
    agent = await login(*AGENT)
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "logged_in"})
    remote = await nodes.feeds.open("agent", "agent1", "agent", "a-token")
    assert json.loads(await remote.box.get() or "")["type"] == "snapshot"
    # Nobody drains the standby's mailbox (8 messages) while the agent changes 20 times.
    for n in range(20):
        change = {"state": "ready"} if n % 2 == 0 else {"state": "not_ready", "reason": "break"}
        await agent.json("POST", "/api/agents/agent1/state", json=change)
    await _until(lambda: not remote.resyncing and not remote.box.lagged and len(remote.box) > 0)
    first = json.loads(await remote.box.get() or "")
    assert first["type"] == "snapshot"
    assert first["agent"]["state"] == "not_ready"  # the newest state, not the backlog's
    assert remote.box.dropped > 0
    nodes.feeds.close(remote)


async def test_given_a_new_leader_then_the_standbys_relayed_feed_ends_with_1012(
    site: Site, nodes: Nodes
) -> None:
    remote = await nodes.feeds.open("wallboard", "admin", "admin", "a-token")
    assert json.loads(await remote.box.get() or "")["type"] == "snapshot"
    await nodes.server.close()  # the leader is gone ...
    context = site.backend.context
    # ... and another one serves the relay (it knows none of the old subscriptions).
    FeedServer(nodes.leader, site.center, scope_of=context.queues_for)
    code, reason = await asyncio.wait_for(remote.ended, 10)
    assert code == 1012
    assert "reconnect" in reason
    assert remote.box.closed


async def test_given_a_session_ended_on_the_leader_then_its_relayed_feed_ends_with_4401(
    site: Site, nodes: Nodes
) -> None:
    sessions = site.backend.context.sessions
    token = await sessions.create(Principal("agent1", UserRole.AGENT, "Anna Berg", None))
    remote = await nodes.feeds.open("agent", "agent1", "agent", token)
    other = await nodes.feeds.open("agent", "agent1", "agent", "another-session")
    await sessions.end(token)
    code, reason = await asyncio.wait_for(remote.ended, 10)
    assert (code, reason) == (4401, "signed out: logged out")
    assert not other.ended.done(), "the same agent's other session goes on"
    nodes.feeds.close(other)


async def _until(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while True:
            if check():
                return
            await asyncio.sleep(0.02)
