"""Report intervals: which bucket a moment falls in, and how an interval splits over them.

Strategy: buckets are aligned to local wall time in the report's zone (15 minutes and hours
on the local clock, days at local midnight), but keyed and compared as UTC instants. Aware
datetimes in one zone compare by wall time and ignore ``fold``, so on the night clocks go
back the two local 02:00 hours would collide; as UTC instants they stay two buckets. A
quarter-hour or hour bucket ends one real quarter-hour or hour after it starts, which holds
wherever clocks jump by whole hours; a day ends at the next local midnight (23 or 25 hours
on DST days). Zones whose clocks jump by half an hour (Lord Howe) get hour buckets that
are only approximately aligned around the change.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from callcenter.reports.types import Bucket

_WIDTH = {Bucket.QUARTER_HOUR: timedelta(minutes=15), Bucket.HOUR: timedelta(hours=1)}


class Buckets:
    """The buckets of one size in one time zone."""

    __slots__ = ("bucket", "tz")

    def __init__(self, bucket: Bucket, tz: ZoneInfo) -> None:
        """Buckets of size ``bucket`` aligned to local time in ``tz``."""
        self.bucket = bucket
        self.tz = tz

    def start(self, at: datetime) -> datetime:
        """The start (a UTC instant) of the bucket holding the aware moment ``at``."""
        local = at.astimezone(self.tz)
        if self.bucket is Bucket.DAY:
            midnight = datetime.combine(local.date(), time(), tzinfo=self.tz)
            return midnight.astimezone(UTC)
        if self.bucket is Bucket.HOUR:
            floored = local.replace(minute=0, second=0, microsecond=0)
        else:
            minute = local.minute - local.minute % 15
            floored = local.replace(minute=minute, second=0, microsecond=0)
        # `replace` keeps the fold, so an hour that occurs twice floors to its own start.
        return floored.astimezone(UTC)

    def end(self, start: datetime) -> datetime:
        """The end (a UTC instant, exclusive) of the bucket starting at ``start``."""
        if self.bucket is Bucket.DAY:
            next_day = start.astimezone(self.tz).date() + timedelta(days=1)
            return datetime.combine(next_day, time(), tzinfo=self.tz).astimezone(UTC)
        return start + _WIDTH[self.bucket]

    def local(self, instant: datetime) -> datetime:
        """``instant`` as an aware datetime in the report's zone (how rows show it)."""
        return instant.astimezone(self.tz)

    def split(self, begin: datetime, finish: datetime) -> Iterator[tuple[datetime, float]]:
        """(bucket start, seconds) for each bucket the interval [begin, finish) overlaps."""
        # Same-zone aware datetimes subtract as wall times; UTC ones subtract real time.
        cursor, finish = begin.astimezone(UTC), finish.astimezone(UTC)
        if cursor >= finish:
            return
        start = self.start(cursor)
        while cursor < finish:
            # A bucket's end is the next one's start: no time zone lookup per piece.
            end = self._after(start, cursor)
            edge = min(end, finish)
            yield start, (edge - cursor).total_seconds()
            cursor, start = edge, end

    def starts(self, since: datetime, until: datetime) -> Iterator[datetime]:
        """The start of every bucket overlapping [since, until), in order."""
        cursor, until = since.astimezone(UTC), until.astimezone(UTC)
        if cursor >= until:
            return
        start = self.start(cursor)
        while start < until:
            yield start
            start = self._after(start, start)

    def _after(self, start: datetime, cursor: datetime) -> datetime:
        # Where clocks jump by half an hour (Lord Howe), an hour bucket can end before a
        # moment it holds; moving on by one width keeps every loop finite.
        end = self.end(start)
        return end if end > cursor else cursor + _WIDTH.get(self.bucket, timedelta(hours=1))
