"""What-if over the API on a made-up day: loads per queue instead of the event log (issue 16)."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.web.routes_whatif import whole_day
from tests.integration.web.conftest import User
from tests.web_site import SCOPED_SUPERVISOR, SUPERVISOR, Site

Login = Callable[[str, str], Awaitable[User]]

BUSY_MORNING = [0.0] * 8 + [40.0, 40.0] + [0.0] * 14
"""40 calls an hour from 08:00 to 10:00, nothing else."""


def _load(**overrides: Any) -> dict[str, Any]:
    load: dict[str, Any] = {
        "queue": "general",
        "calls_per_hour": list(BUSY_MORNING),
        "aht_seconds": 300,
        "patience_seconds": 120,
    }
    load.update(overrides)
    return load


def _day(*loads: dict[str, Any], seed: int = 7) -> dict[str, Any]:
    return {"synthetic": {"loads": list(loads), "seed": seed}}


def _totals(result: dict[str, Any], queue: str) -> tuple[dict[str, Any], dict[str, Any]]:
    row = next(row for row in result["totals"] if row["queue"] == queue)
    return row["current"], row["changed"]


async def _document(user: User) -> dict[str, Any]:
    return copy.deepcopy((await user.json("GET", "/api/config/acd"))["document"])


async def test_given_a_busy_morning_when_two_agents_are_added_then_general_answers_more_and_sooner(
    login: Login, site: Site
) -> None:
    supervisor = await login(*SUPERVISOR)
    document = await _document(supervisor)
    for n in (4, 5):  # two more agents for general, on duty all day like the others
        document["agents"].append({"id": f"agent{n}", "name": f"New {n}", "queues": ["general"]})

    result = await supervisor.json(
        "POST", "/api/whatif", json={"day": _day(_load()), "document": document}
    )

    assert result["synthetic"] is True
    assert result["seed"] == 7
    assert 50 <= result["calls"] <= 110  # about 80 made-up calls
    now, then = _totals(result, "general")
    assert now["offered"] == then["offered"] == result["calls"]  # the same calls both sides
    assert then["service_level"] > now["service_level"]
    assert then["abandoned"] < now["abandoned"]
    assert then["asa"] < now["asa"]
    assert _totals(result, "billing")[0]["offered"] == 0  # billing had no load
    starts = sorted({row["start"] for row in result["intervals"]})
    assert len(starts) == 8  # eight quarter hours from 08:00 to 10:00 of the center's day
    assert result["refused"] == []
    # The same seed makes the same day; another seed another one.
    again = await supervisor.json(
        "POST", "/api/whatif", json={"day": _day(_load()), "document": document}
    )
    assert again["totals"] == result["totals"]
    other = await supervisor.json(
        "POST", "/api/whatif", json={"day": _day(_load(), seed=8), "document": document}
    )
    assert other["totals"] != result["totals"]
    # Nothing was applied.
    assert (await supervisor.json("GET", "/api/config/acd"))["version"] == 1


async def test_a_load_for_every_queue_with_96_quarter_hour_rates_reaches_each_queue(
    login: Login, site: Site
) -> None:
    supervisor = await login(*SUPERVISOR)
    quarters = [0.0] * 96
    quarters[36:40] = [20.0] * 4  # 09:00-10:00, 20 calls an hour
    spread = _load(queue="*", calls_per_hour=quarters, patience_seconds=None)
    busy_billing = _load(queue="billing", aht_seconds=60)

    result = await supervisor.json(
        "POST", "/api/whatif", json={"day": _day(spread, busy_billing), "version": 1}
    )

    assert {row["queue"] for row in result["totals"]} == {"general", "billing"}
    general_now, general_then = _totals(result, "general")
    billing_now, _ = _totals(result, "billing")
    assert general_now == general_then  # the same configuration, the same replay
    assert general_now["abandoned"] == 0  # no patience given: nobody hangs up
    # billing has its own load (about 80 calls from 08:00), not the spread (about 20).
    assert billing_now["offered"] > general_now["offered"]
    starts = {row["start"][11:16] for row in result["intervals"] if row["queue"] == "general"}
    assert starts <= {"09:00", "09:15", "09:30", "09:45"}


async def test_a_supervisor_of_billing_loads_only_billing(login: Login, site: Site) -> None:
    supervisor = await login(*SCOPED_SUPERVISOR)
    result = await supervisor.json(
        "POST", "/api/whatif", json={"day": _day(_load(queue="*")), "version": 1}
    )
    assert {row["queue"] for row in result["totals"]} == {"billing"}
    refused = await supervisor.json(
        "POST", "/api/whatif", 422, json={"day": _day(_load()), "version": 1}
    )
    assert refused["error"]["details"] == [
        {
            "field": "day.synthetic.loads[0].queue",
            "problem": "queue 'general' is not one of yours",
            "in": "body",
        }
    ]


@pytest.mark.parametrize(
    ("load", "field", "words"),
    [
        (_load(aht_seconds=0), "day.synthetic.loads[0].aht_seconds", "greater than 0"),
        (_load(aht_seconds="long"), "day.synthetic.loads[0].aht_seconds", "number"),
        (_load(patience_seconds=-5), "day.synthetic.loads[0].patience_seconds", "greater than 0"),
        (_load(calls_per_hour=[1.0] * 23), "day.synthetic.loads[0].calls_per_hour", "got 23"),
        (
            _load(calls_per_hour=[5.0] * 5 + [-1.0] + [5.0] * 18),
            "day.synthetic.loads[0].calls_per_hour[5]",
            "greater than or equal to 0",
        ),
        (
            _load(calls_per_hour=[20_000.0] + [0.0] * 23),
            "day.synthetic.loads[0].calls_per_hour[0]",
            "less than or equal to 10000",
        ),
        (_load(queue="sales"), "day.synthetic.loads[0].queue", "no queue is named 'sales'"),
        (_load(colour="red"), "day.synthetic.loads[0].colour", "Extra inputs"),
        (_load(calls_per_hour=[0.0] * 24), "day.synthetic.loads", "no calls"),
        (_load(calls_per_hour=[9000.0] * 24), "day.synthetic.loads", "at most 50,000"),
    ],
    ids=[
        "aht-zero",
        "aht-not-a-number",
        "negative-patience",
        "23-rates",
        "negative-rate",
        "rate-too-high",
        "unknown-queue",
        "unknown-key",
        "no-calls",
        "too-many-calls",
    ],
)
async def test_a_bad_synthetic_day_is_refused_naming_the_field(
    login: Login, site: Site, load: dict[str, Any], field: str, words: str
) -> None:
    supervisor = await login(*SUPERVISOR)
    bad = await supervisor.json("POST", "/api/whatif", 422, json={"day": _day(load), "version": 1})
    details = bad["error"]["details"]
    assert [d["field"] for d in details] == [field], details
    assert words in details[0]["problem"]
    assert field in bad["error"]["message"]


async def test_every_bad_field_of_a_synthetic_day_is_named_at_once(
    login: Login, site: Site
) -> None:
    supervisor = await login(*SUPERVISOR)
    loads = [_load(aht_seconds=0), _load(queue="billing", patience_seconds=0), _load()]
    bad = await supervisor.json(
        "POST", "/api/whatif", 422, json={"day": _day(*loads, seed=-1), "version": 1}
    )
    assert [d["field"] for d in bad["error"]["details"]] == [
        "day.synthetic.loads[0].aht_seconds",
        "day.synthetic.loads[1].patience_seconds",
        "day.synthetic.seed",
    ]
    twice = await supervisor.json(
        "POST", "/api/whatif", 422, json={"day": _day(_load(), _load()), "version": 1}
    )
    assert twice["error"]["details"][0]["field"] == "day.synthetic.loads[1].queue"
    assert "second load for queue 'general'" in twice["error"]["details"][0]["problem"]
    empty = await supervisor.json(
        "POST", "/api/whatif", 422, json={"day": {"synthetic": {"loads": []}}, "version": 1}
    )
    assert empty["error"]["details"][0]["field"] == "day.synthetic.loads"
    shapeless = await supervisor.json(
        "POST", "/api/whatif", 422, json={"day": {"made_up": True}, "version": 1}
    )
    assert [d["field"] for d in shapeless["error"]["details"]] == [
        "day.synthetic",
        "day.made_up",
    ]


def test_a_synthetic_day_is_put_on_a_day_with_24_hours_so_hour_h_is_h_oclock() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 29 March 2026 has 23 hours in Berlin (summer time begins): the day before is used.
    assert whole_day(date(2026, 3, 29), berlin) == date(2026, 3, 28)
    assert whole_day(date(2026, 3, 30), berlin) == date(2026, 3, 30)
    assert whole_day(date(2026, 3, 29), ZoneInfo("UTC")) == date(2026, 3, 29)
