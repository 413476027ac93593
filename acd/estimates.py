"""Estimated wait time (EWT) for callers in line and for the next caller.

Strategy: when every staffed agent is busy, agents free up at a rate of N / AHT (N staffed
agents, exponential handle times: the Erlang C model), so the caller in position p waits on
average for p departures: EWT = p x AHT / N. That is the exact conditional mean of the M/M/N
queue given its state, which beats an unconditional Erlang C average for someone already in
line. Erlang C itself applies to the question "how long will a caller wait on average at
this arrival rate", which the wallboard shows next to the staffing it needs.

AHT comes from handled calls, blended with the queue's configured default so that the first
few calls of the day do not swing the estimate.
"""

from __future__ import annotations

from acd.erlang import average_speed_of_answer
from acd.metrics import QueueCounters
from acd.types import Seconds

PRIOR_CALLS = 10
"""Weight of the configured default handle time, in calls, against the observed ones."""


def expected_handle_time(counters: QueueCounters, default: Seconds) -> Seconds:
    """Observed AHT smoothed towards ``default`` while few calls have been handled."""
    return (counters.total_handle_time + default * PRIOR_CALLS) / (counters.handled + PRIOR_CALLS)


def wait_for_position(position: int, staffed: int, aht: Seconds) -> Seconds | None:
    """EWT of the caller at ``position`` (1-based); None when nobody staffs the queue."""
    if staffed <= 0:
        return None
    return position * aht / staffed


def wait_for_next_caller(waiting: int, ready: int, staffed: int, aht: Seconds) -> Seconds | None:
    """EWT of a caller who would join the queue now; None when nobody staffs the queue."""
    if ready > 0 and waiting == 0:
        return 0.0
    return wait_for_position(waiting + 1, staffed, aht)


def erlang_average_wait(arrival_rate: float | None, staffed: int, aht: Seconds) -> Seconds | None:
    """ASA Erlang C predicts at the observed arrival rate; None where it does not apply.

    It does not apply without an observed rate, without staff, or when the offered traffic
    reaches the staff (the queue would grow without bound).
    """
    if arrival_rate is None or staffed <= 0:
        return None
    traffic = arrival_rate * aht
    if traffic >= staffed:
        return None
    return average_speed_of_answer(staffed, traffic, aht)
