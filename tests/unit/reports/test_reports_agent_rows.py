"""Agent rows on hand-made logs: state intervals clipped to buckets, counts, occupancy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from reports_kit import BERLIN, T0, at, ev

from callcenter.db import CallEvent
from callcenter.reports import AgentReport, AgentRow, Bucket, SurveyScore, build_agent_report

MINUTE = 60.0


def report(
    events: list[CallEvent], bucket: Bucket = Bucket.HOUR, hours: float = 8, **kw: object
) -> AgentReport:
    return build_agent_report(
        events,
        since=T0,
        until=T0 + timedelta(hours=hours),
        bucket=bucket,
        tz=BERLIN,
        **kw,  # type: ignore[arg-type]
    )


def rows_of(result: AgentReport, agent: str = "a1") -> list[AgentRow]:
    return [r for r in result.rows if r.agent == agent]


def test_a_ready_interval_is_split_at_the_hour() -> None:
    events = [
        ev(50 * MINUTE, "login", agent="a1"),
        ev(50 * MINUTE, "ready", agent="a1"),
        ev(80 * MINUTE, "logout", agent="a1"),
    ]
    first, second = rows_of(report(events))
    assert (first.start, first.ready_time) == (T0, 600)
    assert (second.start, second.ready_time) == (at(3600), 1200)
    assert report(events).totals[0].logged_in_time == 1800


def test_time_before_since_and_after_until_is_clipped() -> None:
    events = [
        ev(-30 * MINUTE, "login", agent="a1"),
        ev(-30 * MINUTE, "ready", agent="a1"),
    ]
    result = report(events, hours=1)
    (row,) = rows_of(result)
    assert row.ready_time == 3600
    assert result.totals[0].ready_time == 3600


def test_a_day_of_states_gives_talk_wrap_up_pauses_and_occupancy() -> None:
    events = [
        ev(0, "login", agent="a1"),  # not ready (logged-in) for 60 s
        ev(60, "ready", agent="a1"),  # ready 60-100
        ev(100, "offer", "c1", "sales", "a1", wait=0),  # ringing 100-110
        ev(110, "connect", "c1", "sales", "a1", wait=10, outcome="answered"),  # talk 110-310
        ev(310, "complete", "c1", "sales", "a1", talk=200),  # wrap-up 310-340
        ev(340, "handled", None, "sales", "a1", talk=200, wrap_up=30),
        ev(340, "pause", agent="a1", reason="break"),  # break 340-940
        ev(940, "ready", agent="a1"),  # ready 940-1000
        ev(1000, "offer", "c2", "sales", "a1", wait=0),  # ringing 1000-1015
        ev(1015, "ring-no-answer", "c2", "sales", "a1", reason="ring-no-answer"),
        ev(1045, "ready", agent="a1"),  # not ready (ring-no-answer) 1015-1045
        ev(1045, "offer", "c3", "sales", "a1", wait=0),
        ev(1050, "reject", "c3", "sales", "a1", reason="rejected"),
        ev(1100, "logout", agent="a1"),  # not ready (rejected) 1050-1100
    ]
    (row,) = rows_of(report(events))
    assert (row.offers, row.answered, row.ring_no_answer, row.rejects) == (3, 1, 1, 1)
    assert (row.handled, row.handle_time, row.aht) == (1, 230, 230)
    assert (row.talk_time, row.wrap_up_time) == (200, 30)
    assert (row.ready_time, row.ringing_time) == (40 + 60, 10 + 15 + 5)
    assert row.paused_by_reason == (
        ("break", 600.0),
        ("logged-in", 60.0),
        ("rejected", 50.0),
        ("ring-no-answer", 30.0),
    )
    assert row.paused_time == 740
    assert row.logged_in_time == 1100
    assert row.occupancy == pytest.approx(230 / (230 + 100 + 30))


def test_a_caller_hanging_up_while_the_phone_rings_makes_the_agent_ready_again() -> None:
    events = [
        ev(0, "login", agent="a1"),
        ev(0, "ready", agent="a1"),
        ev(100, "offer", "c1", "sales", "a1", wait=0),
        ev(110, "abandon", "c1", "sales", "a1", wait=110, outcome="abandoned"),
        ev(110, "ready", agent="a1"),
        ev(200, "offer", "c2", "sales", "a1", wait=0),
        ev(205, "offer-withdrawn", "c2", "sales", "a1", reason="agent logged out"),
        ev(205, "logout", agent="a1"),
    ]
    (row,) = rows_of(report(events))
    assert (row.ready_time, row.ringing_time, row.logged_in_time) == (190, 15, 205)
    assert row.occupancy == 0


def test_an_agent_still_working_is_counted_up_to_close_at() -> None:
    events = [ev(0, "login", agent="a1"), ev(0, "ready", agent="a1")]
    result = report(events, close_at=at(1800))
    assert result.totals[0].ready_time == 1800


def test_agents_filter_and_surveys() -> None:
    events = [
        ev(0, "login", agent="a1"),
        ev(0, "login", agent="a2"),
        ev(600, "logout", agent="a1"),
        ev(600, "logout", agent="a2"),
    ]
    surveys = [SurveyScore(at(10), 3.0, "sales", "a1"), SurveyScore(at(20), 5.0, "sales", "a1")]
    result = report(events, agents={"a1"}, surveys=surveys)
    assert {r.agent for r in (*result.rows, *result.totals)} == {"a1"}
    assert (result.totals[0].survey_average, result.totals[0].survey_count) == (4.0, 2)
    assert result.totals[0].paused_by_reason == (("logged-in", 600.0),)


def test_quarter_hours_across_the_night_clocks_go_back_add_up_to_25_hours() -> None:
    night = T0.replace(month=10, day=24, hour=12)
    events = [
        CallEvent(at=night, kind="login", agent="a1"),
        CallEvent(at=night, kind="ready", agent="a1"),
    ]
    result = build_agent_report(
        events,
        since=night.replace(day=25, hour=0),
        until=night.replace(day=26, hour=0),
        bucket=Bucket.QUARTER_HOUR,
        tz=BERLIN,
    )
    assert len(result.rows) == 100
    assert {r.ready_time for r in result.rows} == {900.0}
    assert result.totals[0].ready_time == 25 * 3600
    day = build_agent_report(
        events,
        since=night.replace(day=25, hour=0),
        until=night.replace(day=26, hour=0),
        bucket=Bucket.DAY,
        tz=BERLIN,
    )
    assert [r.ready_time for r in day.rows] == [25 * 3600.0]
