"""An agent login whose agent is not configured: told at creation, refused clearly at the desk."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import WSMsgType

from tests.integration.web.conftest import User
from tests.web_site import ADMIN, Site

Login = Callable[[str, str], Awaitable[User]]
PASSWORD = "long-password-7"


async def test_given_an_admin_creates_an_agent_login_without_an_agent_then_the_answer_says_so(
    login: Login, site: Site
) -> None:
    admin = await login(*ADMIN)
    created = await admin.json(
        "POST",
        "/api/users",
        201,
        json={"username": "agent7", "password": PASSWORD, "role": "agent"},
    )
    assert "no agent 'agent7' is configured" in created["warning"]
    assert "acd.agents" in created["warning"]
    assert "agent1, agent2, agent3" in created["warning"]  # the agents that exist

    supervisor = await admin.json(
        "POST",
        "/api/users",
        201,
        json={"username": "sup7", "password": PASSWORD, "role": "supervisor"},
    )
    assert supervisor["warning"] is None


async def test_given_an_agent_login_without_an_agent_when_the_desk_connects_then_it_is_told_why(
    login: Login, site: Site
) -> None:
    admin = await login(*ADMIN)
    await admin.json(
        "POST",
        "/api/users",
        201,
        json={"username": "agent7", "password": PASSWORD, "role": "agent"},
    )
    agent7 = await login("agent7", PASSWORD)

    ws = await agent7.client.ws_connect("/ws/agent")
    msg = await ws.receive(timeout=5)

    assert msg.type is WSMsgType.CLOSE  # a clean close, not a broken handshake
    assert ws.close_code == 4404
    assert msg.extra == "no agent 'agent7' is configured (acd.agents in the settings)"
