"""Web sessions are kept in the database: a restarted service (another backend over the same
database) logs nobody out, and a session ended on one backend ends on the other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.app.wiring import Backend, build_backend
from callcenter.db import BatchedWriter, make_engine, make_sessions
from callcenter.db.web_sessions import WebSessionRows, token_hash
from callcenter.web import auth
from callcenter.web.auth import COOKIE
from tests.web_site import AGENT, CHEAP_HASHES, Site


@pytest.fixture
async def second(site: Site) -> AsyncIterator[Backend]:
    """Another backend over the site's database: the service after a restart, or a node."""
    settings = site.backend.context.settings
    engine = make_engine(settings.database.url)
    sessions = make_sessions(engine)
    writer = BatchedWriter(sessions, batch_size=10, interval_s=0.0, max_pending=100)
    writer.start()
    backend = build_backend(settings, sessions, writer, password_hasher=CHEAP_HASHES)
    backend.center.start()
    try:
        yield backend
    finally:
        await backend.center.stop()
        await writer.close(timeout=5)
        await engine.dispose()


async def _client(backend: Backend) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = TestClient(TestServer(backend.app))
    await client.start_server()
    return client


async def test_given_a_logged_in_agent_when_the_service_restarts_then_they_stay_logged_in(
    site: Site, second: Backend
) -> None:
    first = await _client(site.backend)
    later = await _client(second)
    try:
        response = await first.post(
            "/api/login", json=dict(zip(("username", "password"), AGENT, strict=True))
        )
        body = await response.json()
        token = response.cookies[COOKIE].value
        csrf = body["csrf_token"]
        # The database holds the session, by a hash of its token only.
        engine = make_engine(site.backend.context.settings.database.url)
        try:
            stored = await WebSessionRows(make_sessions(engine)).load(token)
        finally:
            await engine.dispose()
        assert stored is not None
        assert (stored.username, stored.csrf_token) == ("agent1", csrf)
        assert token_hash(token) != token

        later.session.cookie_jar.update_cookies({COOKIE: token})
        me = await later.get("/api/me")
        assert me.status == 200, await me.text()
        assert (await me.json())["user"]["username"] == "agent1"
        # The same CSRF token is good on the new backend: the open desktop goes on working.
        state = await later.post(
            "/api/agents/agent1/state", json={"state": "logged_in"}, headers={"X-CSRF-Token": csrf}
        )
        assert state.status == 200, await state.text()
        forged = await later.post(
            "/api/agents/agent1/state", json={"state": "ready"}, headers={"X-CSRF-Token": "x"}
        )
        assert forged.status == 403
    finally:
        await first.close()
        await later.close()


async def test_given_a_logout_on_one_backend_then_the_other_refuses_the_session_soon(
    site: Site, second: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await _client(site.backend)
    later = await _client(second)
    try:
        response = await first.post(
            "/api/login", json=dict(zip(("username", "password"), AGENT, strict=True))
        )
        token = response.cookies[COOKIE].value
        later.session.cookie_jar.update_cookies({COOKIE: token})
        assert (await later.get("/api/me")).status == 200
        assert (await first.get("/api/me")).status == 200

        logout = await later.post(
            "/api/logout", headers={"X-CSRF-Token": (await response.json())["csrf_token"]}
        )
        assert logout.status == 204
        # The first backend reads the session again after RECHECK_S (10 s): made 0 here.
        monkeypatch.setattr(auth, "RECHECK_S", 0.0)
        assert (await first.get("/api/me")).status == 401
    finally:
        await first.close()
        await later.close()
