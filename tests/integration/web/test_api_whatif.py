"""What-if over the API: a past day from the event log replayed under a change (issue 16)."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.web.conftest import User
from tests.web_site import ADMIN, AGENT, SCOPED_SUPERVISOR, SUPERVISOR, Site

Login = Callable[[str, str], Awaitable[User]]


async def _yesterday(site: Site) -> str:
    day = datetime.now(UTC) - timedelta(days=1)
    await site.seed_history(day)  # 40 calls from 08:00, two agents, general and billing
    return day.date().isoformat()


def _general(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return next(row for row in rows if row["queue"] == "general")


async def test_given_a_longer_wrap_up_when_tried_on_yesterday_then_callers_wait_longer(
    login: Login, site: Site
) -> None:
    day = await _yesterday(site)
    supervisor = await login(*SUPERVISOR)
    document = copy.deepcopy((await supervisor.json("GET", "/api/config/acd"))["document"])
    general = next(q for q in document["queues"] if q["name"] == "general")
    general["wrap_up_seconds"] = 3600  # each agent is away an hour after a call

    result = await supervisor.json("POST", "/api/whatif", json={"day": day, "document": document})

    assert (result["current_version"], result["changed_version"]) == (1, None)
    assert result["calls"] == 40
    now, then = _general(result["totals"])["current"], _general(result["totals"])["changed"]
    assert now["offered"] == then["offered"] == 26
    assert then["asa"] > now["asa"]
    assert then["service_level"] < now["service_level"]
    # Row by row, in 15-minute steps from the day's first call.
    starts = sorted({row["start"] for row in result["intervals"]})
    assert starts[0].endswith("08:00:00Z")
    assert {row["queue"] for row in result["intervals"]} == {"general", "billing"}
    # Nothing was applied: the configuration in force is still version 1.
    assert (await supervisor.json("GET", "/api/config/acd"))["version"] == 1


async def test_given_a_stored_version_when_tried_then_it_is_compared_with_the_one_in_force(
    login: Login, site: Site
) -> None:
    day = await _yesterday(site)
    admin = await login(*ADMIN)
    result = await admin.json("POST", "/api/whatif", json={"day": day, "version": 1})
    now, then = _general(result["totals"])["current"], _general(result["totals"])["changed"]
    assert now == then  # the same configuration replays the same day the same way


async def test_a_supervisor_of_billing_sees_only_billing(login: Login, site: Site) -> None:
    day = await _yesterday(site)
    supervisor = await login(*SCOPED_SUPERVISOR)
    result = await supervisor.json("POST", "/api/whatif", json={"day": day, "version": 1})
    assert {row["queue"] for row in result["totals"]} == {"billing"}
    assert {row["queue"] for row in result["intervals"]} == {"billing"}


async def test_bad_what_if_requests_say_what_is_wrong(login: Login, site: Site) -> None:
    day = await _yesterday(site)
    supervisor = await login(*SUPERVISOR)
    document = copy.deepcopy((await supervisor.json("GET", "/api/config/acd"))["document"])
    document["queues"][0]["ring_timeout_seconds"] = 0
    bad = await supervisor.json("POST", "/api/whatif", 422, json={"day": day, "document": document})
    assert bad["error"]["details"][0]["field"] == "document.queues[0].ring_timeout_seconds"
    today = datetime.now(UTC).date().isoformat()
    future = await supervisor.json("POST", "/api/whatif", 422, json={"day": today, "version": 1})
    assert "past day" in future["error"]["message"]
    both = await supervisor.json(
        "POST", "/api/whatif", 422, json={"day": day, "version": 1, "document": document}
    )
    assert "not both" in both["error"]["message"]
    assert (
        await supervisor.call("POST", "/api/whatif", json={"day": day, "version": 9})
    ).status == 404
    agent = await login(*AGENT)
    assert (await agent.call("POST", "/api/whatif", json={"day": day, "version": 1})).status == 403


async def test_given_two_agents_added_when_tried_on_yesterday_then_they_work_its_hours_and_help(
    login: Login, site: Site
) -> None:
    day = await _yesterday(site)
    admin = await login(*ADMIN)
    document = copy.deepcopy((await admin.json("GET", "/api/config/acd"))["document"])
    # Yesterday's two agents answered slowly under an hour's wrap-up: two more in general.
    for queue in document["queues"]:
        queue["wrap_up_seconds"] = 3600
    baseline = await admin.json("POST", "/api/whatif", json={"day": day, "document": document})
    document["agents"] += [
        {"id": "extra1", "queues": ["general"]},
        {"id": "extra2", "queues": ["general"]},
    ]

    result = await admin.json("POST", "/api/whatif", json={"day": day, "document": document})

    shifts = {s["agent"]: s["from"] for s in result["added_shifts"]}
    assert set(shifts) == {"extra1", "extra2"}
    assert baseline["added_shifts"] == []
    before = _general(baseline["totals"])["changed"]
    after = _general(result["totals"])["changed"]
    assert after["answered"] >= before["answered"]
    assert after["asa"] < before["asa"]
