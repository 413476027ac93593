"""A cluster node's web: a standby answers only the operations routes and names the
leader; the leader serves everything; /readyz, /leaderz and /metrics say which is which."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from callcenter.cluster.leadership import ClusterStatus, Role
from tests.web_site import AGENT, Site

STANDBY = ClusterStatus("node2", Role.STANDBY, 4, "node1", 0.3, None)
LEADER = ClusterStatus("node2", Role.LEADER, 5, "node2", 0.0, 1_800_000_000.0)


@pytest.fixture
async def client(site: Site) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(site.backend.app)) as test_client:
        yield test_client


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_given_a_standby_then_the_api_pages_and_websockets_answer_503_naming_the_leader(
    site: Site, client: TestClient[Any, Any]
) -> None:
    site.backend.context.cluster = lambda: STANDBY
    login = {"username": AGENT[0], "password": AGENT[1]}
    response = await client.post("/api/login", json=login)
    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    error = (await response.json())["error"]
    assert error["code"] == "not_leading"
    assert error["message"] == (
        "this node (node2) is a standby: node node1 leads (term 4); try again there"
    )
    page = await client.get("/agent")
    assert page.status == 503
    assert "node node1 leads" in await page.text()
    assert (await client.get("/ws/agent")).status == 503
    assert (await client.get("/healthz")).status == 200
    leaderz = await client.get("/leaderz")
    assert leaderz.status == 503
    assert (await leaderz.json())["leader"] is False


async def test_given_a_standby_without_its_relay_then_readyz_is_503_and_metrics_show_it(
    site: Site, client: TestClient[Any, Any]
) -> None:
    # A standby serves through its relay to the leader: without one it cannot serve.
    site.backend.context.cluster = lambda: STANDBY
    ready = await client.get("/readyz")
    assert ready.status == 503
    body = await ready.json()
    assert body["problems"] == {
        "relay": "the relay to the leader is not listening (PostgreSQL unreachable?)"
    }
    assert body["cluster"] == {
        "node": "node2",
        "role": "standby",
        "term": 4,
        "leader": "node1",
        "leader_heartbeat_age_s": 0.3,
    }
    samples = _samples(await (await client.get("/metrics")).text())
    assert samples[("callcenter_cluster_leader", ())] == 0
    assert samples[("callcenter_cluster_term", ())] == 4
    node = (("leader", "node1"), ("node", "node2"), ("role", "standby"))
    assert samples[("callcenter_cluster_node", node)] == 1
    assert samples[("callcenter_cluster_leader_heartbeat_age_seconds", ())] == pytest.approx(0.3)


async def test_given_the_node_takes_the_lead_then_it_serves_and_says_so(
    site: Site, client: TestClient[Any, Any]
) -> None:
    status = STANDBY
    site.backend.context.cluster = lambda: status
    assert (await client.get("/api/config/public")).status == 503
    status = LEADER
    login = {"username": AGENT[0], "password": AGENT[1]}
    assert (await client.post("/api/login", json=login)).status == 200
    leaderz = await client.get("/leaderz")
    assert leaderz.status == 200
    assert await leaderz.json() == {"leader": True, "node": "node2", "term": 5}
    samples = _samples(await (await client.get("/metrics")).text())
    assert samples[("callcenter_cluster_leader", ())] == 1
    assert samples[("callcenter_cluster_term", ())] == 5


async def test_given_a_fenced_node_or_a_silent_leader_then_readyz_says_so(
    site: Site, client: TestClient[Any, Any]
) -> None:
    fenced = ClusterStatus("node2", Role.FENCED, 4, "node1", 0.3, None)
    site.backend.context.cluster = lambda: fenced
    body = await (await client.get("/readyz")).json()
    assert body["problems"] == {
        "cluster": "this node (node2) is fenced: node node1 leads (term 4); try again there"
    }
    silent = ClusterStatus("node2", Role.STANDBY, 4, "node1", 7.5, None)
    site.backend.context.cluster = lambda: silent
    body = await (await client.get("/readyz")).json()
    assert body["problems"]["cluster"] == (
        "the leader node1 was last heard from 7.5 s ago (lease 3 s): nothing relayed would be "
        "answered"
    )
