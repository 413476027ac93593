"""The what-if's day: the calls that arrived and the agents' staffing, from a log or made up.

Strategy: a day is plain frozen data, so the same day replays through any configuration
(`acd.whatif.replay`). Each call carries what the caller brought (arrival, queue, priority,
own skills), how long they would wait (``patience``) and how long they talk once answered
(``talk``); each staffing change is an agent's request (log in, ready, pause, log out) at a
moment of the day. Times are the core's clock: epoch seconds.

Patience: a caller who abandoned waited exactly as long as they were willing to, so their
patience is their wait. A caller who was answered (or left for voicemail, or timed out)
would have waited at least as long as they did, and how much longer is unknown; they are
given an infinite patience (`math.inf`): in a configuration that makes them wait longer
they keep waiting. This errs on the side of fewer abandons in a worse configuration;
`synthetic_day` samples patience instead, so both kinds of caller abandon there.

`synthetic_day` makes a day from a load per queue (calls per 15-minute interval, mean talk,
mean patience) with a seeded generator: the same arguments give the same day. A made-up
day has no staffing of its own: `on_duty` puts every agent a configuration has on duty
from the day's start (logged in and ready, and staying until the calls are done), so a
change that adds or removes agents shows its effect.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from acd.types import Requirement, Seconds

INTERVAL_SECONDS = 900.0
"""The reports' quarter hour: the what-if's rows are per 15 minutes."""


@dataclass(frozen=True, slots=True)
class DayCall:
    """One caller who reached a queue."""

    call_id: str
    arrival: Seconds
    """When they entered the queue (epoch seconds)."""
    queue: str
    talk: Seconds
    """Talk time once answered (hold included), whoever answers."""
    patience: Seconds = math.inf
    """How long they wait for an answer before hanging up (ringing included); see above."""
    priority: int = 0
    skills: Requirement = ()
    """The call's own skills, on top of the queue's, as sorted (skill, level) pairs."""
    server: str | None = None
    """The Asterisk server the caller was on (None: any); only agents there take it."""
    default_server: bool = False
    """That server is the default one, where agents with no server set are."""


class StaffingAction(StrEnum):
    """An agent's request, as the event log records it."""

    LOG_IN = "login"
    READY = "ready"
    PAUSE = "pause"
    LOG_OUT = "logout"


@dataclass(frozen=True, slots=True)
class StaffingChange:
    """An agent asked for something at ``at``; ``reason`` is a pause's reason code."""

    at: Seconds
    agent_id: str
    action: StaffingAction
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Day:
    """A day of calls and staffing between ``start`` and ``end`` (epoch seconds).

    ``start`` anchors the 15-minute rows (the adapter passes local midnight, so rows are on
    the local clock); calls and staffing are sorted by time by `make_day`.
    """

    start: Seconds
    end: Seconds
    calls: tuple[DayCall, ...]
    staffing: tuple[StaffingChange, ...] = ()
    interval_seconds: Seconds = INTERVAL_SECONDS

    def with_staffing(self, more: Iterable[StaffingChange]) -> Day:
        """The same calls with more staffing changes (e.g. the shifts of agents a change
        adds), merged in time order."""
        return make_day(
            self.start,
            self.end,
            self.calls,
            (*self.staffing, *more),
            interval_seconds=self.interval_seconds,
        )


def make_day(
    start: Seconds,
    end: Seconds,
    calls: Iterable[DayCall],
    staffing: Iterable[StaffingChange] = (),
    *,
    interval_seconds: Seconds = INTERVAL_SECONDS,
) -> Day:
    """A checked day: calls and staffing sorted by time (stable); calls in [start, end),
    staffing from ``start`` on (after ``end`` too: logouts once the last calls are over).

    Raises `ValueError` naming the first call or change that does not fit.
    """
    if not (math.isfinite(start) and math.isfinite(end)) or end <= start:
        raise ValueError(f"a day must end after it starts: start {start!r}, end {end!r}")
    if not interval_seconds > 0:
        raise ValueError(f"interval_seconds must be positive: {interval_seconds!r}")
    ordered_calls = tuple(sorted(calls, key=lambda call: call.arrival))
    seen: set[str] = set()
    for call in ordered_calls:
        if not start <= call.arrival < end:
            raise ValueError(f"call {call.call_id!r}: arrival {call.arrival!r} is outside the day")
        if call.call_id in seen:
            raise ValueError(f"call {call.call_id!r} appears twice in the day")
        if not call.talk >= 0 or not call.patience >= 0:
            raise ValueError(f"call {call.call_id!r}: talk and patience must be >= 0 seconds")
        seen.add(call.call_id)
    ordered_staffing = tuple(sorted(staffing, key=lambda change: change.at))
    for change in ordered_staffing:
        # Changes after the end are allowed: agents finishing the day's last calls log out.
        if not start <= change.at or not math.isfinite(change.at):
            raise ValueError(
                f"agent {change.agent_id!r}: {change.action.value} at {change.at!r} is before "
                "the day"
            )
        if change.action is StaffingAction.PAUSE and not change.reason:
            raise ValueError(f"agent {change.agent_id!r}: a pause needs a reason")
    return Day(start, end, ordered_calls, ordered_staffing, interval_seconds)


def shift(agent_id: str, begin: Seconds, end: Seconds) -> tuple[StaffingChange, ...]:
    """An agent who logs in ready at ``begin`` and logs out at ``end``."""
    return (
        StaffingChange(begin, agent_id, StaffingAction.LOG_IN),
        StaffingChange(begin, agent_id, StaffingAction.READY),
        StaffingChange(end, agent_id, StaffingAction.LOG_OUT),
    )


def shifts_of_new_agents(
    day: Day, current: Iterable[str], changed: Iterable[str]
) -> tuple[StaffingChange, ...]:
    """Shifts for the agents of ``changed`` the day knows nothing of (not in ``current``
    and never staffed that day): each works the day's staffed span, from the first login to
    the last logout of the day's agents (the whole day when nobody worked it). So "two more
    agents" tried on a past day shows what two more agents on that day's hours would do."""
    known = set(current) | {change.agent_id for change in day.staffing}
    new = [agent_id for agent_id in dict.fromkeys(changed) if agent_id not in known]
    if not new:
        return ()
    logins = [c.at for c in day.staffing if c.action is StaffingAction.LOG_IN]
    logouts = [c.at for c in day.staffing if c.action is StaffingAction.LOG_OUT]
    begin = min(logins, default=day.start)
    end = max(logouts, default=day.end)
    if end <= begin:
        end = day.end
    return tuple(change for agent_id in new for change in shift(agent_id, begin, end))


def on_duty(agent_ids: Iterable[str], start: Seconds) -> tuple[StaffingChange, ...]:
    """Agents who log in ready at ``start`` and stay until the last call is over (no
    logout: a call still waiting at the day's end is answered, not cut off)."""
    return tuple(
        change
        for agent_id in agent_ids
        for change in (
            StaffingChange(start, agent_id, StaffingAction.LOG_IN),
            StaffingChange(start, agent_id, StaffingAction.READY),
        )
    )


@dataclass(frozen=True, slots=True)
class QueueLoad:
    """The load of one queue in a synthetic day.

    ``calls_per_interval[i]`` is the mean number of arrivals in the i-th 15-minute interval
    (a Poisson process in each); talk times and patience are exponential with the given
    means (no ``mean_patience``: callers never hang up). ``priority`` and ``skills`` are
    given to every call of the queue.
    """

    queue: str
    calls_per_interval: Sequence[float]
    mean_talk: Seconds
    mean_patience: Seconds | None = None
    priority: int = 0
    skills: Requirement = field(default=())


def synthetic_day(
    loads: Iterable[QueueLoad],
    *,
    start: Seconds,
    staffing: Iterable[StaffingChange] = (),
    seed: int = 0,
    interval_seconds: Seconds = INTERVAL_SECONDS,
) -> Day:
    """A made-up day: arrivals, talk and patience drawn from ``random.Random(seed)``.

    The day lasts as many intervals as the longest ``calls_per_interval``. The same
    arguments give the same day.
    """
    rng = random.Random(seed)
    load_list = list(loads)
    intervals = max((len(load.calls_per_interval) for load in load_list), default=0)
    if intervals == 0:
        raise ValueError("a synthetic day needs at least one interval of load")
    calls: list[DayCall] = []
    for load in load_list:
        if not load.mean_talk > 0:
            raise ValueError(f"queue {load.queue!r}: mean_talk must be positive")
        for index, mean_calls in enumerate(load.calls_per_interval):
            if mean_calls < 0:
                raise ValueError(f"queue {load.queue!r}: interval {index} has a negative load")
            if mean_calls == 0:
                continue
            rate = mean_calls / interval_seconds
            at = start + index * interval_seconds
            edge = at + interval_seconds
            while True:
                at += rng.expovariate(rate)
                if at >= edge:
                    break
                patience = (
                    math.inf
                    if load.mean_patience is None
                    else rng.expovariate(1.0 / load.mean_patience)
                )
                calls.append(
                    DayCall(
                        call_id=f"{load.queue}-{len(calls) + 1}",
                        arrival=at,
                        queue=load.queue,
                        talk=rng.expovariate(1.0 / load.mean_talk),
                        patience=patience,
                        priority=load.priority,
                        skills=load.skills,
                    )
                )
    end = start + intervals * interval_seconds
    return make_day(start, end, calls, staffing, interval_seconds=interval_seconds)
