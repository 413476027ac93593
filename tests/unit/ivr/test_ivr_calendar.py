"""The opening-hours calendar on its own: ranges, holidays, zones."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from ivr_flows import Calendar
from ivr_flows.calendar import format_range

BERLIN = ZoneInfo("Europe/Berlin")


def calendar(**fields: Any) -> Calendar:
    return Calendar.model_validate(fields)


def test_hours_are_kept_in_minutes_and_shown_as_written() -> None:
    hours = calendar(weekly={"mon": ["08:00-12:30", "13:15-24:00"]})

    assert hours.weekly["mon"] == ((480, 750), (795, 1440))
    assert [format_range(r) for r in hours.weekly["mon"]] == ["08:00-12:30", "13:15-24:00"]


def test_a_range_up_to_midnight_includes_the_last_minute() -> None:
    hours = calendar(weekly={"fri": ["20:00-24:00"]})

    assert hours.state_at(datetime(2026, 5, 22, 23, 59, tzinfo=BERLIN), BERLIN) == "open"
    assert hours.state_at(datetime(2026, 5, 23, 0, 0, tzinfo=BERLIN), BERLIN) == "closed"


@pytest.mark.parametrize(
    ("weekly", "problem"),
    [
        ({"mon": ["8-18"]}, "is not a time range like 08:00-18:00"),
        ({"mon": ["08:00-25:00"]}, "is not a time of day"),
        ({"mon": ["24:00-24:00"]}, "is not a time of day"),
        ({"mon": ["12:00-12:00"]}, "ends before it starts"),
        ({"monday": ["08:00-18:00"]}, "Input should be 'mon'"),
    ],
)
def test_a_bad_week_is_refused_with_the_reason(weekly: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        calendar(weekly=weekly)


@pytest.mark.parametrize("holiday", ["12-32", "2026-02-30", "Christmas", "25.12."])
def test_a_holiday_that_is_not_a_date_is_refused(holiday: str) -> None:
    with pytest.raises(ValidationError, match="is not a holiday date"):
        calendar(holidays=[holiday])


def test_holidays_written_as_yaml_dates_are_accepted() -> None:
    hours = calendar(weekly={"fri": ["08:00-18:00"]}, holidays=[date(2026, 12, 25)])

    assert hours.state_at(datetime(2026, 12, 25, 10, 0, tzinfo=BERLIN), BERLIN) == "holiday"


def test_the_default_zone_is_used_when_the_calendar_names_none() -> None:
    hours = calendar(weekly={"mon": ["09:00-10:00"]})
    nine_thirty_utc = datetime(2026, 5, 18, 9, 30, tzinfo=UTC)

    assert hours.state_at(nine_thirty_utc, UTC) == "open"
    assert hours.state_at(nine_thirty_utc, BERLIN) == "closed"  # 11:30 in Berlin


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        calendar(timezone="Mars/Olympus")
