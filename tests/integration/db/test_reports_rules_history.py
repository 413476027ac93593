"""Reports read a queue's rules of the time from the stored event log (issue 16).

A day through the real core with two configuration changes is stored as the service stores
it; a reader that knows only the rules in force now (as after a restart) reports any period
- starting before the first change, between them, after the last - exactly as the pure
fold given the rules in force at the period's start.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from acd import AcdSettings
from callcenter.db import CallEvent, EventLog
from callcenter.live.recorder import log_entry
from callcenter.reports import Bucket, ReportRepository, build_queue_report, rules_from_settings
from tests.unit.reports.reports_simulation import Day, center, simulate, with_rules

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
HOUR = 3600.0
FIRST = center()
SECOND = with_rules(FIRST, service_level_seconds=8, service_level_target=0.95)
THIRD = with_rules(FIRST, service_level_seconds=45, service_level_formula="offered")


@pytest.fixture(scope="module")
def day() -> Day:
    return simulate(seed=4, hours=5, changes=[(1.5 * HOUR, SECOND), (3 * HOUR, THIRD)])


def stored(day: Day) -> list[CallEvent]:
    return [replace(log_entry(r), at=START + timedelta(seconds=r.at)) for r in day.records]


@pytest.mark.parametrize(
    ("begin", "in_force"),
    [(0.0, FIRST), (2 * HOUR, SECOND), (4 * HOUR, THIRD)],
    ids=["before-the-changes", "between-them", "after-them"],
)
async def test_given_a_restart_when_reporting_any_period_then_the_rules_of_its_time_apply(
    sessions: async_sessionmaker[AsyncSession], day: Day, begin: float, in_force: AcdSettings
) -> None:
    events = stored(day)
    await EventLog(sessions).append(events)
    reader = ReportRepository(sessions, rules=rules_from_settings(THIRD), page_size=500)
    since = START + timedelta(seconds=begin)
    until = START + timedelta(hours=6)

    assert await reader.rules_at(since) == rules_from_settings(in_force)
    report = await reader.queue_report(since, until, Bucket.HOUR, BERLIN)
    pure = build_queue_report(
        events,
        since=since,
        until=until,
        bucket=Bucket.HOUR,
        tz=BERLIN,
        rules=rules_from_settings(in_force),
    )
    strip = {"survey_average", "survey_count"}
    assert [_plain(r, strip) for r in report.totals] == [_plain(r, strip) for r in pure.totals]
    assert [_plain(r, strip) for r in report.rows] == [_plain(r, strip) for r in pure.rows]
    assert report.totals, "the period has calls"


async def test_given_a_log_without_config_records_then_the_rules_in_force_now_apply(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    reader = ReportRepository(sessions, rules=rules_from_settings(SECOND))
    assert await reader.rules_at(START) == rules_from_settings(SECOND)


def _plain(row: object, strip: set[str]) -> dict[str, object]:
    return {k: v for k, v in vars_of(row).items() if k not in strip}


def vars_of(row: object) -> dict[str, object]:
    return {name: getattr(row, name) for name in row.__slots__}  # type: ignore[attr-defined]
