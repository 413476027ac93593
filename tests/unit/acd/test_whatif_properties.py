"""What-if on random days: every call is accounted for once, ratios stay ratios, and the
same day under the same configuration replays to the same result."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acd import AcdSettings
from acd.whatif import (
    DayCall,
    DayResult,
    QueueInterval,
    StaffingAction,
    StaffingChange,
    make_day,
    replay_day,
    shift,
)

T = 1_767_225_600.0
LENGTH = 3600.0
QUEUES = ("sales", "support")
AGENTS = ("a", "b", "c")

_calls = st.lists(
    st.tuples(
        st.floats(0, LENGTH - 1),
        st.sampled_from(QUEUES),
        st.floats(0, 600),
        st.one_of(st.just(math.inf), st.floats(0, 300)),
        st.integers(0, 2),
        st.sampled_from([(), (("lang-fr", 2),)]),
    ),
    max_size=30,
)
_shifts = st.lists(
    st.tuples(
        st.sampled_from(AGENTS),
        st.floats(0, LENGTH / 2),
        st.floats(60, LENGTH),
        st.one_of(st.none(), st.floats(0, LENGTH)),
    ),
    max_size=4,
)
_queue = st.fixed_dictionaries(
    {
        "wrap_up_seconds": st.sampled_from([0, 5, 30]),
        "service_level_formula": st.sampled_from(["answered_and_abandoned", "offered", "answered"]),
        "strategy": st.sampled_from(["longest_idle", "best_proficiency", "fewest_calls"]),
        "max_wait_seconds": st.one_of(st.none(), st.sampled_from([60.0, 240.0])),
        "relaxation": st.sampled_from([[], [{"after_seconds": 30}]]),
    }
)


def _settings(sales: dict[str, Any], support: dict[str, Any]) -> AcdSettings:
    if sales["max_wait_seconds"] is not None:
        sales = {**sales, "overflow": "queue:support"}  # a second visit, in another queue
    return AcdSettings.model_validate(
        {
            "queues": [{"name": "sales", **sales}, {"name": "support", **support}],
            "agents": [
                {"id": "a", "queues": ["sales"], "skills": {"lang-fr": 3}},
                {"id": "b", "queues": ["sales", "support"]},
                {"id": "c", "queues": ["support"], "skills": {"lang-fr": 1}},
            ],
        }
    )


def _ends(row: QueueInterval) -> int:
    return (
        row.answered
        + row.abandoned
        + row.short_abandoned
        + row.overflowed
        + row.timed_out
        + row.callbacks
        + row.unfinished
    )


def _check_accounting(result: DayResult) -> None:
    for row in (*result.rows, *result.totals):
        assert row.offered == _ends(row), row
        assert row.occupancy is None or 0.0 <= row.occupancy <= 1.0 + 1e-9, row
        assert row.service_level is None or 0.0 <= row.service_level <= 1.0, row
        assert row.abandon_rate is None or 0.0 <= row.abandon_rate <= 1.0, row
        assert row.answered_within_threshold <= row.answered
    for total in result.totals:
        rows = [row for row in result.rows if row.queue == total.queue]
        assert sum(row.offered for row in rows) == total.offered
        assert sum(row.answered for row in rows) == total.answered
        assert sum(row.unfinished for row in rows) == total.unfinished


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    calls=_calls,
    shifts=_shifts,
    sales=_queue,
    support=_queue,
    ring=st.sampled_from([0.0, 2.0, 5.0]),
)
def test_random_days_account_for_every_call_and_replay_the_same_twice(
    calls: list[tuple[float, str, float, float, int, tuple[tuple[str, int], ...]]],
    shifts: list[tuple[str, float, float, float | None]],
    sales: dict[str, Any],
    support: dict[str, Any],
    ring: float,
) -> None:
    staffing: list[StaffingChange] = []
    for agent, begin, length, pause in shifts:
        staffing += shift(agent, T + begin, T + min(LENGTH, begin + length))
        if pause is not None:
            staffing.append(StaffingChange(T + pause, agent, StaffingAction.PAUSE, "break"))
            staffing.append(
                StaffingChange(T + min(LENGTH, pause + 300), agent, StaffingAction.READY)
            )
    day = make_day(
        T,
        T + LENGTH,
        [
            DayCall(f"c{n}", T + at, queue, talk, patience, priority, skills)
            for n, (at, queue, talk, patience, priority, skills) in enumerate(calls)
        ],
        staffing,
    )
    config = _settings(sales, support)

    first = replay_day(day, config, ring_seconds=ring, drain_seconds=1800)
    second = replay_day(day, config, ring_seconds=ring, drain_seconds=1800)

    assert first == second
    _check_accounting(first)
    arrivals = {queue: sum(1 for call in calls if call[1] == queue) for queue in QUEUES}
    assert first.total("sales").offered == arrivals["sales"]
    overflowed = first.total("sales").overflowed  # an overflow after the day is not counted
    assert arrivals["support"] <= first.total("support").offered <= arrivals["support"] + overflowed
