"""When a calendar opens next: what a callback outside the hours is scheduled for."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ivr_flows import Calendar

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = {day: ["08:00-12:00", "13:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def calendar(**fields: Any) -> Calendar:
    return Calendar.model_validate({"weekly": WEEKDAYS, **fields})


def test_while_open_the_next_opening_is_now() -> None:
    now = datetime(2026, 12, 1, 9, 30, 15, tzinfo=BERLIN)  # a Tuesday

    assert calendar().next_open(now, BERLIN) == now


def test_in_the_lunch_break_it_opens_after_the_break() -> None:
    now = datetime(2026, 12, 1, 12, 5, tzinfo=BERLIN)

    assert calendar().next_open(now, BERLIN) == datetime(2026, 12, 1, 13, 0, tzinfo=BERLIN)


def test_on_friday_evening_the_next_working_day_is_monday() -> None:
    now = datetime(2026, 12, 4, 18, 0, tzinfo=BERLIN)

    assert calendar().next_open(now, BERLIN) == datetime(2026, 12, 7, 8, 0, tzinfo=BERLIN)


def test_a_holiday_is_skipped_to_the_day_after() -> None:
    now = datetime(2026, 12, 24, 19, 0, tzinfo=BERLIN)  # Thursday; Friday 25th is a holiday

    found = calendar(holidays=["12-25"]).next_open(now, BERLIN)

    assert found == datetime(2026, 12, 28, 8, 0, tzinfo=BERLIN)


def test_the_calendars_own_zone_is_used() -> None:
    now = datetime(2026, 12, 1, 6, 0, tzinfo=ZoneInfo("UTC"))  # 07:00 in Berlin

    found = calendar(timezone="Europe/Berlin").next_open(now, ZoneInfo("UTC"))

    assert found == datetime(2026, 12, 1, 8, 0, tzinfo=BERLIN)


def test_a_calendar_that_never_opens_has_no_next_opening() -> None:
    never = Calendar.model_validate({"weekly": {}})

    assert never.next_open(datetime(2026, 12, 1, 9, 0, tzinfo=BERLIN), BERLIN) is None
