"""An ended session closes its live screens at once (issue 14, items 3 and 5).

Each test opens a screen's websocket, ends the session the way a user or an admin does
(logout, a changed password, deactivation, a login elsewhere), then offers a call that would
pop on that screen: the first thing the screen gets is the close 4401 with the reason,
within a second, and no pop.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient, TestServer

from tests.integration.web.conftest import User
from tests.web_site import ADMIN, AGENT, SUPERVISOR, Site, open_site

Login = Callable[[str, str], Awaitable[User]]


async def _next(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        msg = await ws.receive(timeout=5)
        assert msg.type is WSMsgType.TEXT, msg
        data: dict[str, Any] = json.loads(msg.data)
        if data["type"] == kind:
            return data


async def _ready_desktop(agent: User) -> Any:
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "logged_in"})
    ws = await agent.client.ws_connect("/ws/agent")
    assert (await _next(ws, "snapshot"))["agent"]["state"] == "not_ready"
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "ready"})
    assert (await _next(ws, "state"))["agent"]["state"] == "ready"
    return ws


async def _assert_signed_out_without_a_pop(ws: Any, site: Site, reason: str) -> None:
    call_id = await site.queue_call()
    # The call did reach the agent (their phone rings): only the screen no longer shows it.
    assert site.center.agents.agent("agent1")["state"] == "reserved", call_id
    msg = await ws.receive(timeout=1.0)
    assert msg.type is WSMsgType.CLOSE, f"got {msg.type} {msg.data!r} before the close"
    assert ws.close_code == 4401
    assert reason in msg.extra
    assert (await ws.receive(timeout=1.0)).type is WSMsgType.CLOSED


async def test_given_an_agent_logs_out_then_their_desktop_socket_closes_with_4401_and_pops_no_more(
    login: Login, site: Site
) -> None:
    agent = await login(*AGENT)
    ws = await _ready_desktop(agent)
    assert (await agent.call("POST", "/api/logout")).status == 204
    await _assert_signed_out_without_a_pop(ws, site, "signed out: logged out")


async def test_given_an_admin_changes_an_agents_password_then_the_open_desktop_is_signed_out(
    login: Login, site: Site
) -> None:
    agent = await login(*AGENT)
    admin = await login(*ADMIN)
    ws = await _ready_desktop(agent)
    await admin.json("PATCH", "/api/users/agent1", json={"password": "a-brand-new-one"})
    await _assert_signed_out_without_a_pop(ws, site, "your password was changed")


async def test_given_an_admin_deactivates_an_agent_then_the_open_desktop_gets_no_more_pops(
    login: Login, site: Site
) -> None:
    agent = await login(*AGENT)
    admin = await login(*ADMIN)
    ws = await _ready_desktop(agent)
    await admin.json("PATCH", "/api/users/agent1", json={"active": False})
    await _assert_signed_out_without_a_pop(ws, site, "your account was deactivated")
    # And the socket cannot be opened again with the old cookie.
    again = await agent.client.ws_connect("/ws/agent")
    await again.receive(timeout=1.0)
    assert again.close_code == 4401


async def test_given_a_supervisor_logs_out_then_the_wallboard_socket_closes_with_4401(
    login: Login, site: Site
) -> None:
    supervisor = await login(*SUPERVISOR)
    ws = await supervisor.client.ws_connect("/ws/wallboard")
    assert (await _next(ws, "snapshot"))["type"] == "snapshot"
    assert (await supervisor.call("POST", "/api/logout")).status == 204
    await site.queue_call()
    msg = await ws.receive(timeout=1.0)
    assert msg.type is WSMsgType.CLOSE, f"got {msg.type} {msg.data!r} before the close"
    assert ws.close_code == 4401


async def test_given_an_agent_logs_in_again_elsewhere_then_the_first_browser_is_signed_out(
    login: Login, site: Site
) -> None:
    first = await login(*AGENT)
    ws = await _ready_desktop(first)
    second = await login(*AGENT)
    await _assert_signed_out_without_a_pop(ws, site, "you logged in again")
    response = await first.call("GET", "/api/me")
    assert response.status == 401
    assert (await second.call("GET", "/api/me")).status == 200


async def test_given_single_session_off_then_a_second_login_leaves_the_first_screen_open(
    tmp_path: Path,
) -> None:
    async with open_site(tmp_path, serve=False, single_session=False) as site:
        clients = [TestClient(TestServer(site.backend.app)) for _ in range(2)]
        try:
            for client in clients:
                await client.start_server()
                response = await client.post(
                    "/api/login", json={"username": SUPERVISOR[0], "password": SUPERVISOR[1]}
                )
                assert response.status == 200
            for client in clients:
                assert (await client.get("/api/me")).status == 200
        finally:
            for client in clients:
                await client.close()
