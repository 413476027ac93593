"""Opening hours: a weekly calendar with holidays, in a time zone.

Strategy: the calendar is data in the flow file; `state_at(now)` is a pure function of it and
of `now` (an aware datetime), read in the calendar's own time zone, so a call at 17:59 in
Berlin is "open" whatever zone the server runs in, across daylight-saving changes too.
A holiday wins over the weekly hours. Written in YAML as::

    calendars:
      hotline:
        timezone: Europe/Berlin          # optional: the service's time zone otherwise
        weekly:
          mon: ["08:00-12:00", "13:00-18:00"]
          sat: ["09:00-13:00"]           # days not listed are closed
        holidays: ["12-25", "2026-04-03"]  # MM-DD every year, or one date
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
"""A day of the week as flows write it."""

WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

CalendarState = Literal["open", "closed", "holiday"]
"""What a calendar says about a moment."""

_RANGE = re.compile(r"([0-2][0-9]):([0-5][0-9])-([0-2][0-9]):([0-5][0-9])")
_YEARLY = re.compile(r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
_MINUTES_PER_DAY = 24 * 60


def _time_range(value: Any) -> tuple[int, int]:
    """`"08:00-18:00"` as minutes since midnight, `(480, 1080)`; the end may be 24:00."""
    match = _RANGE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{value!r} is not a time range like 08:00-18:00")
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if start_h > 23 or end > _MINUTES_PER_DAY:
        raise ValueError(f"{value!r} is not a time of day (00:00 to 24:00)")
    if start >= end:
        raise ValueError(f"{value!r} ends before it starts")
    return start, end


def _holiday(value: Any) -> str:
    """`"12-25"` (every year) or `"2026-04-03"`; YAML may already have read it as a date."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        if _YEARLY.fullmatch(value) is not None:
            return value
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a holiday date (MM-DD every year, or YYYY-MM-DD)")


TimeRange = Annotated[tuple[int, int], BeforeValidator(_time_range)]
"""Opening hours within one day, in minutes since midnight (end exclusive)."""

Holiday = Annotated[str, BeforeValidator(_holiday)]
"""A closed day: `MM-DD` every year or one `YYYY-MM-DD`."""


def format_range(hours: tuple[int, int]) -> str:
    """`(480, 1080)` back as `"08:00-18:00"`."""
    (sh, sm), (eh, em) = divmod(hours[0], 60), divmod(hours[1], 60)
    return f"{sh:02d}:{sm:02d}-{eh:02d}:{em:02d}"


def zone(name: str) -> ZoneInfo:
    """The time zone called `name`, or ValueError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (e.g. Europe/Berlin, UTC)") from None


class Calendar(BaseModel):
    """When a service is open: weekly hours, holidays, and the zone they are read in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str | None = None
    weekly: dict[Weekday, tuple[TimeRange, ...]] = Field(default_factory=dict)
    holidays: tuple[Holiday, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str | None) -> str | None:
        if name is not None:
            zone(name)
        return name

    def state_at(self, now: datetime, default_zone: tzinfo) -> CalendarState:
        """Whether the service is open at `now`, read in the calendar's zone (else the default)."""
        local = now.astimezone(zone(self.timezone) if self.timezone else default_zone)
        day = local.date()
        if day.isoformat() in self.holidays or day.strftime("%m-%d") in self.holidays:
            return "holiday"
        minute = local.hour * 60 + local.minute
        hours = self.weekly.get(WEEKDAYS[local.weekday()], ())
        return "open" if any(start <= minute < end for start, end in hours) else "closed"

    def next_open(
        self, after: datetime, default_zone: tzinfo, *, within_days: int = 14
    ) -> datetime | None:
        """The first moment at or after `after` when the service is open (`after` itself
        when open then), read like `state_at`; None when it stays closed for `within_days`
        days. A holiday is skipped whole, so "the next working day" is the next day whose
        hours are not a holiday."""
        tz = zone(self.timezone) if self.timezone else default_zone
        local = after.astimezone(tz)
        for offset in range(within_days + 1):
            day = local.date() + timedelta(days=offset)
            if day.isoformat() in self.holidays or day.strftime("%m-%d") in self.holidays:
                continue
            for start, end in sorted(self.weekly.get(WEEKDAYS[day.weekday()], ())):
                opens = datetime.combine(day, time(start // 60, start % 60), tzinfo=tz)
                closes = opens + timedelta(minutes=end - start)
                if opens <= local < closes:
                    return after
                if opens > local:
                    return opens
        return None
