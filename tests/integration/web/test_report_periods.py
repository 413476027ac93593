"""What a supervisor asks the reports for is what they get: the days, the bucket, the names."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from tests.integration.web.conftest import User
from tests.web_site import SUPERVISOR, Site

Login = Callable[[str, str], Awaitable[User]]
DAY = datetime(2026, 1, 14, tzinfo=UTC)
NEXT = DAY + timedelta(days=1)


async def _two_days(site: Site) -> None:
    await site.seed_history(DAY)
    await site.seed_history(NEXT)


async def test_given_one_day_chosen_when_reporting_then_only_that_day_is_counted_and_named(
    login: Login, site: Site
) -> None:
    await _two_days(site)
    supervisor = await login(*SUPERVISOR)
    day = DAY.date().isoformat()

    report = await supervisor.json("GET", f"/api/reports/queues?since={day}&until={day}&bucket=day")
    assert {row["start"][:10] for row in report["rows"]} == {day}
    assert sum(row["offered"] for row in report["totals"]) == 40  # one seeded day, not two

    response = await supervisor.call(
        "GET", f"/api/reports/queues?since={day}&until={day}&bucket=day&format=csv"
    )
    disposition = response.headers["Content-Disposition"]
    assert f'filename="queue-report-{day}-{day}-day.csv"' in disposition


async def test_given_the_next_midnight_as_until_when_reporting_then_the_next_day_is_left_out(
    login: Login, site: Site
) -> None:
    await _two_days(site)
    supervisor = await login(*SUPERVISOR)
    day, midnight = DAY.date().isoformat(), f"{NEXT.date().isoformat()}T00:00"

    report = await supervisor.json(
        "GET", f"/api/reports/queues?since={day}T00:00&until={midnight}&bucket=day"
    )

    assert {row["start"][:10] for row in report["rows"]} == {day}
    assert sum(row["offered"] for row in report["totals"]) == 40


async def test_given_15_minute_buckets_when_reporting_then_rows_are_a_quarter_hour_apart(
    login: Login, site: Site
) -> None:
    await site.seed_history(DAY)
    supervisor = await login(*SUPERVISOR)
    day = DAY.date().isoformat()

    report = await supervisor.json(
        "GET", f"/api/reports/queues?since={day}&until={day}&bucket=15min"
    )

    assert report["bucket"] == "15min"
    starts = sorted({datetime.fromisoformat(row["start"]) for row in report["rows"]})
    assert starts[1] - starts[0] == timedelta(minutes=15)


async def test_given_agent_reports_when_read_then_agents_carry_their_wallboard_names(
    login: Login, site: Site
) -> None:
    await site.seed_history(DAY)
    supervisor = await login(*SUPERVISOR)
    day = DAY.date().isoformat()

    report = await supervisor.json("GET", f"/api/reports/agents?since={day}&until={day}&bucket=day")
    assert {row["agent"]: row["agent_name"] for row in report["totals"]} == {
        "agent1": "Anna Berg",
        "agent2": "Ben Koch",
    }
    response = await supervisor.call(
        "GET", f"/api/reports/agents?since={day}&until={day}&bucket=day&format=csv"
    )
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert {row["agent_name"] for row in rows} == {"Anna Berg", "Ben Koch"}


async def test_the_public_config_names_the_centers_time_zone_and_the_agents(
    login: Login, site: Site
) -> None:
    supervisor = await login(*SUPERVISOR)
    config = await supervisor.json("GET", "/api/config/public")
    assert config["timezone"] == site.backend.context.settings.ivr.timezone
    assert config["agents"]["agent1"] == "Anna Berg"
