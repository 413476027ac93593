"""Live and history agree: a day through the real ACD, then its log through the reports.

The core's own `queue_stats` and `agent_view` at the end of the day are the live figures;
the same day's `Record`s, turned into log entries exactly as the service stores them
(`event_from_record`, wall clock = a fixed start + the core's seconds), are the history.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from reports_kit import BERLIN
from reports_simulation import QUEUES, Day, simulate

from callcenter.db import CallEvent, event_from_record
from callcenter.reports import (
    Bucket,
    build_agent_report,
    build_queue_report,
    rules_from_settings,
)

START = datetime(2026, 3, 2, 7, 0, tzinfo=BERLIN)
SINCE, UNTIL = START.replace(hour=0), START.replace(hour=0) + timedelta(days=1)


def log_of(day: Day) -> list[CallEvent]:
    return [event_from_record(r, START + timedelta(seconds=r.at)) for r in day.records]


def same(
    history: float | None, live: float | None, rel: float | None = None, abs: float | None = None
) -> bool:
    """Equal up to float rounding, or both None (nothing to average)."""
    if history is None or live is None:
        return history is live
    return history == pytest.approx(live, rel=rel, abs=abs)


@pytest.fixture(scope="module", params=[1, 3])
def day(request: pytest.FixtureRequest) -> Day:
    return simulate(seed=request.param)


def test_the_days_queue_totals_equal_the_live_queue_stats(day: Day) -> None:
    report = build_queue_report(
        log_of(day),
        since=SINCE,
        until=UNTIL,
        bucket=Bucket.QUARTER_HOUR,
        tz=BERLIN,
        rules=rules_from_settings(day.acd.settings),
    )
    totals = {row.queue: row for row in report.totals}
    assert set(totals) == set(QUEUES)
    for queue in QUEUES:
        live, history = day.acd.queue_stats(queue, day.end), totals[queue]
        assert live.offered > 100, "the day exercised the queue"
        counts = ("offered", "answered", "abandoned", "short_abandoned", "overflowed")
        for name in (*counts, "timed_out"):
            assert getattr(history, name) == getattr(live, name), (queue, name)
        assert history.callbacks == live.callback_requests, queue
        assert history.service_level == live.service_level, queue
        assert same(history.asa, live.asa, rel=1e-12), queue
        assert same(history.aht, live.aht, rel=1e-12), queue
        assert history.abandon_rate == live.abandon_rate, queue


def test_the_day_covers_every_way_a_call_can_end(day: Day) -> None:
    kinds = {str(r.kind) for r in day.records}
    assert kinds >= {
        "abandon", "overflow", "exit", "callback", "ring-no-answer", "reject", "offer-withdrawn",
        "move",
    }  # fmt: skip


def test_the_days_agent_totals_equal_the_live_agent_views(day: Day) -> None:
    report = build_agent_report(
        log_of(day), since=SINCE, until=UNTIL, bucket=Bucket.HOUR, tz=BERLIN
    )
    totals = {row.agent: row for row in report.totals}
    for view in day.acd.agent_views(day.end):
        history = totals[view.agent_id]
        assert history.handled == view.handled, view.agent_id
        assert history.answered == view.calls_today, view.agent_id
        assert same(history.aht, view.aht, rel=1e-9), view.agent_id
        # Wall-clock times are whole microseconds: a few microseconds over the day.
        assert same(history.occupancy, view.occupancy, abs=1e-6), view.agent_id


def test_quarter_hours_hours_and_the_day_add_up_to_the_same_totals(day: Day) -> None:
    events = log_of(day)
    per = {
        bucket: build_queue_report(events, since=SINCE, until=UNTIL, bucket=bucket, tz=BERLIN)
        for bucket in Bucket
    }
    for name in ("offered", "answered", "abandoned", "handled", "answered_within_threshold"):
        sums = {b: sum(getattr(r, name) for r in per[b].rows) for b in Bucket}
        assert len(set(sums.values())) == 1, (name, sums)
        assert sums[Bucket.DAY] == sum(getattr(r, name) for r in per[Bucket.DAY].totals)
    agents = {
        bucket: build_agent_report(events, since=SINCE, until=UNTIL, bucket=bucket, tz=BERLIN)
        for bucket in (Bucket.QUARTER_HOUR, Bucket.DAY)
    }
    quarter = sum(r.logged_in_time for r in agents[Bucket.QUARTER_HOUR].rows)
    assert quarter == pytest.approx(sum(r.logged_in_time for r in agents[Bucket.DAY].rows))
