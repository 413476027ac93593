"""Two backend processes on one PostgreSQL with the simulator: an agent's desktop and a
wallboard opened on the STANDBY get the leader's feeds through the relay (snapshot, the
waiting call, the offer with its pop, the call and its wrap-up); a logout on the leader
closes the standby's desktop with 4401; the leader killed closes the standby's sockets
with 1012 (the pages reconnect) and reconnecting to the surviving node, which leads now,
gives a fresh snapshot."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from acd import AcdSettings, AgentSettings, QueueSettings
from callcenter.sim import AgentPhone, CallerScript, Press
from tests.cluster.harness import Cluster, Node, cluster
from tests.e2e.harness import STANDARD
from tests.pg import PostgresServer

GENERAL = QueueSettings(name="general", ring_timeout_seconds=8, wrap_up_seconds=2)
ACD = AcdSettings(
    queues=(GENERAL,),
    agents=(AgentSettings(id="agent1", queues=("general",), skills={"lang-de": 3, "lang-en": 3}),),
)
PHONES = [AgentPhone("agent1", answer_after_s=0.3, talk_s=0.5)]
RECONNECT = 1012
SIGNED_OUT = 4401


@asynccontextmanager
async def standby_of(c: Cluster) -> AsyncIterator[tuple[Node, Node]]:
    """The leader and the standby, once the standby says it is one."""
    leader = await c.leader()
    standby = next(n for n in c.nodes if n is not leader)

    async def is_standby() -> bool:
        return (await c.roles()).get(standby.name) == "standby"

    await c.until(is_standby, 30)
    yield leader, standby


@asynccontextmanager
async def browser(node: Node, username: str, password: str) -> AsyncIterator[Browser]:
    """A browser of its own (its own cookie) logged in as `username` on `node`."""
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    try:
        login = {"username": username, "password": password}
        async with http.post(f"{node.url}/api/login", json=login) as response:
            response.raise_for_status()
            csrf = {"X-CSRF-Token": (await response.json())["csrf_token"]}
        yield Browser(http, csrf)
    finally:
        await http.close()


class Browser:
    def __init__(self, http: aiohttp.ClientSession, csrf: dict[str, str]) -> None:
        self.http = http
        self.csrf = csrf

    async def socket(self, node: Node, path: str) -> aiohttp.ClientWebSocketResponse:
        return await self.http.ws_connect(f"{node.url}{path}")


async def next_message(
    ws: aiohttp.ClientWebSocketResponse, wanted: Callable[[dict[str, Any]], bool], seen: list[str]
) -> dict[str, Any]:
    """The next message `wanted` says yes to (the types of all received go to `seen`)."""
    while True:
        msg = await ws.receive(timeout=30)
        assert msg.type is aiohttp.WSMsgType.TEXT, f"the socket ended: {msg} after {seen}"
        message: dict[str, Any] = json.loads(msg.data)
        seen.append(message["type"])
        if wanted(message):
            return message


async def closed_with(ws: aiohttp.ClientWebSocketResponse) -> tuple[int | None, str]:
    """Read the socket to its end; its close code and reason."""
    while True:
        msg = await ws.receive(timeout=30)
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            return ws.close_code, str(msg.extra or "")


def of_type(*kinds: str) -> Callable[[dict[str, Any]], bool]:
    return lambda message: message["type"] in kinds


async def test_given_standby_screens_when_a_call_comes_then_they_get_the_leaders_messages(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    async with cluster(tmp_path, postgres, ACD, PHONES) as c, standby_of(c) as (leader, standby):
        await c.add_agent_login("agent1")
        csrf = await c.admin(leader)
        assert await c.set_state(leader, csrf, "agent1", "logged_in") == 200
        async with browser(leader, "agent1", "agent1-pass") as agent:
            desktop = await agent.socket(standby, "/ws/agent")
            wallboard = await c.http.ws_connect(f"{standby.url}/ws/wallboard")
            seen: list[str] = []
            snapshot = await next_message(desktop, of_type("snapshot"), seen)
            assert seen == ["snapshot"], "the first message is the snapshot"
            assert snapshot["agent"]["state"] == "not_ready"  # logged in, not yet ready
            assert snapshot["offer"] is None
            board = json.loads((await wallboard.receive(timeout=30)).data)
            assert board["type"] == "snapshot"
            assert [q["queue"] for q in board["queues"]] == ["general"]
            assert board["calls"] == []
            # What an operator sees: two screens relayed by the standby, fed by the leader.
            assert await c.metric(standby, "callcenter_cluster_relayed_screens") == {(): 2}
            assert await c.metric(leader, "callcenter_cluster_served_screens") == {(): 2}

            # Nobody is ready: the caller waits, and the standby's wallboard shows it.
            script = CallerScript(STANDARD[0], steps=(Press("0"),), survey_answers=("5",))
            call = await c.sim.place_call(script)
            waiting = await next_message(wallboard, lambda m: bool(m.get("calls")), [])
            assert [(w["call_id"], w["queue"]) for w in waiting["calls"]] == [
                (call.uniqueid, "general")
            ]

            # agent1 gets ready through the standby's API (relayed to the leader): the
            # standby's desktop rings with the pop.
            assert await c.set_state(standby, csrf, "agent1", "ready") == 200
            seen = []
            offer = await next_message(desktop, of_type("offer"), seen)
            assert offer["call_id"] == call.uniqueid
            assert offer["queue"] == "general"
            assert offer["pop"]["caller_number"] == STANDARD[0]
            # The phone answers, talks, hangs up: the call and its wrap-up follow.
            connected = await next_message(desktop, of_type("connected"), seen)
            assert connected["call_id"] == call.uniqueid
            ended = await next_message(desktop, of_type("ended"), seen)
            assert ended["call_id"] == call.uniqueid
            wrap_up = await next_message(desktop, of_type("wrap_up"), seen)
            assert wrap_up["call_id"] == call.uniqueid
            assert wrap_up["seconds"] > 0
            states = [s for s in seen if s == "state"]
            assert states, f"the state changes reached the desktop too: {seen}"
            await desktop.close()
            await wallboard.close()


async def test_given_a_standby_desktop_when_logged_out_on_the_leader_then_it_closes_4401(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    async with cluster(tmp_path, postgres, ACD, PHONES) as c, standby_of(c) as (leader, standby):
        await c.add_agent_login("agent1")
        async with browser(leader, "agent1", "agent1-pass") as agent:
            desktop = await agent.socket(standby, "/ws/agent")
            assert json.loads((await desktop.receive(timeout=30)).data)["type"] == "snapshot"
            async with agent.http.post(f"{leader.url}/api/logout", headers=agent.csrf) as r:
                assert r.status in (200, 204)
            code, reason = await closed_with(desktop)
            assert code == SIGNED_OUT
            assert reason.startswith("signed out")


async def test_given_standby_screens_when_the_leader_dies_then_they_reconnect_to_the_new_one(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    async with cluster(tmp_path, postgres, ACD, PHONES) as c, standby_of(c) as (leader, standby):
        await c.add_agent_login("agent1")
        csrf = await c.admin(leader)
        assert await c.set_state(leader, csrf, "agent1", "logged_in") == 200
        async with browser(leader, "agent1", "agent1-pass") as agent:
            desktop = await agent.socket(standby, "/ws/agent")
            wallboard = await c.http.ws_connect(f"{standby.url}/ws/wallboard")
            assert json.loads((await desktop.receive(timeout=30)).data)["type"] == "snapshot"
            assert json.loads((await wallboard.receive(timeout=30)).data)["type"] == "snapshot"
            leader.kill()
            # The pages reconnect on any close but 4401/4403/4404 (agents_ui/js/ws.js).
            assert (await closed_with(desktop))[0] == RECONNECT
            assert (await closed_with(wallboard))[0] == RECONNECT
            assert await c.leader(timeout=30) is standby
            desktop = await agent.socket(standby, "/ws/agent")
            snapshot = json.loads((await desktop.receive(timeout=30)).data)
            assert snapshot["type"] == "snapshot"
            assert snapshot["agent"]["state"] == "not_ready", "the agent stayed logged in"
            await desktop.close()
