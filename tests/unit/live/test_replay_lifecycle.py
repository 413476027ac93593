"""The replay after a restart reads a log that also holds the lifecycle of callbacks,
voicemails and tickets (issue 17): those entries are not the core's and must change
nothing, wherever they fall among the core's records (between a move and its enqueue,
a handled and its ready, at the same instant); nor may they change the queue and agent
reports or the what-if's day, which fold the same log.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from acd.whatif import Day as WhatIfDay
from callcenter.db.events import CallEvent
from callcenter.db.lifecycle import LifecycleKind
from callcenter.live.replay import inputs_from_log, rebuild
from callcenter.reports import (
    AgentReport,
    Bucket,
    QueueReport,
    build_agent_report,
    build_queue_report,
)
from callcenter.reports.day_from_log import day_from_events
from tests.unit.live.test_replay import CONFIG, EPOCH, Day, log_of, picture, wall


def with_lifecycle(log: list[CallEvent], seed: int, share: float) -> list[CallEvent]:
    """`log` with lifecycle entries slipped in after about `share` of its entries, each at
    the time of the entry before it and for its queue."""
    rng = random.Random(seed)
    kinds = list(LifecycleKind)
    mixed: list[CallEvent] = []
    for event in log:
        mixed.append(event)
        if rng.random() < share:
            kind = rng.choice(kinds)
            mixed.append(CallEvent(event.at, kind.value, queue=event.queue, data={"callback": 1}))
    return mixed


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(0, 150), downtime=st.floats(0, 300))
def test_given_lifecycle_entries_among_the_records_when_rebuilt_then_the_core_is_the_same(
    seed: int, steps: int, downtime: float
) -> None:
    day = Day(seed)
    day.run(steps)
    plain = log_of(day.records)
    mixed = with_lifecycle(plain, seed, 0.5)

    assert inputs_from_log(mixed) == inputs_from_log(plain)
    later = wall(day.center.now - EPOCH + downtime)
    day.center.advance(later)
    refused: list[str] = []
    rebuilt = rebuild(CONFIG, mixed, now=later, since=EPOCH, dropped=lambda e, r: refused.append(r))
    assert picture(rebuilt, later) == picture(day.center.acd, later)
    assert refused == []


def test_given_a_lifecycle_entry_after_each_record_of_a_long_day_then_the_inputs_are_the_same() -> (
    None
):
    day = Day(seed=1)
    day.run(1500)
    plain = log_of(day.records)
    mixed = with_lifecycle(plain, 7, 1.0)

    assert len(mixed) == 2 * len(plain)
    assert inputs_from_log(mixed) == inputs_from_log(plain)


def test_given_an_entry_of_an_unknown_kind_naming_an_agent_then_the_replay_skips_it() -> None:
    day = Day(seed=3)
    day.run(300)
    plain = log_of(day.records)
    # Even one that names an agent and a call (a future writer's), after every record.
    mixed: list[CallEvent] = []
    for event in plain:
        mixed += [event, replace(event, kind="something-new", data={})]

    assert inputs_from_log(mixed) == inputs_from_log(plain)


def test_given_lifecycle_entries_in_the_log_then_queue_agent_and_what_if_days_are_the_same() -> (
    None
):
    day = Day(seed=5)
    day.run(800)
    plain = log_of(day.records)
    mixed = with_lifecycle(plain, 11, 0.7)
    since = datetime.fromtimestamp(EPOCH, UTC)
    until = since + timedelta(days=1)
    tz = ZoneInfo("Europe/Berlin")

    def reports(log: list[CallEvent]) -> tuple[QueueReport, AgentReport, WhatIfDay]:
        hour = Bucket.HOUR
        return (
            build_queue_report(log, since=since, until=until, bucket=hour, tz=tz),
            build_agent_report(log, since=since, until=until, bucket=hour, tz=tz, close_at=until),
            day_from_events(log, since=since, until=until),
        )

    queues, agents, what_if = reports(plain)
    assert queues.rows
    assert agents.rows
    assert what_if.calls
    assert reports(mixed) == (queues, agents, what_if)
