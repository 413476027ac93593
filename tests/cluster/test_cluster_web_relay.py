"""Two backend processes on one PostgreSQL: a browser that reaches the standby is served
there as on the leader. It logs in on the standby, makes an agent ready (the leader's ACD
has it), reads customers and the call records (streamed by the leader, relayed whole), is
refused a bad request with the leader's very answer, and logs out; while the leader is
frozen (SIGSTOP) a request through the standby is answered by the next leader or refused
with a clear 503, never left hanging."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from acd import AcdSettings, AgentSettings, QueueSettings
from callcenter.sim import AgentPhone
from tests.cluster.harness import ADMIN, ADMIN_PASSWORD, Cluster, Node, cluster
from tests.pg import PostgresServer

GENERAL = QueueSettings(name="general", ring_timeout_seconds=8, wrap_up_seconds=0.5)
AGENTS = ("agent1", "agent2")
ACD = AcdSettings(
    queues=(GENERAL,),
    agents=tuple(AgentSettings(id=a, queues=("general",)) for a in AGENTS),
)
PHONES = [AgentPhone(a, answer_after_s=0.3, talk_s=0.5) for a in AGENTS]
RELAY_TIMEOUT_S = 10.0
"""`cluster.relay_timeout_s` (the default the nodes run with)."""


async def _role_is(c: Cluster, name: str, role: str) -> bool:
    return (await c.roles()).get(name) == role


async def test_given_a_browser_on_the_standby_then_it_is_served_as_on_the_leader(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    async with cluster(tmp_path, postgres, ACD, PHONES) as c:
        leader = await c.leader()
        standby = next(n for n in c.nodes if n is not leader)
        await c.until(lambda: _role_is(c, standby.name, "standby"), 30)
        # Log in on the standby: the session cookie and CSRF token are the leader's.
        login = {"username": ADMIN, "password": ADMIN_PASSWORD}
        async with c.http.post(f"{standby.url}/api/login", json=login) as response:
            assert response.status == 200, await response.text()
            assert "cc_session" in response.cookies
            csrf = {"X-CSRF-Token": (await response.json())["csrf_token"]}
        for state in ("logged_in", "ready"):
            assert await c.set_state(standby, csrf, "agent1", state) == 200
        async with c.http.get(f"{leader.url}/api/agents/agent1") as response:
            assert (await response.json())["state"] == "ready"
        await c.until(lambda: _last_of(c, "agent1", "ready"), 30)
        # Records read through the standby are the leader's: a page of customers, and the
        # call records the leader streams (chunked), given whole by the standby.
        today = date.today().isoformat()
        for path in ("/api/customers?q=a&limit=20", f"/api/cdr?since={today}&until={today}"):
            async with c.http.get(standby.url + path) as relayed:
                assert relayed.status == 200, await relayed.text()
                relayed_body = await relayed.read()
            async with c.http.get(leader.url + path) as direct:
                assert relayed_body == await direct.read()
        assert len(json.loads(relayed_body)["records"]) == 0
        # The call records are the standby's own answer (read from the database there):
        # nothing more was relayed for them.
        relayed_before = await _relayed(c, standby)
        async with c.http.get(f"{standby.url}/api/cdr?since={today}&until={today}") as own:
            assert own.status == 200
        assert await _relayed(c, standby) == relayed_before
        async with c.http.get(f"{standby.url}/api/customers?q=a&limit=20") as customers:
            assert len(await customers.json()) > 1
        async with c.http.get(
            f"{standby.url}/api/cdr?since={today}&until={today}&format=csv"
        ) as csv:
            assert csv.status == 200
            assert csv.headers["Content-Disposition"].startswith("attachment;")
            assert csv.headers["Content-Type"].startswith("text/csv")
        # A bad request: the standby's answer is the leader's, word for word.
        bad = {"state": "asleep"}
        answers = []
        for node in (standby, leader):
            url = f"{node.url}/api/agents/agent1/state"
            async with c.http.post(url, json=bad, headers=csrf) as response:
                answers.append((response.status, await response.json()))
        assert answers[0] == answers[1]
        assert answers[0][0] == 422
        assert "state" in answers[0][1]["error"]["message"]
        # The pages are the standby's own.
        async with c.http.get(f"{standby.url}/agent") as page:
            assert page.status == 200
        async with c.http.post(f"{standby.url}/api/logout", headers=csrf) as response:
            assert response.status == 204
        async with c.http.get(f"{standby.url}/api/me") as response:
            assert response.status == 401
        async with c.http.get(f"{leader.url}/api/me") as response:
            assert response.status == 401


async def test_given_the_leader_frozen_then_a_request_through_the_standby_is_answered_or_refused(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    async with cluster(tmp_path, postgres, ACD, PHONES) as c:
        leader = await c.leader()
        standby = next(n for n in c.nodes if n is not leader)
        await c.until(lambda: _role_is(c, standby.name, "standby"), 30)
        csrf = await c.admin(standby)
        assert await c.set_state(standby, csrf, "agent2", "logged_in") == 200
        # (Stored before the freeze: the next leader replays the log.)
        await c.until(lambda: _last_of(c, "agent2", "login"), 30)
        leader.pause()  # SIGSTOP: the relay's message waits in the table, nobody takes it
        try:
            url = f"{standby.url}/api/agents/agent2/state"
            async with asyncio.timeout(RELAY_TIMEOUT_S + 5):  # never hangs past the timeout
                async with c.http.post(url, json={"state": "ready"}, headers=csrf) as response:
                    status, body = response.status, await response.json()
            if status == 200:
                # The standby took over in time and ran the request itself, as leader.
                assert body["state"] == "ready"
                assert (await c.leader()).name == standby.name
                async with c.http.get(f"{standby.url}/api/agents/agent2") as response:
                    assert (await response.json())["state"] == "ready"
            else:
                assert status == 503, body
                assert response.headers["Retry-After"] == "1"
                assert body["error"]["code"] == "leader_unavailable"
                assert "no leader answered within" in body["error"]["message"]
        finally:
            leader.resume()
        # The frozen leader steps down; the other node leads, and nothing was done twice
        # (a request answered 503 is not done late by the next leader either).
        await c.until(lambda: _role_is(c, leader.name, "standby"), 30)
        second = await c.leader(timeout=30)
        assert second.name == standby.name
        readies = [e for e in await c.log() if e.agent == "agent2" and e.kind == "ready"]
        assert len(readies) == (1 if status == 200 else 0)


async def _last_of(c: Cluster, agent: str, kind: str) -> bool:
    kinds = [e.kind for e in await c.log() if e.agent == agent]
    return bool(kinds) and kinds[-1] == kind


async def _relayed(c: Cluster, node: Node) -> float:
    async with c.http.get(f"{node.url}/metrics") as response:
        text = await response.text()
    return next(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "callcenter_cluster_relay_sent_total"
    )
