"""The agent and wallboard websockets: access rules, the call as the desktop sees it, changes."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient, TestServer

from tests.integration.web.conftest import User
from tests.web_site import AGENT, SUPERVISOR, Site

Login = Callable[[str, str], Awaitable[User]]


async def _next(ws: Any, kind: str | None = None, timeout: float = 5.0) -> dict[str, Any]:
    while True:
        msg = await ws.receive(timeout=timeout)
        assert msg.type is WSMsgType.TEXT, msg
        data: dict[str, Any] = json.loads(msg.data)
        if kind is None or data["type"] == kind:
            return data


async def test_sockets_refuse_the_logged_out_the_wrong_role_and_foreign_pages(
    login: Login, site: Site
) -> None:
    async with TestClient(TestServer(site.backend.app)) as anonymous:
        ws = await anonymous.ws_connect("/ws/agent")
        msg = await ws.receive(timeout=5)
        assert msg.type is WSMsgType.CLOSE
        assert ws.close_code == 4401
    supervisor = await login(*SUPERVISOR)
    ws = await supervisor.client.ws_connect("/ws/agent")
    await ws.receive(timeout=5)
    assert ws.close_code == 4403
    agent = await login(*AGENT)
    ws = await agent.client.ws_connect("/ws/wallboard")
    await ws.receive(timeout=5)
    assert ws.close_code == 4403
    ws = await agent.client.ws_connect("/ws/agent", headers={"Origin": "https://evil.example"})
    await ws.receive(timeout=5)
    assert ws.close_code == 4403


async def test_the_agent_channel_follows_a_call_from_ring_to_the_end_of_wrap_up(
    login: Login, site: Site
) -> None:
    agent = await login(*AGENT)
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "logged_in"})
    ws = await agent.client.ws_connect("/ws/agent")
    snapshot = await _next(ws)
    assert snapshot["type"] == "snapshot"
    assert snapshot["agent"]["state"] == "not_ready"
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "ready"})
    assert (await _next(ws, "state"))["agent"]["state"] == "ready"

    call_id = await site.queue_call(ivr_answers={"reason": "billing"})
    assert (await _next(ws, "state"))["agent"]["state"] == "reserved"
    offer = await _next(ws, "offer")
    assert offer["call_id"] == call_id
    assert offer["ring_timeout"] == 20
    assert offer["pop"]["customer"]["name"] == "Erika Mustermann"
    assert offer["pop"]["ivr_answers"] == {"reason": "billing"}
    # The ring carries what the IVR learnt; the whole record (from the database) follows.
    full = await _next(ws, "pop")
    assert full["call_id"] == call_id
    assert full["pop"]["customer"]["phones"] == ["+4930123456"]
    assert full["pop"]["customer"]["notes"] == "prefers e-mail"

    await site.answer(call_id)
    assert (await _next(ws, "connected"))["call_id"] == call_id
    await site.hang_up(call_id)
    assert (await _next(ws, "ended"))["call_id"] == call_id
    wrap = await _next(ws, "wrap_up")
    assert wrap["seconds"] == 30
    assert wrap["call_id"] == call_id

    await agent.json("POST", "/api/agents/agent1/state", json={"state": "ready"})  # ready now
    state = await _next(ws, "state")
    assert (state["agent"]["state"], state["agent"]["handled"]) == ("ready", 1)


async def test_a_caller_hanging_up_while_ringing_cancels_the_offer_on_the_desktop(
    login: Login, site: Site
) -> None:
    agent = await login(*AGENT)
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "logged_in"})
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "ready"})
    ws = await agent.client.ws_connect("/ws/agent")
    await _next(ws, "snapshot")
    call_id = await site.queue_call()
    await _next(ws, "offer")
    await site.hang_up(call_id)
    cancelled = await _next(ws, "offer_cancelled")
    assert cancelled["call_id"] == call_id


async def test_a_desktop_that_reconnects_gets_a_snapshot_with_the_ringing_offer(
    login: Login, site: Site
) -> None:
    agent = await login(*AGENT)
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "logged_in"})
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "ready"})
    ws = await agent.client.ws_connect("/ws/agent")
    await _next(ws, "snapshot")
    call_id = await site.queue_call()
    await _next(ws, "offer")
    await ws.close()
    again = await agent.client.ws_connect("/ws/agent")
    snapshot = await _next(again, "snapshot")
    assert snapshot["agent"]["state"] == "reserved"
    assert snapshot["offer"]["call_id"] == call_id
    assert snapshot["offer"]["pop"]["customer"]["name"] == "Erika Mustermann"


async def test_the_wallboard_shows_a_call_waiting_then_answered_and_alerts_on_breach(
    login: Login, site: Site
) -> None:
    supervisor = await login(*SUPERVISOR)
    ws = await supervisor.client.ws_connect("/ws/wallboard")
    snapshot = await _next(ws, "snapshot")
    assert {q["queue"] for q in snapshot["queues"]} == {"general", "billing"}
    assert snapshot["calls"] == []
    assert snapshot["alerts"] == []

    call_id = await site.queue_call(queue="billing")
    changes = await _next(ws, "changes")
    assert [(c["call_id"], c["state"]) for c in changes["calls"]] == [(call_id, "waiting")]
    assert [q["calls_waiting"] for q in changes["queues"] if q["queue"] == "billing"] == [1]

    site.advance(25)  # the caller has waited past the 20 s answer target
    while True:
        changes = await _next(ws, "changes")
        kinds = {(a["queue"], a["kind"]) for a in changes["alerts"]}
        if ("billing", "longest_wait") in kinds:
            break
    assert ("billing", "no_agents") in kinds

    agent = await login(*AGENT)
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "logged_in"})
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "ready"})
    await site.answer(call_id)
    while True:
        changes = await _next(ws, "changes")
        agents = {a["agent_id"]: a["state"] for a in changes["agents"]}
        if agents.get("agent1") == "on_call":
            break
    assert changes["calls"] == []


async def test_the_wallboard_refreshes_at_least_once_a_second_when_nothing_happens(
    login: Login,
) -> None:
    supervisor = await login(*SUPERVISOR)
    ws = await supervisor.client.ws_connect("/ws/wallboard")
    first = await _next(ws, "snapshot")
    second = await _next(ws, "changes", timeout=1.5)
    assert second["at"] > first["at"]
