"""Reports read from the database: paged event log, survey scores, CSV, on both backends."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db import (
    CallEvent,
    EventLog,
    InteractionData,
    InteractionRepository,
    event_from_record,
)
from callcenter.reports import (
    Bucket,
    QueueRow,
    ReportRepository,
    build_agent_report,
    build_queue_report,
    rules_from_settings,
    to_csv,
)
from tests.unit.reports.reports_simulation import QUEUES, Day, simulate

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
SINCE, UNTIL = datetime(2026, 3, 2, tzinfo=BERLIN), datetime(2026, 3, 3, tzinfo=BERLIN)


@pytest.fixture(scope="module")
def day() -> Day:
    return simulate(seed=1, hours=4)


def log_of(day: Day) -> list[CallEvent]:
    return [event_from_record(r, START + timedelta(seconds=r.at)) for r in day.records]


async def store(sessions: async_sessionmaker[AsyncSession], day: Day) -> list[CallEvent]:
    events = log_of(day)
    await EventLog(sessions).append(events)
    interactions = InteractionRepository(sessions)
    rated = [
        ("c1", "sales", "a1", {"q1": 5, "q2": 4}),
        ("c2", "sales", "a2", {"q1": 2}),
        ("c3", "support", "a1", {"q1": 3, "q2": 3}),
        ("c4", "support", None, {}),  # not rated: counts nowhere
    ]
    for uniqueid, queue, agent, scores in rated:
        await interactions.save(
            InteractionData(
                uniqueid=uniqueid,
                arrived_at=START + timedelta(minutes=1),
                queued_at=START + timedelta(minutes=2),
                queue=queue,
                agent=agent,
                survey_scores=scores,
            )
        )
    return events


async def test_a_queue_report_read_in_pages_equals_the_live_figures_and_the_pure_fold(
    sessions: async_sessionmaker[AsyncSession], day: Day
) -> None:
    events = await store(sessions, day)
    rules = rules_from_settings(day.acd.settings)
    repository = ReportRepository(sessions, rules=rules, page_size=700)

    report = await repository.queue_report(SINCE, UNTIL, Bucket.HOUR, BERLIN)

    pure = build_queue_report(
        events, since=SINCE, until=UNTIL, bucket=Bucket.HOUR, tz=BERLIN, rules=rules
    )
    assert len(events) > 2000, "several pages"
    assert [r.start.tzinfo for r in report.rows] == [BERLIN] * len(report.rows)
    strip = ("survey_average", "survey_count")
    assert [_without(r, strip) for r in report.rows] == [_without(r, strip) for r in pure.rows]
    totals = {row.queue: row for row in report.totals}
    for queue in QUEUES:
        live = day.acd.queue_stats(queue, day.end)
        assert (totals[queue].offered, totals[queue].answered) == (live.offered, live.answered)
        assert totals[queue].service_level == live.service_level
    assert (totals["sales"].survey_average, totals["sales"].survey_count) == (3.25, 2)
    assert (totals["support"].survey_average, totals["support"].survey_count) == (3.0, 1)
    (first_hour,) = [r for r in report.rows if r.queue == "sales" and r.start.hour == 7]
    assert first_hour.survey_count == 2

    table = list(csv.reader(io.StringIO(to_csv(report.rows))))
    assert table[0][:4] == ["start", "end", "queue", "offered"]
    assert len(table) == len(report.rows) + 1
    assert table[1][0] == "2026-03-02T07:00:00+01:00"


async def test_an_agent_report_from_mid_day_sees_the_state_agents_were_in(
    sessions: async_sessionmaker[AsyncSession], day: Day
) -> None:
    events = await store(sessions, day)
    since = SINCE + timedelta(hours=9)  # two hours after everyone logged in
    repository = ReportRepository(sessions, page_size=1000)

    report = await repository.agent_report(since, UNTIL, Bucket.QUARTER_HOUR, BERLIN)

    pure = build_agent_report(
        events, since=since, until=UNTIL, bucket=Bucket.QUARTER_HOUR, tz=BERLIN
    )
    assert report.rows == pure.rows
    totals = {row.agent: row for row in report.totals}
    assert totals["a1"].logged_in_time > 3600
    assert totals["a1"].survey_count == 0, "rated before the period"
    assert to_csv(report.totals).count("\r\n") == len(report.totals) + 1


async def test_filters_and_an_empty_period(sessions: async_sessionmaker[AsyncSession]) -> None:
    t = datetime(2026, 3, 2, 9, 59, tzinfo=UTC)
    await EventLog(sessions).append(
        [
            CallEvent(t, "enqueue", "x1", "sales", data={"detail": "priority 0"}),
            CallEvent(t, "enqueue", "x2", "support", data={"detail": "priority 0"}),
            # Answered after the period ends: counts for the call that entered in it.
            CallEvent(t + timedelta(minutes=2), "connect", "x1", "sales", "a1", {"wait": 120}),
        ]
    )
    repository = ReportRepository(sessions)
    until = datetime(2026, 3, 2, 10, tzinfo=UTC)
    report = await repository.queue_report(
        until - timedelta(hours=1), until, Bucket.HOUR, BERLIN, queues=["sales"]
    )
    assert [(r.queue, r.offered, r.answered, r.asa) for r in report.totals] == [
        ("sales", 1, 1, 120.0)
    ]
    empty = await repository.queue_report(until, until + timedelta(hours=1), Bucket.DAY, BERLIN)
    assert (empty.rows, empty.totals) == ((), ())
    assert to_csv(empty.rows, row_type=QueueRow).startswith("start,end,queue,offered,")
    with pytest.raises(ValueError, match="empty"):
        await repository.agent_report(until, until, Bucket.DAY, BERLIN)


def _without(row: QueueRow, names: tuple[str, ...]) -> dict[str, object]:
    return {k: v for k, v in vars_of(row).items() if k not in names}


def vars_of(row: QueueRow) -> dict[str, object]:
    return {name: getattr(row, name) for name in row.__dataclass_fields__}
