"""What-if: a day of calls replayed through the pure ACD under two configurations.

`Day` holds the calls (arrival, queue, priority, skills, patience, talk) and the agents'
staffing of a day, from the event log (the shell's `callcenter.reports.day_from_log`) or
made up (`synthetic_day`); `replay_day` drives a fresh `Acd` through it and folds the
records into per-queue rows per 15 minutes with the reports' definitions; `compare` does
that for the configuration in force and a changed one, side by side.
"""

from acd.whatif.day import (
    INTERVAL_SECONDS,
    Day,
    DayCall,
    QueueLoad,
    StaffingAction,
    StaffingChange,
    make_day,
    on_duty,
    shift,
    shifts_of_new_agents,
    synthetic_day,
)
from acd.whatif.replay import DRAIN_SECONDS, RING_SECONDS, compare, replay_day
from acd.whatif.results import (
    Comparison,
    DayFold,
    DayResult,
    QueueComparison,
    QueueInterval,
    side_by_side,
)

__all__ = [
    "DRAIN_SECONDS",
    "INTERVAL_SECONDS",
    "RING_SECONDS",
    "Comparison",
    "Day",
    "DayCall",
    "DayFold",
    "DayResult",
    "QueueComparison",
    "QueueInterval",
    "QueueLoad",
    "StaffingAction",
    "StaffingChange",
    "compare",
    "make_day",
    "on_duty",
    "replay_day",
    "shift",
    "shifts_of_new_agents",
    "side_by_side",
    "synthetic_day",
]
