"""A past day from event-log entries: what the callers and agents did, not what the
configuration of the day decided."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from acd.whatif import StaffingAction, StaffingChange
from callcenter.db.events import CallEvent
from callcenter.reports.day_from_log import day_from_events

MIDNIGHT = datetime(2026, 6, 1, tzinfo=UTC)
T = MIDNIGHT.timestamp()
UNTIL = MIDNIGHT + timedelta(hours=1)


def at(seconds: float) -> datetime:
    return MIDNIGHT + timedelta(seconds=seconds)


def ev(
    seconds: float,
    kind: str,
    call: str | None = None,
    queue: str | None = None,
    agent: str | None = None,
    **data: Any,
) -> CallEvent:
    return CallEvent(at(seconds), kind, call, queue, agent, data)


def test_calls_keep_arrival_queue_priority_skills_talk_and_the_patience_of_an_abandon() -> None:
    events = [
        ev(10, "enqueue", "c1", "sales", call_kind="voice", priority=2, skills={"fr": 3}),
        ev(12, "offer", "c1", "sales", "a"),
        ev(14, "connect", "c1", "sales", "a", wait=4.0, outcome="answered"),
        ev(20, "enqueue", "c2", "sales", detail="priority 1"),  # written before call_kind
        ev(95, "abandon", "c2", "sales", wait=75.0, outcome="abandoned"),
        ev(30, "enqueue", "cb1", "sales", call_kind="callback", detail="callback"),
        ev(40, "enqueue", "c3", "support", call_kind="voice", priority=0),
        ev(40, "overflow", "c3", "support", wait=0.0),
        ev(40, "enqueue", "c3", "sales", detail="overflow from support"),
        ev(134, "complete", "c1", "sales", "a", talk=120.0),
    ]

    day = day_from_events(events, since=MIDNIGHT, until=UNTIL)

    c1, c2, c3 = day.calls  # the callback entry holds no line: left out
    assert (c1.call_id, c1.arrival - T, c1.queue, c1.priority, c1.skills) == (
        "c1",
        10.0,
        "sales",
        2,
        (("fr", 3),),
    )
    assert c1.talk == 120.0
    assert math.isinf(c1.patience)  # answered: would have waited at least 4 s, unknown more
    assert (c2.priority, c2.patience) == (1, pytest.approx(75.0))
    assert c2.talk == 120.0  # never answered: the queue's mean talk of the day
    assert c3.queue == "support"  # its first queue; the replay overflows on its own
    assert c3.talk == 180.0  # support had no answered call: the default


def test_staffing_keeps_the_agents_requests_and_not_what_the_core_did_for_them() -> None:
    events = [
        ev(-3600, "login", agent="a"),
        ev(-3600, "ready", agent="a"),
        ev(-600, "pause", agent="a", reason="break"),
        ev(-7200, "login", agent="gone"),
        ev(-7000, "logout", agent="gone"),
        ev(100, "ready", agent="a"),
        ev(200, "offer", "c1", "sales", "a"),
        ev(202, "connect", "c1", "sales", "a", wait=2.0, outcome="answered"),
        ev(300, "complete", "c1", "sales", "a", talk=98.0),
        ev(310, "handled", None, "sales", "a", talk=98.0, wrap_up=10.0),
        ev(310, "ready", agent="a"),  # ended wrap-up from the desktop: the replay's wrap-up
        ev(400, "login", agent="b"),
        ev(400, "ready", agent="b"),
        ev(500, "ready", agent="b", reason="wrap-up elapsed"),
        ev(3700, "logout", agent="a"),  # after the day: kept, the agent finishing
        ev(3800, "login", agent="c"),  # the next day's: not kept
    ]

    day = day_from_events(events, since=MIDNIGHT, until=UNTIL)

    assert [(s.at - T, s.agent_id, s.action, s.reason) for s in day.staffing] == [
        (0.0, "a", StaffingAction.LOG_IN, None),
        (0.0, "a", StaffingAction.PAUSE, "break"),  # as they were when the day began
        (100.0, "a", StaffingAction.READY, None),
        (400.0, "b", StaffingAction.LOG_IN, None),
        (400.0, "b", StaffingAction.READY, None),
        (3700.0, "a", StaffingAction.LOG_OUT, None),
    ]
    assert all(isinstance(s, StaffingChange) for s in day.staffing)


def test_the_day_must_be_a_period_of_aware_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        day_from_events([], since=datetime(2026, 6, 1), until=datetime(2026, 6, 2))
    with pytest.raises(ValueError, match="empty"):
        day_from_events([], since=UNTIL, until=MIDNIGHT)
