"""Conditions and data: opening hours, compare, switch, estimated wait, set."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ivr_flows import Calendar, EstimateWait
from tests.unit.ivr.ivr_testkit import BERLIN, Call, flow

HOURS: dict[str, Any] = {
    "calendars": {
        "hotline": {
            "weekly": {"mon": ["08:00-12:00", "13:00-18:00"], "sat": ["09:00-13:00"]},
            "holidays": ["12-25", "2026-04-03"],
        }
    }
}
BRANCHES = {
    "open_end": {"type": "hangup", "outcome": "open"},
    "closed_end": {"type": "hangup", "outcome": "closed"},
    "holiday_end": {"type": "hangup", "outcome": "holiday"},
}


def hours_outcome(now: datetime, *, holiday_branch: bool = True, **calendar: Any) -> str:
    node: dict[str, Any] = {
        "type": "opening_hours",
        "calendar": "hotline",
        "open": "open_end",
        "closed": "closed_end",
    }
    ends = dict(BRANCHES)
    if holiday_branch:
        node["holiday"] = "holiday_end"
    else:
        del ends["holiday_end"]
    top: dict[str, Any] = {"calendars": {"hotline": {**HOURS["calendars"]["hotline"], **calendar}}}
    return Call(flow({"hours": node, **ends}, **top), now=now).finished.outcome


@pytest.mark.parametrize(
    ("local", "outcome"),
    [
        (datetime(2026, 5, 18, 8, 0), "open"),  # Monday, opening minute
        (datetime(2026, 5, 18, 12, 30), "closed"),  # lunch break
        (datetime(2026, 5, 18, 17, 59), "open"),
        (datetime(2026, 5, 18, 18, 0), "closed"),  # closing minute is closed
        (datetime(2026, 5, 19, 10, 0), "closed"),  # Tuesday is not listed
        (datetime(2026, 5, 23, 10, 0), "open"),  # Saturday
        (datetime(2026, 12, 25, 10, 0), "holiday"),  # yearly holiday (a Friday)
        (datetime(2028, 12, 25, 10, 0), "holiday"),  # every year (a Monday)
        (datetime(2026, 4, 3, 10, 0), "holiday"),  # one date
    ],
)
def test_opening_hours_follow_the_weekly_calendar_and_holidays(
    local: datetime, outcome: str
) -> None:
    assert hours_outcome(local.replace(tzinfo=BERLIN)) == outcome


def test_a_holiday_without_its_own_branch_is_closed() -> None:
    assert hours_outcome(datetime(2028, 12, 25, 10, 0, tzinfo=BERLIN), holiday_branch=False) == (
        "closed"
    )


def test_opening_hours_are_read_in_the_calendars_zone_whatever_zone_now_is_in() -> None:
    monday_0730_new_york = datetime(2026, 5, 18, 7, 30, tzinfo=ZoneInfo("America/New_York"))

    # 07:30 in New York is 13:30 in Berlin (open) but 07:30 in New York's own calendar.
    assert hours_outcome(monday_0730_new_york) == "open"
    assert hours_outcome(monday_0730_new_york, timezone="America/New_York") == "closed"


def test_opening_hours_hold_across_a_daylight_saving_change() -> None:
    # 29 March 2026: Berlin moves from UTC+1 to UTC+2; 07:30 UTC is 09:30 local.
    sunday: dict[str, Any] = {"weekly": {"sun": ["09:00-10:00"]}, "holidays": []}
    assert hours_outcome(datetime(2026, 3, 29, 7, 30, tzinfo=ZoneInfo("UTC")), **sunday) == "open"
    assert hours_outcome(datetime(2026, 3, 22, 7, 30, tzinfo=ZoneInfo("UTC")), **sunday) == (
        "closed"
    )


def test_a_calendar_of_the_center_wins_over_the_flows_copy_of_the_same_name() -> None:
    # The admin page changes opening hours while the center runs: the interpreter is
    # handed the center's calendars, and a flow that names one uses it.
    node = {
        "type": "opening_hours",
        "calendar": "hotline",
        "open": "open_end",
        "closed": "closed_end",
        "holiday": "holiday_end",
    }
    flows = flow({"hours": node, **BRANCHES}, **HOURS)
    monday_10 = datetime(2026, 5, 18, 10, 0, tzinfo=BERLIN)
    assert Call(flows, now=monday_10).finished.outcome == "open"
    closed_mondays = Calendar.model_validate({"weekly": {"tue": ["08:00-18:00"]}})
    assert Call(flows, now=monday_10, calendars={"hotline": closed_mondays}).finished.outcome == (
        "closed"
    )
    a_holiday = Calendar.model_validate({"weekly": {"mon": ["08:00-18:00"]}, "holidays": ["05-18"]})
    assert Call(flows, now=monday_10, calendars={"hotline": a_holiday}).finished.outcome == (
        "holiday"
    )
    # A calendar the flow does not name changes nothing.
    assert Call(flows, now=monday_10, calendars={"other": closed_mondays}).finished.outcome == (
        "open"
    )


def compare_outcome(op: str, value: object, data: dict[str, str]) -> str:
    node: dict[str, Any] = {"type": "compare", "key": "x", "op": op, "then": "yes", "else": "no"}
    if value is not None:
        node["value"] = value
    ends = {"yes": {"type": "hangup", "outcome": "yes"}, "no": {"type": "hangup", "outcome": "no"}}
    return Call(flow({"test": node, **ends}), call=data).finished.outcome


@pytest.mark.parametrize(
    ("op", "value", "data", "outcome"),
    [
        ("eq", "vip", {"x": "vip"}, "yes"),
        ("eq", "vip", {"x": "gold"}, "no"),
        ("eq", "vip", {}, "no"),
        ("ne", "vip", {"x": "gold"}, "yes"),
        ("eq", 3, {"x": "3"}, "yes"),
        ("gt", 300, {"x": "301"}, "yes"),
        ("gt", 300, {"x": "300"}, "no"),
        ("ge", 300, {"x": "300"}, "yes"),
        ("lt", 2.5, {"x": "2"}, "yes"),
        ("le", 2, {"x": "3"}, "no"),
        ("gt", 300, {"x": "lots"}, "no"),
        ("in", ["gold", "vip"], {"x": "vip"}, "yes"),
        ("in", ["gold", "vip"], {"x": "standard"}, "no"),
        ("exists", None, {"x": ""}, "yes"),
        ("exists", None, {}, "no"),
        ("missing", None, {}, "yes"),
    ],
)
def test_compare_tests_a_value_of_the_call_data(
    op: str, value: object, data: dict[str, str], outcome: str
) -> None:
    assert compare_outcome(op, value, data) == outcome


SWITCH = {
    "status": {
        "type": "switch",
        "key": "order.status",
        "cases": {"shipped": "shipped", "delivered": "delivered"},
        "default": "other",
    },
    "shipped": {"type": "hangup", "outcome": "shipped"},
    "delivered": {"type": "hangup", "outcome": "delivered"},
    "other": {"type": "hangup", "outcome": "other"},
}


@pytest.mark.parametrize(
    ("data", "outcome"),
    [
        ({"order.status": "shipped"}, "shipped"),
        ({"order.status": "delivered"}, "delivered"),
        ({"order.status": "lost"}, "other"),
        ({}, "other"),
    ],
)
def test_switch_branches_on_the_text_of_a_value(data: dict[str, str], outcome: str) -> None:
    assert Call(flow(SWITCH), call=data).finished.outcome == outcome


WAIT = {
    "wait": {
        "type": "estimated_wait",
        "queue": "billing",
        "above_s": 300,
        "then": "long",
        "else": "short",
    },
    "long": {"type": "hangup", "outcome": "long"},
    "short": {"type": "hangup", "outcome": "short"},
}


@pytest.mark.parametrize(
    ("seconds", "outcome"), [(301.0, "long"), (300.0, "short"), (12.0, "short"), (None, "short")]
)
def test_an_estimated_wait_above_the_limit_takes_then(seconds: float | None, outcome: str) -> None:
    call = Call(flow(WAIT))
    assert call.last() == EstimateWait("billing")

    call.estimate(seconds)

    assert call.finished.outcome == outcome


def test_the_estimated_wait_is_kept_for_the_agent() -> None:
    call = Call(flow(WAIT))
    call.estimate(420.4)

    assert call.finished.data["estimated_wait_s"] == "420"


def test_set_puts_literal_values_in_the_data() -> None:
    nodes = {
        "set": {"type": "set", "values": {"reason": "billing", "attempt": 2}, "next": "end"},
        "end": {"type": "hangup"},
    }
    call = Call(flow(nodes))

    assert call.finished.data["reason"] == "billing"
    assert call.finished.data["attempt"] == "2"
    assert call.finished.path == ("set", "end")
