"""What-if on a made-up day: every agent of each configuration is on duty (issue 16)."""

from __future__ import annotations

import math

from acd import AcdSettings
from acd.whatif import DayCall, StaffingAction, compare, make_day, on_duty

T = 1_767_225_600.0
"""2026-01-01 00:00 UTC: the day starts here."""


def settings(*agents: str) -> AcdSettings:
    return AcdSettings.model_validate(
        {
            "queues": [{"name": "sales", "wrap_up_seconds": 0}],
            "agents": [{"id": agent, "queues": ["sales"]} for agent in agents],
        }
    )


def test_on_duty_logs_each_agent_in_ready_at_the_start_and_never_out() -> None:
    changes = on_duty(["a", "b"], T)
    assert [(c.at, c.agent_id, c.action) for c in changes] == [
        (T, "a", StaffingAction.LOG_IN),
        (T, "a", StaffingAction.READY),
        (T, "b", StaffingAction.LOG_IN),
        (T, "b", StaffingAction.READY),
    ]


def test_given_all_agents_on_duty_then_each_side_is_staffed_by_its_own_agents() -> None:
    # Two callers at once, 60 s of talk, 30 s of patience: one agent answers one of them.
    calls = [
        DayCall("c1", T + 100, "sales", talk=60.0, patience=30.0),
        DayCall("c2", T + 100, "sales", talk=60.0, patience=30.0),
    ]
    day = make_day(T, T + 3600, calls)  # no staffing of its own

    result = compare(day, settings("a"), settings("a", "b"), all_agents_on_duty=True)

    (sales,) = result.totals
    assert sales.current is not None
    assert sales.changed is not None
    assert (sales.current.answered, sales.current.abandoned) == (1, 1)
    assert (sales.changed.answered, sales.changed.abandoned) == (2, 0)
    assert result.current.refused == result.changed.refused == ()
    # Without it the day has nobody to answer: each caller hangs up after 30 s.
    nobody = compare(day, settings("a"), settings("a", "b"))
    (empty,) = nobody.totals
    assert empty.current is not None
    assert empty.current.answered == 0
    assert math.isclose(empty.current.abandon_rate or 0, 1.0)


def test_an_agent_the_change_removes_is_not_on_duty_in_the_changed_replay() -> None:
    day = make_day(T, T + 3600, [DayCall("c1", T + 100, "sales", talk=60.0, patience=30.0)])

    result = compare(day, settings("a", "b"), settings("b"), all_agents_on_duty=True)

    (sales,) = result.totals
    assert sales.current is not None
    assert sales.changed is not None
    assert sales.current.answered == sales.changed.answered == 1
    assert result.changed.refused == ()  # agent a is not asked to log in where it is unknown
