"""A day in the event log comes back as a what-if day and replays to what the log shows.

The log is written with realistic records: those the pure core writes for a day of traffic
(`replay_day` reports each record it writes), stored through `EventLog.append` as the
service's recorder stores them. Read back by `day_from_log` and replayed under the same
configuration with the same ring time, each queue's answered and abandoned calls are those
the reports count from the log. The approximation (docs in `callcenter.reports.day_from_log`):
an answered caller's patience is unknown and taken as infinite, and a call still ringing or
talking past the read window gets its queue's mean talk; neither matters here, since the
configuration is unchanged and the log reaches past the last call.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from acd import AcdSettings, Record
from acd.whatif import (
    QueueLoad,
    StaffingAction,
    StaffingChange,
    compare,
    make_day,
    replay_day,
    shift,
    synthetic_day,
)
from callcenter.db import EventLog, event_from_record
from callcenter.reports import Bucket, build_queue_report, rules_from_settings
from callcenter.reports.day_from_log import day_from_log

MIDNIGHT = datetime(2026, 3, 2, tzinfo=UTC)
T = MIDNIGHT.timestamp()
HOURS = 2

SETTINGS = AcdSettings.model_validate(
    {
        "queues": [
            {"name": "sales", "wrap_up_seconds": 15, "service_level_seconds": 20},
            {"name": "support", "wrap_up_seconds": 30, "service_level_formula": "offered"},
        ],
        "agents": [
            {"id": "a1", "queues": ["sales"]},
            {"id": "a2", "queues": ["sales", "support"]},
            {"id": "a3", "queues": ["support"]},
        ],
    }
)


def _the_day_as_it_happened() -> list[Record]:
    """Two hours of traffic on three agents: a1 logged in before midnight, a2 takes lunch."""
    loads = [
        QueueLoad("sales", [14.0] * (HOURS * 4), mean_talk=150.0, mean_patience=60.0),
        QueueLoad("support", [8.0] * (HOURS * 4), mean_talk=200.0, mean_patience=90.0),
    ]
    staffing = (
        *shift("a2", T, T + HOURS * 3600),
        StaffingChange(T + 1800, "a2", StaffingAction.PAUSE, "lunch"),
        StaffingChange(T + 2700, "a2", StaffingAction.READY),
        *shift("a3", T + 600, T + HOURS * 3600),
    )
    day = synthetic_day(loads, start=T, staffing=staffing, seed=16)
    # a1 logged in ready ten minutes before the day begins (the read looks back for it).
    early = make_day(
        T - 600,
        day.end,
        day.calls,
        (*shift("a1", T - 600, T + HOURS * 3600), *day.staffing),
    )
    records: list[Record] = []
    replay_day(early, SETTINGS, on_record=records.append)
    return records


async def test_given_a_day_in_the_event_log_when_replayed_unchanged_then_the_counts_match_the_log(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    records = _the_day_as_it_happened()
    log = EventLog(sessions)
    events = [event_from_record(r, datetime.fromtimestamp(r.at, UTC)) for r in records]
    await log.append(events)
    until = MIDNIGHT + timedelta(hours=HOURS)

    day = await day_from_log(log, since=MIDNIGHT, until=until)
    replayed = replay_day(day, SETTINGS)

    logged = build_queue_report(
        await log.read(limit=100_000),
        since=MIDNIGHT,
        until=until,
        bucket=Bucket.QUARTER_HOUR,
        tz=ZoneInfo("UTC"),
        rules=rules_from_settings(SETTINGS),
    )
    assert len(day.calls) == sum(row.offered for row in logged.totals) > 100
    assert sum(row.abandoned + row.short_abandoned for row in logged.totals) > 5
    assert {s.agent_id for s in day.staffing if s.at == T} == {"a1", "a2"}  # a1 from before
    for row in logged.totals:
        again = replayed.total(row.queue)
        assert (again.offered, again.answered) == (row.offered, row.answered), row.queue
        assert (again.abandoned, again.short_abandoned) == (row.abandoned, row.short_abandoned)
        assert again.service_level == row.service_level
        assert again.asa is not None
        assert row.asa is not None
        assert abs(again.asa - row.asa) < 1e-6
    by_interval = {(r.start.timestamp(), r.queue): r for r in logged.rows}
    for row in replayed.rows:
        assert row.offered == by_interval[(row.start, row.queue)].offered
        assert row.answered == by_interval[(row.start, row.queue)].answered


async def test_given_a_logged_day_when_a_fourth_agent_joins_sales_then_fewer_callers_abandon(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    log = EventLog(sessions)
    records = _the_day_as_it_happened()
    await log.append(event_from_record(r, datetime.fromtimestamp(r.at, UTC)) for r in records)
    day = await day_from_log(log, since=MIDNIGHT, until=MIDNIGHT + timedelta(hours=HOURS))
    changed = SETTINGS.model_copy(
        update={
            "agents": (
                *SETTINGS.agents,
                SETTINGS.agents[0].model_copy(update={"id": "a4"}),
            )
        }
    )

    result = compare(day, SETTINGS, changed, changed_staffing=shift("a4", T, T + HOURS * 3600))

    sales = next(row for row in result.totals if row.queue == "sales")
    assert sales.current is not None
    assert sales.changed is not None
    assert sales.changed.abandoned < sales.current.abandoned
    assert (sales.changed.service_level or 0) > (sales.current.service_level or 0)
