"""The web on a standby, relayed to the leader through a real PostgreSQL: two web backends,
the leader's and the standby's (each with its own database: the standby's API answers can
only be the leader's), and a `Relay` each. A browser on the standby logs in, acts and is
refused exactly as on the leader; the leader counts its failed logins at the browser's
address; the pages are the standby's own; no leader means a clear 503, not a hang."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from callcenter.cluster.leadership import ClusterStatus, Role
from callcenter.cluster.relay import Relay
from callcenter.cluster.web_relay import CLIENT_HEADER, WebRelay
from callcenter.db import make_engine, upgrade
from tests.pg import PostgresServer
from tests.web_site import AGENT, SUPERVISOR, Site, open_site

LEADING = ClusterStatus("node1", Role.LEADER, 1, "node1", 0.0, 1_800_000_000.0)
STANDING_BY = ClusterStatus("node2", Role.STANDBY, 1, "node1", 0.1, None)
BROWSER = "203.0.113.7"


@dataclass
class Pair:
    leader: Site
    standby: Site
    leader_relay: Relay
    standby_relay: Relay
    leader_web: WebRelay
    standby_web: WebRelay
    http: aiohttp.ClientSession

    async def login(self, site: Site, user: tuple[str, str], **kwargs: Any) -> Any:
        login = {"username": user[0], "password": user[1]}
        return await self.http.post(f"{site.base_url}/api/login", json=login, **kwargs)


@pytest.fixture
async def pair(tmp_path: Path, postgres: PostgresServer) -> AsyncIterator[Pair]:
    url = postgres.new_database()
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    (tmp_path / "leader").mkdir()
    (tmp_path / "standby").mkdir()
    async with (
        open_site(tmp_path / "leader") as leader,
        # The standby trusts the proxy in front of it (loopback here) to name the browser.
        open_site(tmp_path / "standby", trusted_proxies=["127.0.0.1"]) as standby,
    ):
        leader_relay = Relay(url, "node1", poll_s=0.1, timeout_s=5)
        standby_relay = Relay(url, "node2", poll_s=0.1, timeout_s=5)
        await leader_relay.start()
        await standby_relay.start()
        leader_web = WebRelay(leader_relay, "127.0.0.1", lambda: leader.backend.server.port)
        leader_web.install()
        standby_web = WebRelay(standby_relay, "127.0.0.1", lambda: standby.backend.server.port)
        standby_web.install()
        leader.backend.context.cluster = lambda: LEADING
        leader.backend.context.web_relay = leader_web
        standby.backend.context.cluster = lambda: STANDING_BY
        standby.backend.context.web_relay = standby_web
        leader_relay.lead()
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        try:
            yield Pair(leader, standby, leader_relay, standby_relay, leader_web, standby_web, http)
        finally:
            await http.close()
            await leader_web.close()
            await standby_web.close()
            await standby_relay.close()
            await leader_relay.close()


async def test_given_a_browser_on_the_standby_then_it_logs_in_acts_and_logs_out_on_the_leader(
    pair: Pair,
) -> None:
    login = await pair.login(pair.standby, AGENT)
    assert login.status == 200, await login.text()
    csrf = (await login.json())["csrf_token"]
    # The session is the leader's; the standby's middleware added its security headers.
    assert login.cookies["cc_session"]["httponly"]
    assert login.headers["X-Frame-Options"] == "DENY"
    assert len(pair.leader.backend.context.sessions) == 1
    assert len(pair.standby.backend.context.sessions) == 0
    base = pair.standby.base_url
    me = await pair.http.get(f"{base}/api/me")
    assert (await me.json())["user"]["username"] == "agent1"
    headers = {"X-CSRF-Token": csrf}
    for state in ("logged_in", "ready"):
        changed = await pair.http.post(
            f"{base}/api/agents/agent1/state", json={"state": state}, headers=headers
        )
        assert changed.status == 200, await changed.text()
    # The same session reads the leader's view of it directly, too.
    direct = await pair.http.get(f"{pair.leader.base_url}/api/agents/agent1")
    assert (await direct.json())["state"] == "ready"
    # A change without the CSRF token is refused as the leader refuses it.
    relayed = await pair.http.post(f"{base}/api/agents/agent1/state", json={"state": "paused"})
    on_leader = await pair.http.post(
        f"{pair.leader.base_url}/api/agents/agent1/state", json={"state": "paused"}
    )
    assert relayed.status == on_leader.status == 403
    assert await relayed.json() == await on_leader.json()
    out = await pair.http.post(f"{base}/api/logout", headers=headers)
    assert out.status == 204
    assert len(pair.leader.backend.context.sessions) == 0
    assert (await pair.http.get(f"{base}/api/me")).status == 401


async def test_given_a_bad_request_through_the_standby_then_the_answer_is_the_leaders(
    pair: Pair,
) -> None:
    await pair.login(pair.standby, AGENT)
    me = await (await pair.http.get(f"{pair.standby.base_url}/api/me")).json()
    headers = {"X-CSRF-Token": me["csrf_token"]}
    answers = []
    for site in (pair.standby, pair.leader):
        response = await pair.http.post(
            f"{site.base_url}/api/agents/agent1/state", json={"state": "asleep"}, headers=headers
        )
        answers.append((response.status, await response.json()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422
    assert answers[0][1]["error"]["details"][0]["field"] == "state"
    # A body past the app's limit (1 MiB): refused alike.
    huge = b'{"state": "' + b"x" * (1024 * 1024) + b'"}'
    refusals = []
    for site in (pair.standby, pair.leader):
        response = await pair.http.post(
            f"{site.base_url}/api/agents/agent1/state",
            data=io.BytesIO(huge),
            headers={**headers, "Content-Type": "application/json"},
        )
        refusals.append((response.status, await response.json()))
    assert refusals[0] == refusals[1]
    assert refusals[0][0] == 413
    # Not JSON at all; and a route that does not exist.
    for site in (pair.standby, pair.leader):
        broken = await pair.http.post(
            f"{site.base_url}/api/agents/agent1/state",
            data=b"{not json",
            headers={**headers, "Content-Type": "application/json"},
        )
        assert broken.status == 400
        assert "not valid JSON" in (await broken.json())["error"]["message"]
        missing = await pair.http.get(f"{site.base_url}/api/nothing-here?x=1")
        assert missing.status == 404
        assert (await missing.json())["error"]["code"] == "not_found"


async def test_given_failed_logins_through_the_standby_then_the_leader_brakes_that_browser_only(
    pair: Pair,
) -> None:
    proxied = {"X-Forwarded-For": BROWSER}
    bad = ("agent1", "wrong")
    statuses = [(await pair.login(pair.standby, bad, headers=proxied)).status for _ in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    limiter = pair.leader.backend.context.limiter
    assert limiter.blocked("agent1", BROWSER) is not None
    assert limiter.blocked("agent1", "127.0.0.1") is None
    # A colleague behind the same standby at another address logs in at once.
    colleague = await pair.login(pair.standby, AGENT, headers={"X-Forwarded-For": "203.0.113.8"})
    assert colleague.status == 200
    # Nobody but the leader's own relay may name an address: a client claiming one directly
    # is counted at its own (loopback) address.
    claimed = {CLIENT_HEADER: "198.51.100.1", "X-Callcenter-Relay": "guess"}
    for _ in range(5):
        assert (await pair.login(pair.leader, bad, headers=claimed)).status == 401
    assert limiter.blocked("agent1", "127.0.0.1") is not None
    assert limiter.blocked("agent1", "198.51.100.1") is None


async def test_given_a_standby_then_it_serves_the_pages_itself_and_relays_no_websocket(
    pair: Pair,
) -> None:
    sent = pair.standby_relay.stats.sent
    page = await pair.http.get(f"{pair.standby.base_url}/agent")
    assert page.status == 200
    assert "<html" in (await page.text()).lower()
    assert page.headers["X-Frame-Options"] == "DENY"
    missing = await pair.http.get(f"{pair.standby.base_url}/static/no-such-file.js")
    assert missing.status == 404
    assert pair.standby_relay.stats.sent == sent, "pages are not relayed"
    # The websockets are the feed relay's (`cluster.feed_relay`); without it, 503.
    socket = await pair.http.get(f"{pair.standby.base_url}/ws/agent")
    assert socket.status == 503
    assert pair.standby_relay.stats.sent == sent


async def test_given_an_answer_past_the_limit_then_the_standby_answers_502_naming_it(
    pair: Pair,
) -> None:
    pair.leader_web.max_answer = 1000
    response = await pair.http.get(f"{pair.standby.base_url}/api/openapi.json")
    assert response.status == 502
    error = (await response.json())["error"]
    assert error["code"] == "answer_too_large"
    assert "at most 1,000 bytes" in error["message"]
    assert "GET /api/openapi.json" in error["message"]
    # A streamed answer (no length known ahead) is cut at the limit too (the call records
    # are the only streamed route; a standby answers them itself unless told not to).
    await pair.login(pair.standby, SUPERVISOR)
    pair.standby_web.local_paths = frozenset()
    pair.leader_web.max_answer = 50
    streamed = await pair.http.get(
        f"{pair.standby.base_url}/api/cdr?since=2026-01-01&until=2026-01-02"
    )
    assert streamed.status == 502
    assert "is more than 50 bytes" in (await streamed.json())["error"]["message"]
    pair.leader_web.max_answer = 32 * 1024 * 1024
    whole = await pair.http.get(f"{pair.standby.base_url}/api/openapi.json")
    assert whole.status == 200
    assert whole.headers["Content-Type"].startswith("application/json")
    direct = await pair.http.get(f"{pair.leader.base_url}/api/openapi.json")
    assert await whole.read() == await direct.read()


async def test_given_no_leader_then_the_standby_answers_503_naming_why_in_time(
    pair: Pair,
) -> None:
    await pair.leader_relay.close()  # the leader is gone; nobody takes the request
    pair.standby_relay.timeout_s = 0.5
    response = await pair.login(pair.standby, AGENT)
    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    error = (await response.json())["error"]
    assert error["code"] == "leader_unavailable"
    assert "no leader answered within 0.5 s" in error["message"]


async def test_given_a_relayed_request_reaching_a_node_no_longer_leading_then_it_is_not_relayed_on(
    pair: Pair,
) -> None:
    pair.leader.backend.context.cluster = lambda: STANDING_BY
    response = await pair.login(pair.standby, AGENT)
    assert response.status == 503
    assert (await response.json())["error"]["code"] == "not_leading"
    assert pair.leader_relay.stats.sent == 0
