"""The what-if's rows mean what the reports' rows mean: over the records a replay writes,
its fold and the historical queue report give the same figures, row by row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from acd import AcdSettings, Record
from acd.whatif import QueueLoad, StaffingAction, StaffingChange, replay_day, shift, synthetic_day
from callcenter.db import event_from_record
from callcenter.reports import Bucket, build_queue_report, rules_from_settings
from callcenter.reports.day_from_log import day_from_events

MIDNIGHT = datetime(2026, 5, 4, tzinfo=UTC)
T = MIDNIGHT.timestamp()
HOURS = 3
FIGURES = (
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "overflowed",
    "timed_out",
    "answered_within_threshold",
    "handled",
    "service_level",
    "asa",
    "aht",
    "abandon_rate",
)
SETTINGS = AcdSettings.model_validate(
    {
        "queues": [
            {
                "name": "sales",
                "max_wait_seconds": 90,
                "overflow": "queue:support",
                "service_level_seconds": 15,
            },
            {
                "name": "support",
                "max_wait_seconds": 240,
                "overflow": "voicemail:100",
                "service_level_formula": "offered",
                "short_abandon_seconds": 10,
                "wrap_up_seconds": 25,
            },
            {"name": "vip", "service_level_formula": "answered", "strategy": "fewest_calls"},
        ],
        "agents": [
            {"id": "a1", "queues": ["sales", "vip"]},
            {"id": "a2", "queues": ["sales", "support"]},
            {"id": "a3", "queues": ["support"]},
            {"id": "a4", "queues": ["support", "vip"]},
        ],
    }
)


def _records() -> list[Record]:
    loads = [
        QueueLoad("sales", [25.0] * (HOURS * 4), mean_talk=160.0, mean_patience=80.0),
        QueueLoad("support", [12.0] * (HOURS * 4), mean_talk=220.0, mean_patience=150.0),
        QueueLoad("vip", [4.0] * (HOURS * 4), mean_talk=120.0, priority=5),
    ]
    staffing = [
        change for agent in ("a1", "a2", "a3", "a4") for change in shift(agent, T, T + HOURS * 3600)
    ]
    staffing.append(StaffingChange(T + 3600, "a3", StaffingAction.PAUSE, "lunch"))
    staffing.append(StaffingChange(T + 5400, "a3", StaffingAction.READY))
    day = synthetic_day(loads, start=T, staffing=staffing, seed=4)
    records: list[Record] = []
    replay_day(day, SETTINGS, on_record=records.append)
    return records


def test_a_day_read_back_from_its_records_replays_to_their_queue_report_row_by_row() -> None:
    records = _records()
    events = [event_from_record(r, datetime.fromtimestamp(r.at, UTC)) for r in records]
    day = day_from_events(events, since=MIDNIGHT, until=MIDNIGHT + timedelta(hours=HOURS))

    result = replay_day(day, SETTINGS)
    report = build_queue_report(
        events,
        since=MIDNIGHT,
        until=MIDNIGHT + timedelta(hours=HOURS),
        bucket=Bucket.QUARTER_HOUR,
        tz=ZoneInfo("UTC"),
        rules=rules_from_settings(SETTINGS),
    )

    sales, support = report.totals[0], report.totals[1]
    assert sales.queue == "sales"
    assert sales.overflowed > 0  # the day exercises overflow, abandons and voicemail
    assert support.overflowed > 0
    assert sales.abandoned > 0
    assert support.short_abandoned > 0
    reported = {(row.start.timestamp(), row.queue): row for row in report.rows}
    assert len(result.rows) == len(reported)
    for row in result.rows:
        expected = reported[(row.start, row.queue)]
        for name in FIGURES:
            assert getattr(row, name) == pytest.approx(getattr(expected, name)), (row, name)
    for expected in report.totals:
        total = result.total(expected.queue)
        for name in FIGURES:
            assert getattr(total, name) == pytest.approx(getattr(expected, name)), name
