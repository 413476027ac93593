"""/metrics, /healthz and /readyz over a real backend (SQLite, ACD host), with a fake probe."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from callcenter.app.tasks import TaskState
from tests.web_site import Site


@dataclass
class FakeProbe:
    """The service's figures, set by each test."""

    ami: dict[str, bool] = field(default_factory=lambda: {"pbx1": True, 'pb"x\\2': False})
    listening: bool = True
    sessions: int = 3
    lag: float = 0.004
    db: bool = True
    pbx: tuple[int, bool, dict[str, int]] = (0, False, {})
    task_states: list[TaskState] = field(
        default_factory=lambda: [TaskState("ami-facts:pbx1", "pbx1", True, 0, None)]
    )
    dropped: dict[str, int] = field(default_factory=dict)
    clashes: list[str] = field(default_factory=list)

    def ami_states(self) -> dict[str, bool]:
        return self.ami

    def asterisk_problems(self) -> list[str]:
        return self.clashes

    def agi_listening(self) -> bool:
        return self.listening

    def agi_sessions(self) -> int:
        return self.sessions

    def agi_refused(self) -> dict[str, int]:
        return {"peer_not_allowed": 4, "silent": 990, "waiting": 10}

    def loop_lag(self) -> float:
        return self.lag

    def writer_stats(self) -> tuple[int, int]:
        return 7, 2

    def pbx_health(self) -> tuple[int, bool, dict[str, int]]:
        return self.pbx

    async def db_ready(self) -> bool:
        return self.db

    def tasks(self) -> list[TaskState]:
        return self.task_states

    def events_dropped(self) -> dict[str, int]:
        return self.dropped


@pytest.fixture
async def client(site: Site) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(site.backend.app)) as test_client:
        yield test_client


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


async def test_given_a_waiting_call_when_scraped_then_queues_and_agents_are_reported(
    site: Site, client: TestClient[Any, Any]
) -> None:
    await site.queue_call(queue="general")
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = await response.text()
    assert "# HELP callcenter_calls_waiting " in text
    assert "# TYPE callcenter_calls_waiting gauge" in text
    samples = _samples(text)
    assert samples[("callcenter_calls_waiting", (("queue", "general"),))] == 1
    assert samples[("callcenter_calls_waiting", (("queue", "billing"),))] == 0
    logged_out = (("queue", "general"), ("state", "logged_out"))
    assert samples[("callcenter_agents", logged_out)] == 2
    assert "callcenter_ami_connected" not in text  # no service probe: only the ACD's figures


async def test_given_the_service_probe_when_scraped_then_its_figures_are_exposed(
    site: Site, client: TestClient[Any, Any]
) -> None:
    site.backend.context.ops = FakeProbe()
    text = await (await client.get("/metrics")).text()
    samples = _samples(text)
    assert samples[("callcenter_ami_connected", (("server", "pbx1"),))] == 1
    # Label values are escaped by the exposition format and read back intact.
    assert samples[("callcenter_ami_connected", (("server", 'pb"x\\2'),))] == 0
    assert 'server="pb\\"x\\\\2"' in text
    assert samples[("callcenter_agi_sessions", ())] == 3
    assert samples[("callcenter_event_loop_lag_seconds", ())] == pytest.approx(0.004)
    assert samples[("callcenter_db_writes_pending", ())] == 7
    assert samples[("callcenter_db_writes_rejected_total", ())] == 2
    assert "# TYPE callcenter_db_writes_rejected_total counter" in text
    assert samples[("callcenter_pbx_failing", ())] == 0
    refused = "callcenter_fastagi_refused_total"
    assert samples[(refused, (("reason", "peer_not_allowed"),))] == 4
    assert samples[(refused, (("reason", "silent"),))] == 990
    assert samples[("callcenter_fastagi_waiting_connections", ())] == 10


async def test_given_offers_the_pbx_cannot_place_when_scraped_then_the_alert_and_kinds_show(
    site: Site, client: TestClient[Any, Any]
) -> None:
    site.backend.context.ops = FakeProbe(pbx=(4, True, {"not-placed": 3, "refused": 1}))
    samples = _samples(await (await client.get("/metrics")).text())
    assert samples[("callcenter_pbx_failing", ())] == 1
    assert samples[("callcenter_originate_failures_in_a_row", ())] == 4
    not_placed = ("callcenter_originate_failures_total", (("kind", "not-placed"),))
    assert samples[not_placed] == 3
    assert samples[("callcenter_originate_failures_total", (("kind", "refused"),))] == 1


async def test_given_a_crashed_task_when_scraped_then_its_restarts_and_the_tasks_down_show(
    site: Site, client: TestClient[Any, Any]
) -> None:
    crashed = TaskState("ami-facts:pbx1", "pbx1", False, 3, "TypeError: bad keyword")
    site.backend.context.ops = FakeProbe(
        task_states=[crashed, TaskState("ami-watch:pbx1", "pbx1", True, 0, None)],
        dropped={"ami:pbx1": 12, "ami-facts": 5},
    )
    samples = _samples(await (await client.get("/metrics")).text())
    assert samples[("callcenter_task_restarts_total", (("task", "ami-facts:pbx1"),))] == 3
    assert samples[("callcenter_task_up", (("task", "ami-facts:pbx1"),))] == 0
    assert samples[("callcenter_task_up", (("task", "ami-watch:pbx1"),))] == 1
    assert samples[("callcenter_tasks_down", ())] == 1
    assert samples[("callcenter_ami_events_dropped_total", (("where", "ami:pbx1"),))] == 12
    assert samples[("callcenter_ami_events_dropped_total", (("where", "ami-facts"),))] == 5


async def test_given_a_crashed_task_then_not_ready_naming_the_task_and_its_cause(
    site: Site, client: TestClient[Any, Any]
) -> None:
    crashed = TaskState("ami-facts:pbx1", "pbx1", False, 1, "TypeError: bad keyword")
    site.backend.context.ops = FakeProbe(ami={"pbx1": True}, task_states=[crashed])
    response = await client.get("/readyz")
    assert response.status == 503
    problems = (await response.json())["problems"]
    assert problems == {"tasks": "not running: ami-facts:pbx1 (TypeError: bad keyword)"}


async def test_healthz_answers_while_the_loop_runs(client: TestClient[Any, Any]) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_given_everything_up_then_ready(site: Site, client: TestClient[Any, Any]) -> None:
    site.backend.context.ops = FakeProbe(ami={"pbx1": True})
    response = await client.get("/readyz")
    assert response.status == 200
    assert await response.json() == {"ready": True, "problems": {}}


@pytest.mark.parametrize(
    ("probe", "problem"),
    [
        (FakeProbe(ami={"pbx1": True}, db=False), "database"),
        (FakeProbe(ami={"pbx1": False}), "ami"),
        (FakeProbe(ami={}), "ami"),
        (FakeProbe(ami={"pbx1": True}, listening=False), "fastagi"),
    ],
)
async def test_given_a_part_down_then_not_ready_and_named(
    site: Site, client: TestClient[Any, Any], probe: FakeProbe, problem: str
) -> None:
    site.backend.context.ops = probe
    response = await client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["ready"] is False
    assert list(body["problems"]) == [problem]


async def test_without_a_service_then_not_ready(client: TestClient[Any, Any]) -> None:
    response = await client.get("/readyz")
    assert response.status == 503
