"""Logging in: sessions, CSRF, rate limiting, and role checks on every kind of route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp.test_utils import TestClient, TestServer
from structlog.testing import capture_logs

from tests.integration.web.conftest import User
from tests.web_site import ADMIN, AGENT, SUPERVISOR, Site

Login = Callable[[str, str], Awaitable[User]]


async def test_given_good_credentials_when_logging_in_then_a_strict_httponly_cookie_is_set(
    site: Site,
) -> None:
    async with TestClient(TestServer(site.backend.app)) as client:
        response = await client.post(
            "/api/login", json={"username": "agent1", "password": "agent1-pass"}
        )
        body = await response.json()
        assert response.status == 200
        assert body["user"] == {
            "username": "agent1",
            "role": "agent",
            "display_name": "Anna Berg",
            "agent_id": "agent1",
            "queues": ["billing", "general"],
        }
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        me = await client.get("/api/me")
        assert (await me.json())["csrf_token"] == body["csrf_token"]


async def test_given_a_wrong_password_then_401_is_logged_and_the_sixth_try_is_rate_limited(
    site: Site,
) -> None:
    async with TestClient(TestServer(site.backend.app)) as client:
        with capture_logs() as logs:
            for _ in range(5):
                response = await client.post(
                    "/api/login", json={"username": "agent1", "password": "guess"}
                )
                assert response.status == 401
                assert (await response.json())["error"]["code"] == "bad_credentials"
            response = await client.post(
                "/api/login", json={"username": "agent1", "password": "agent1-pass"}
            )
        body = await response.json()
        assert response.status == 429, body
        assert body["error"]["code"] == "rate_limited"
        assert "try again in" in body["error"]["message"]
        failures = [e for e in logs if e["event"] == "web.login_failed"]
        assert len(failures) == 5
        assert failures[0]["username"] == "agent1"
        assert all("guess" not in str(e) for e in logs)


async def test_given_no_session_then_every_api_route_answers_401(site: Site) -> None:
    async with TestClient(TestServer(site.backend.app)) as client:
        for method, path in [
            ("GET", "/api/me"),
            ("GET", "/api/live/queues"),
            ("GET", "/api/pops/x"),
            ("POST", "/api/agents/agent1/state"),
            ("GET", "/api/reports/queues"),
            ("GET", "/api/users"),
        ]:
            response = await client.request(method, path)
            assert response.status == 401, path
            assert (await response.json())["error"]["code"] == "not_authenticated"


async def test_given_an_agent_then_supervisor_and_admin_routes_answer_403(login: Login) -> None:
    agent = await login(*AGENT)
    for path in (
        "/api/live/agents",
        "/api/live/calls",
        "/api/reports/queues?since=2026-11-01&until=2026-11-02",
        "/api/users",
        "/api/admin/config",
    ):
        response = await agent.call("GET", path)
        body = await response.json()
        assert response.status == 403, path
        assert body["error"]["code"] == "forbidden"


async def test_given_a_supervisor_then_admin_routes_answer_403(login: Login) -> None:
    supervisor = await login(*SUPERVISOR)
    response = await supervisor.call(
        "POST", "/api/users", json={"username": "x", "password": "long-enough-1", "role": "agent"}
    )
    assert response.status == 403


async def test_given_a_change_without_the_csrf_header_then_403_and_nothing_changes(
    login: Login, site: Site
) -> None:
    agent = await login(*AGENT)
    response = await agent.client.post("/api/agents/agent1/state", json={"state": "logged_in"})
    body = await response.json()
    assert response.status == 403
    assert body["error"]["code"] == "csrf_failed"
    assert site.center.agents.agent("agent1")["state"] == "logged_out"


async def test_given_logout_then_the_session_is_gone(login: Login) -> None:
    admin = await login(*ADMIN)
    response = await admin.call("POST", "/api/logout")
    assert response.status == 204
    assert (await admin.call("GET", "/api/me")).status == 401


async def test_given_a_malformed_login_then_the_errors_name_the_problem(site: Site) -> None:
    async with TestClient(TestServer(site.backend.app)) as client:
        response = await client.post(
            "/api/login", data="{not json", headers={"Content-Type": "application/json"}
        )
        body = await response.json()
        assert response.status == 400
        assert "not valid JSON" in body["error"]["message"]
        response = await client.post("/api/login", json={"username": "agent1"})
        body = await response.json()
        assert response.status == 422
        assert body["error"]["details"][0]["field"] == "password"
        assert "password" in body["error"]["message"]
