"""Properties: whatever the log, buckets add up to the totals and to the bigger buckets.

Logs mix well-formed calls (answered, abandoned, timed out, overflowed) with random noise
(any kind, any call, any agent), over three days around the night Berlin's clocks go back.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reports_kit import BERLIN, abandoned_call, answered_call

from acd import RecordKind
from callcenter.db import CallEvent
from callcenter.reports import Bucket, build_agent_report, build_queue_report

SINCE = datetime(2026, 10, 24, tzinfo=BERLIN)
UNTIL = datetime(2026, 10, 27, tzinfo=BERLIN)
SPAN = (UNTIL - SINCE).total_seconds() + 3600  # UNTIL is 73 real hours after SINCE
QUEUES = ("sales", "support")
AGENTS = ("a1", "a2", "a3")
COUNTS = ("offered", "answered", "abandoned", "short_abandoned", "answered_within_threshold")

seconds = st.floats(0, 400, allow_nan=False)


def _shift(events: list[CallEvent], offset: float) -> list[CallEvent]:
    """Hand-made events are relative to T0; move them to ``offset`` seconds after SINCE."""
    base = events[0].at
    return [
        CallEvent(e.at - base + SINCE + timedelta(seconds=offset), e.kind, e.call_id, e.queue,
                  e.agent, e.data)
        for e in events
    ]  # fmt: skip


@st.composite
def calls(draw: st.DrawFn, index: int) -> list[CallEvent]:
    enter = draw(st.floats(-3600, SPAN, allow_nan=False))
    queue, agent = draw(st.sampled_from(QUEUES)), draw(st.sampled_from(AGENTS))
    wait = draw(seconds)
    if draw(st.booleans()):
        events = answered_call(f"c{index}", queue, agent, 0, wait, draw(seconds), draw(seconds))
    else:
        events = abandoned_call(f"c{index}", queue, 0, wait)
    return _shift(events, enter)


noise = st.builds(
    lambda at, kind, call, queue, agent, wait: CallEvent(
        SINCE + timedelta(seconds=at), kind, call, queue, agent,
        {"wait": wait, "talk": wait, "wrap_up": wait, "reason": "break"},
    ),
    st.floats(-3600, SPAN, allow_nan=False),
    st.sampled_from([str(k) for k in RecordKind]),
    st.sampled_from(["c0", "c1", "c2", None]),
    st.sampled_from([*QUEUES, None]),
    st.sampled_from([*AGENTS, None]),
    seconds,
)  # fmt: skip


@st.composite
def logs(draw: st.DrawFn) -> list[CallEvent]:
    count = draw(st.integers(0, 25))
    events = [e for i in range(count) for e in draw(calls(i))]
    events += draw(st.lists(noise, max_size=40))
    return sorted(events, key=lambda e: e.at)  # log order is time order


@settings(max_examples=40, deadline=None)
@given(logs())
def test_queue_buckets_add_up_to_the_totals_and_to_the_days(events: list[CallEvent]) -> None:
    reports = {
        b: build_queue_report(events, since=SINCE, until=UNTIL, bucket=b, tz=BERLIN) for b in Bucket
    }
    for report in reports.values():
        for name in (*COUNTS, "handled"):
            per_queue: dict[str, int] = defaultdict(int)
            for row in report.rows:
                per_queue[row.queue] += getattr(row, name)
            assert per_queue == {t.queue: getattr(t, name) for t in report.totals}, name
    quarters = reports[Bucket.QUARTER_HOUR].rows
    for day in reports[Bucket.DAY].rows:
        inside = [q for q in quarters if q.queue == day.queue and day.start <= q.start < day.end]
        for name in COUNTS:
            assert getattr(day, name) == sum(getattr(q, name) for q in inside), name


@settings(max_examples=40, deadline=None)
@given(logs())
def test_agent_time_adds_up_across_bucket_sizes(events: list[CallEvent]) -> None:
    reports = {
        b: build_agent_report(events, since=SINCE, until=UNTIL, bucket=b, tz=BERLIN) for b in Bucket
    }
    for report in reports.values():
        for name in ("logged_in_time", "ready_time", "talk_time", "offers", "handled"):
            per_agent: dict[str, float] = defaultdict(float)
            for row in report.rows:
                per_agent[row.agent] += getattr(row, name)
            for total in report.totals:
                assert per_agent[total.agent] == pytest.approx(getattr(total, name)), name
        for row in report.rows:
            # Rows show local times: subtract in UTC, or the repeated hour would be lost.
            length = row.end.astimezone(UTC) - row.start.astimezone(UTC)
            assert row.logged_in_time <= length.total_seconds() + 1e-6
            assert row.occupancy is None or 0 <= row.occupancy <= 1
