"""Buckets follow the local clock, DST days included, and intervals split at their edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from reports_kit import BERLIN

from callcenter.reports import Bucket, Buckets


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, fold: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN, fold=fold)


@pytest.mark.parametrize(
    ("bucket", "moment", "start"),
    [
        (Bucket.QUARTER_HOUR, local(2026, 3, 2, 9, 44, 59), local(2026, 3, 2, 9, 30)),
        (Bucket.QUARTER_HOUR, local(2026, 3, 2, 9, 45), local(2026, 3, 2, 9, 45)),
        (Bucket.HOUR, local(2026, 3, 2, 9, 59, 59), local(2026, 3, 2, 9)),
        (Bucket.DAY, local(2026, 3, 2, 23, 59), local(2026, 3, 2)),
        # 23:30 UTC is already the next local day in Berlin.
        (Bucket.DAY, datetime(2026, 3, 2, 23, 30, tzinfo=UTC), local(2026, 3, 3)),
    ],
)
def test_a_moment_falls_in_the_bucket_of_its_local_time(
    bucket: Bucket, moment: datetime, start: datetime
) -> None:
    assert Buckets(bucket, BERLIN).start(moment) == start


def test_hours_follow_the_local_clock_where_the_offset_is_not_whole_hours() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")
    start = Buckets(Bucket.HOUR, kolkata).start(datetime(2026, 3, 2, 4, 45, tzinfo=UTC))
    assert start.astimezone(kolkata) == datetime(2026, 3, 2, 10, tzinfo=kolkata)


def test_the_day_clocks_go_forward_has_23_hours_and_92_quarter_hours() -> None:
    day = local(2026, 3, 29)
    next_day = local(2026, 3, 30)
    buckets = Buckets(Bucket.DAY, BERLIN)
    assert buckets.end(buckets.start(day)) == next_day
    assert next_day.astimezone(UTC) - day.astimezone(UTC) == timedelta(hours=23)
    hours = list(Buckets(Bucket.HOUR, BERLIN).starts(day, next_day))
    assert len(hours) == 23
    assert [h.astimezone(BERLIN).hour for h in hours[:4]] == [0, 1, 3, 4]
    assert len(list(Buckets(Bucket.QUARTER_HOUR, BERLIN).starts(day, next_day))) == 92


def test_the_day_clocks_go_back_has_two_distinct_two_oclock_hours() -> None:
    day, next_day = local(2026, 10, 25), local(2026, 10, 26)
    assert next_day.astimezone(UTC) - day.astimezone(UTC) == timedelta(hours=25)
    hours = Buckets(Bucket.HOUR, BERLIN)
    first = hours.start(local(2026, 10, 25, 2, 30, fold=0))
    second = hours.start(local(2026, 10, 25, 2, 30, fold=1))
    assert second - first == timedelta(hours=1)
    assert hours.end(first) == second
    starts = list(hours.starts(day, next_day))
    assert len(starts) == 25
    assert len(set(starts)) == 25
    assert len(list(Buckets(Bucket.QUARTER_HOUR, BERLIN).starts(day, next_day))) == 100
    day_bucket = Buckets(Bucket.DAY, BERLIN)
    assert day_bucket.start(local(2026, 10, 25, 23, 59)) == day
    assert day_bucket.end(day) == next_day


def test_an_interval_splits_at_bucket_edges() -> None:
    hours = Buckets(Bucket.HOUR, BERLIN)
    pieces = list(hours.split(local(2026, 3, 2, 9, 50), local(2026, 3, 2, 10, 20)))
    assert pieces == [(local(2026, 3, 2, 9), 600.0), (local(2026, 3, 2, 10), 1200.0)]
    assert list(hours.split(local(2026, 3, 2, 9), local(2026, 3, 2, 9))) == []


def test_an_interval_inside_one_bucket_counts_real_seconds_across_the_missing_hour() -> None:
    days = Buckets(Bucket.DAY, BERLIN)
    pieces = list(days.split(local(2026, 3, 29, 1), local(2026, 3, 29, 4)))
    assert pieces == [(local(2026, 3, 29), 2 * 3600.0)]


def test_an_interval_over_the_missing_hour_counts_real_seconds() -> None:
    days = Buckets(Bucket.DAY, BERLIN)
    pieces = list(days.split(local(2026, 3, 28, 22), local(2026, 3, 29, 4)))
    # 22:00 to midnight, then midnight to 04:00 local, which is only 3 real hours.
    assert pieces == [(local(2026, 3, 28), 7200.0), (local(2026, 3, 29), 3 * 3600.0)]
