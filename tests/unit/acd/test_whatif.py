"""What-if: small hand-made days whose answer is known, replayed through the pure ACD.

The clock is epoch seconds from `T`; phones answer at once (``ring_seconds=0``) unless a
test says otherwise, so waits are exact.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from acd import AcdSettings
from acd.erlang import agents_needed
from acd.whatif import (
    DayCall,
    QueueLoad,
    StaffingAction,
    StaffingChange,
    compare,
    make_day,
    replay_day,
    shift,
    shifts_of_new_agents,
    synthetic_day,
)

T = 1_767_225_600.0
"""2026-01-01 00:00 UTC: the day starts here."""
HOUR = 3600.0
QUIET = {"position": False, "estimated_wait": False}


def settings(agents: int = 1, **queue: Any) -> AcdSettings:
    """One queue 'sales' (no wrap-up, no announcements unless given) and agents a, b ..."""
    return AcdSettings.model_validate(
        {
            "queues": [{"name": "sales", "wrap_up_seconds": 0, "announcements": QUIET, **queue}],
            "agents": [{"id": "ab"[i], "queues": ["sales"]} for i in range(agents)],
        }
    )


def two_calls(patience: float = math.inf) -> list[DayCall]:
    """Two calls 10 s apart, 60 s of talk each; the second caller's patience as given."""
    return [
        DayCall("c1", T + 100, "sales", talk=60.0),
        DayCall("c2", T + 110, "sales", talk=60.0, patience=patience),
    ]


def test_given_one_agent_and_two_calls_10_s_apart_then_the_second_waits_50_s() -> None:
    day = make_day(T, T + HOUR, two_calls(), shift("a", T, T + HOUR))

    sales = replay_day(day, settings(), ring_seconds=0).total("sales")

    assert (sales.offered, sales.answered, sales.abandoned) == (2, 2, 0)
    assert sales.asa == pytest.approx(25.0)  # (0 + 50) / 2
    assert sales.answered_within_threshold == 1  # 50 s is over the 20 s threshold
    assert sales.service_level == pytest.approx(0.5)


def test_given_a_caller_with_30_s_of_patience_behind_a_60_s_call_then_they_abandon() -> None:
    day = make_day(T, T + HOUR, two_calls(patience=30.0), shift("a", T, T + HOUR))

    sales = replay_day(day, settings(), ring_seconds=0).total("sales")

    assert (sales.answered, sales.abandoned, sales.unfinished) == (1, 1, 0)
    assert sales.abandon_rate == pytest.approx(0.5)
    assert sales.service_level == pytest.approx(0.5)  # answered + abandoned in the denominator


def test_given_a_second_agent_in_the_change_then_both_calls_are_answered_and_sl_goes_up() -> None:
    day = make_day(T, T + HOUR, two_calls(patience=30.0), shift("a", T, T + HOUR))

    result = compare(
        day, settings(1), settings(2), changed_staffing=shift("b", T, T + HOUR), ring_seconds=0
    )

    (sales,) = result.totals
    assert sales.current is not None
    assert sales.changed is not None
    assert (sales.current.answered, sales.current.abandoned) == (1, 1)
    assert (sales.changed.answered, sales.changed.abandoned) == (2, 0)
    assert sales.changed.service_level == 1.0 > (sales.current.service_level or 0)
    assert sales.changed.abandon_rate == 0.0 < (sales.current.abandon_rate or 0)
    assert sales.changed.asa == 0.0


def test_a_ringing_phone_counts_in_the_wait_and_patience_runs_out_while_it_rings() -> None:
    day = make_day(
        T,
        T + HOUR,
        [DayCall("c1", T + 100, "sales", talk=60.0), DayCall("c2", T + 200, "sales", 60.0, 3.0)],
        shift("a", T, T + HOUR),
    )

    sales = replay_day(day, settings(), ring_seconds=5.0).total("sales")

    assert sales.answered == 1
    assert sales.asa == pytest.approx(5.0)
    assert sales.short_abandoned == 1  # hung up after 3 s while the phone rang: a short abandon


def test_the_changed_wrap_up_shortens_the_wait_of_the_next_caller() -> None:
    day = make_day(T, T + HOUR, two_calls(), shift("a", T, T + HOUR))

    result = compare(day, settings(wrap_up_seconds=30), settings(wrap_up_seconds=5), ring_seconds=0)

    (sales,) = result.totals
    assert sales.current is not None
    assert sales.changed is not None
    assert sales.current.asa == pytest.approx((0 + 80) / 2)  # 50 s of talk left + 30 s wrap-up
    assert sales.changed.asa == pytest.approx((0 + 55) / 2)
    assert sales.current.aht == pytest.approx(90.0)
    assert sales.changed.aht == pytest.approx(65.0)


def test_the_queues_own_threshold_and_formula_decide_the_service_level() -> None:
    day = make_day(T, T + HOUR, two_calls(), shift("a", T, T + HOUR))

    strict = replay_day(day, settings(), ring_seconds=0).total("sales")
    lenient = replay_day(day, settings(service_level_seconds=60), ring_seconds=0).total("sales")

    assert strict.service_level == pytest.approx(0.5)
    assert lenient.service_level == 1.0


def test_rows_are_per_15_minutes_by_the_interval_the_call_entered() -> None:
    day = make_day(
        T,
        T + HOUR,
        [DayCall("c1", T + 60, "sales", 860.0), DayCall("c2", T + 890, "sales", 60.0)],
        shift("a", T, T + HOUR),
    )

    result = replay_day(day, settings(), ring_seconds=0)

    # c2 entered in the first quarter hour and was answered in the second: it counts first.
    assert [(row.start - T, row.offered, row.answered) for row in result.rows] == [(0.0, 2, 2)]
    (row,) = result.rows
    assert row.end - row.start == 900.0
    assert row.asa == pytest.approx((0 + 30) / 2)
    assert row.answered_within_threshold == 1  # c2 waited 30 s, over the 20 s threshold
    assert row.aht == pytest.approx((860 + 60) / 2)
    assert row.arrival_rate == pytest.approx(2 / 900)
    assert row.agents_needed == agents_needed(2 / 900, 460.0, 0.8, 20.0) == 3


def test_occupancy_is_time_handling_over_time_handling_or_available() -> None:
    day = make_day(T, T + HOUR, [DayCall("c1", T + 100, "sales", 450.0)], shift("a", T, T + 1800.0))

    result = replay_day(day, settings(), ring_seconds=0)

    assert result.total("sales").occupancy == pytest.approx(450 / 1800)
    (first,) = result.rows  # a row where a call entered: the first quarter hour
    assert first.occupancy == pytest.approx(450 / 900)  # the call from +100 to +550


def test_a_pause_asked_while_talking_in_the_replay_waits_for_the_end_of_the_call() -> None:
    staffing = (
        *shift("a", T, T + HOUR),
        StaffingChange(T + 120, "a", StaffingAction.PAUSE, "lunch"),
        StaffingChange(T + 1000, "a", StaffingAction.READY),
    )
    calls = [DayCall("c1", T + 100, "sales", 60.0), DayCall("c2", T + 200, "sales", 60.0)]
    day = make_day(T, T + HOUR, calls, staffing)

    result = replay_day(day, settings(), ring_seconds=0)

    sales = result.total("sales")
    assert sales.answered == 2
    assert result.refused == ()
    assert sales.asa == pytest.approx((0 + 800) / 2)  # c2 waits for the end of lunch at +1000


def test_staffing_the_configuration_cannot_take_is_listed_and_skipped() -> None:
    staffing = (*shift("a", T, T + HOUR), *shift("ghost", T, T + HOUR))
    staffing += (StaffingChange(T + 10, "a", StaffingAction.PAUSE, "nap"),)
    day = make_day(T, T + HOUR, two_calls(), staffing)

    result = replay_day(day, settings(), ring_seconds=0)

    assert len(result.refused) == 4  # ghost's login, ready, logout, and the unknown reason
    assert any("ghost" in reason for reason in result.refused)
    assert any("nap" in reason for reason in result.refused)
    assert result.total("sales").answered == 2


def test_a_call_nobody_answers_stays_unfinished_when_the_replay_stops() -> None:
    """Announcements re-arm while the caller waits: the replay stops at the horizon."""
    day = make_day(T, T + HOUR, [DayCall("c1", T + 100, "sales", 60.0)])
    announcing = settings(announcements={"first_after_seconds": 30, "every_seconds": 60})

    result = replay_day(day, announcing, ring_seconds=0, drain_seconds=600)

    sales = result.total("sales")
    assert (sales.offered, sales.answered, sales.unfinished) == (1, 0, 1)
    assert sales.service_level is None  # nothing answered or abandoned yet
    assert result.stopped_at == T + HOUR + 600


def test_calls_for_a_queue_the_configuration_lacks_are_counted_not_replayed() -> None:
    calls = [*two_calls(), DayCall("c3", T + 300, "support", 60.0)]
    day = make_day(T, T + HOUR, calls, shift("a", T, T + HOUR))

    result = replay_day(day, settings(), ring_seconds=0)

    assert result.unrouted == 1
    assert [row.queue for row in result.totals] == ["sales"]


def test_a_synthetic_day_is_the_same_for_the_same_seed_and_follows_the_load() -> None:
    loads = [QueueLoad("sales", [40.0, 0.0, 80.0], mean_talk=120.0, mean_patience=60.0)]

    day = synthetic_day(loads, start=T, seed=7)

    assert day == synthetic_day(loads, start=T, seed=7)
    assert day != synthetic_day(loads, start=T, seed=8)
    assert day.end == T + 3 * 900
    per_interval = [
        sum(1 for c in day.calls if T + i * 900 <= c.arrival < T + (i + 1) * 900) for i in range(3)
    ]
    assert per_interval[1] == 0
    assert 20 < per_interval[0] < 60
    assert 50 < per_interval[2] < 110
    assert all(math.isfinite(call.patience) for call in day.calls)


def test_a_day_refuses_a_call_outside_it_naming_the_call() -> None:
    with pytest.raises(ValueError, match="call 'late'"):
        make_day(T, T + HOUR, [DayCall("late", T + 2 * HOUR, "sales", 60.0)])
    with pytest.raises(ValueError, match="'c1' appears twice"):
        make_day(T, T + HOUR, [DayCall("c1", T, "sales", 1.0), DayCall("c1", T + 1, "sales", 1.0)])
    with pytest.raises(ValueError, match="a pause needs a reason"):
        make_day(T, T + HOUR, [], [StaffingChange(T, "a", StaffingAction.PAUSE)])


def test_agents_a_change_adds_work_the_days_staffed_span_and_known_ones_get_nothing() -> None:
    staffed = make_day(
        0.0,
        86_400.0,
        [],
        [*shift("a1", 8 * 3600.0, 12 * 3600.0), *shift("a2", 10 * 3600.0, 17 * 3600.0)],
    )
    added = shifts_of_new_agents(staffed, ["a1", "a2", "a3"], ["a1", "a3", "new"])
    assert added == shift("new", 8 * 3600.0, 17 * 3600.0)
    # A day nobody worked: the new agent works all of it.
    empty = make_day(0.0, 86_400.0, [], [])
    assert shifts_of_new_agents(empty, [], ["new"]) == shift("new", 0.0, 86_400.0)
    assert shifts_of_new_agents(staffed, ["a1"], ["a1", "a2"]) == ()  # a2 worked that day
