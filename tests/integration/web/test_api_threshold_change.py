"""A queue's service-level threshold changed through the API (issue 16): the live figures
show the new one at once, the queue report judges each call by the one of its time, and
so does a report read after a restart (a new reader over the same database)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from acd import AcdSettings, AgentSettings, QueueSettings
from callcenter.db import make_engine, make_sessions
from callcenter.reports import Bucket, ReportRepository, rules_from_settings
from tests.integration.web.conftest import User
from tests.web_site import ADMIN, AGENT, SUPERVISOR, Site, open_site

Login = Callable[[str, str], Awaitable[User]]
UTC_ZONE = ZoneInfo("UTC")

CENTER = AcdSettings(
    queues=(
        # No wrap-up: the agent is ready for the next call as soon as one ends.
        QueueSettings(
            name="general", wrap_up_seconds=0, service_level_seconds=20, service_level_target=0.8
        ),
        QueueSettings(name="billing"),  # the test site's scoped supervisor oversees it
    ),
    agents=(AgentSettings(id="agent1", name="Anna Berg", queues=("general",)),),
)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with open_site(tmp_path, serve=False, acd=CENTER) as running:
        yield running


async def answered_after(site: Site, seconds: float) -> None:
    """A caller for general whom the ready agent answers after ``seconds`` in the queue."""
    call_id = await site.queue_call(queue="general")
    site.advance(seconds)
    await site.answer(call_id)
    await site.hang_up(call_id, by_caller=True)


async def change_threshold(admin: User, seconds: float, target: float) -> None:
    current = await admin.json("GET", "/api/config/acd")
    document = copy.deepcopy(current["document"])
    (general,) = [q for q in document["queues"] if q["name"] == "general"]
    general.update(service_level_seconds=seconds, service_level_target=target)
    await admin.json(
        "PUT",
        "/api/config/acd",
        json={"document": document, "comment": "answer faster", "base_version": current["version"]},
    )


def general_totals(report: dict[str, Any]) -> dict[str, Any]:
    (row,) = [row for row in report["totals"] if row["queue"] == "general"]
    return row


async def test_given_a_threshold_cut_mid_day_when_reading_the_day_then_each_call_keeps_its_own(
    login: Login, site: Site, tmp_path: Path
) -> None:
    agent, admin, supervisor = await login(*AGENT), await login(*ADMIN), await login(*SUPERVISOR)
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "logged_in"})
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "ready"})

    await answered_after(site, 15)  # within the 20 s in force
    await change_threshold(admin, seconds=10, target=0.9)
    await answered_after(site, 15)  # over the 10 s in force now
    await site.flush()

    (live,) = [
        q for q in await supervisor.json("GET", "/api/live/queues") if q["queue"] == "general"
    ]
    assert (live["service_level_seconds"], live["service_level_target"]) == (10, 0.9)
    assert (live["answered"], live["service_level"]) == (2, 0.5)

    today = _midnight(site)
    query = {"since": today.date().isoformat(), "until": today.date().isoformat(), "bucket": "day"}
    report = await supervisor.json("GET", "/api/reports/queues", params=query)
    row = general_totals(report)
    assert (row["answered"], row["answered_within_threshold"]) == (2, 1)
    assert row["service_level"] == 0.5  # the wallboard's figure too
    assert row["service_level_calls"] == 2
    assert row["service_level_target"] == pytest.approx(0.85)

    # A restart: a new reader over the same database, told only the rules in force now.
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'site.db'}")
    try:
        in_force = rules_from_settings(site.center.host.settings)
        reader = ReportRepository(make_sessions(engine), rules=in_force)
        again = await reader.queue_report(today, today + timedelta(days=1), Bucket.DAY, UTC_ZONE)
    finally:
        await engine.dispose()
    (total,) = again.totals
    assert (total.answered_within_threshold, total.service_level) == (1, 0.5)


def _midnight(site: Site) -> datetime:
    """The start of the service's today (the test site's center is in UTC)."""
    now = datetime.fromtimestamp(site.center.host.now(), UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)
