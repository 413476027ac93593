"""Live counters per queue and per agent, and the metrics derived from them.

Strategy: the core feeds these accumulators from the same facts it routes on, so the live
numbers agree with the historical ones computed from the event log. Definitions are those
of docs/ARCHITECTURE.md ("Metric definitions"):

* service level: answered within T / denominator chosen by `ServiceLevelFormula` (default:
  answered + abandoned after the short-abandon threshold). When a queue's rules change
  during the period (issue 16), each call is judged by the rules in force when it entered
  the queue: its threshold T, short-abandon threshold and formula (which decides whether it
  counts in the denominator); `QueueCounters.service_level_as_entered` is that ratio, and
  the historical reports compute the same from the event log;
* ASA: total queue wait of answered calls / answered calls;
* AHT: (talk + hold + wrap-up) / handled calls (hold is part of talk: the bridge stays up);
* abandon rate: abandoned (excluding short abandons) / offered;
* occupancy: handling (on call + wrap-up) / (handling + available (ready + ringing)).

Callback entries hold no line, so they stay out of service level, ASA and abandons; their
handling still counts in AHT and occupancy, since it is agent work.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from acd.config import ServiceLevelFormula
from acd.states import AgentState
from acd.types import Seconds

_DEFAULT_FORMULA = ServiceLevelFormula.ANSWERED_AND_ABANDONED

MIN_OBSERVATION_SECONDS = 300.0
"""The shortest span an arrival rate is measured over (see `QueueCounters.arrival_rate`)."""


@dataclass(slots=True)
class QueueCounters:
    """What happened in one queue since the start of the reporting period."""

    period_start: Seconds = 0.0
    offered: int = 0
    answered: int = 0
    answered_within_threshold: int = 0
    service_level_calls: int = 0
    """Calls the service level counts (its denominator), each by the formula in force when
    it entered the queue (see `note_offered`, `note_answer`, `note_abandon`)."""
    abandoned: int = 0
    """Abandons after the short-abandon threshold."""
    short_abandoned: int = 0
    overflowed: int = 0
    timed_out: int = 0
    callback_requests: int = 0
    callbacks_queued: int = 0
    callbacks_answered: int = 0
    callbacks_cancelled: int = 0
    total_answer_wait: Seconds = 0.0
    handled: int = 0
    total_handle_time: Seconds = 0.0
    arrivals: deque[Seconds] = field(default_factory=deque)

    def note_arrival(self, now: Seconds, window: Seconds) -> None:
        """Count a new piece of work for the observed arrival rate."""
        self.arrivals.append(now)
        self._trim(now, window)

    def note_offered(self, formula: ServiceLevelFormula = _DEFAULT_FORMULA) -> None:
        """A voice call entered the queue, under ``formula`` (the queue's at entry)."""
        self.offered += 1
        if formula is ServiceLevelFormula.OFFERED:
            self.service_level_calls += 1

    def note_answer(
        self,
        waited: Seconds,
        threshold: Seconds,
        formula: ServiceLevelFormula = _DEFAULT_FORMULA,
    ) -> None:
        """A voice call was answered after ``waited`` seconds in the queue; ``threshold``
        and ``formula`` are the queue's when the call entered it."""
        self.answered += 1
        self.total_answer_wait += waited
        if waited <= threshold:
            self.answered_within_threshold += 1
        if formula is not ServiceLevelFormula.OFFERED:
            self.service_level_calls += 1

    def note_abandon(
        self,
        waited: Seconds,
        short_threshold: Seconds,
        formula: ServiceLevelFormula = _DEFAULT_FORMULA,
    ) -> None:
        """A caller hung up before being answered; ``short_threshold`` and ``formula`` are
        the queue's when the call entered it."""
        if waited < short_threshold:
            self.short_abandoned += 1
        else:
            self.abandoned += 1
            if formula is ServiceLevelFormula.ANSWERED_AND_ABANDONED:
                self.service_level_calls += 1

    def note_handled(self, handle_time: Seconds) -> None:
        """An agent finished a call of this queue, wrap-up included."""
        self.handled += 1
        self.total_handle_time += handle_time

    def service_level(self, formula: ServiceLevelFormula) -> float | None:
        """Share of calls answered within the threshold, or None before any call counts."""
        if formula is ServiceLevelFormula.ANSWERED_AND_ABANDONED:
            denominator = self.answered + self.abandoned
        elif formula is ServiceLevelFormula.OFFERED:
            denominator = self.offered
        else:
            denominator = self.answered
        return self.answered_within_threshold / denominator if denominator else None

    def service_level_as_entered(self) -> float | None:
        """Share of calls answered within the threshold, each call counted by the rules in
        force when it entered (equal to `service_level` of the queue's formula while its
        rules did not change); None before any call counts. Needs the counts noted through
        `note_offered`, `note_answer` and `note_abandon` with each call's formula."""
        calls = self.service_level_calls
        return self.answered_within_threshold / calls if calls else None

    def asa(self) -> Seconds | None:
        """Average speed of answer, or None before the first answer."""
        return self.total_answer_wait / self.answered if self.answered else None

    def aht(self) -> Seconds | None:
        """Average handle time, or None before the first handled call."""
        return self.total_handle_time / self.handled if self.handled else None

    def abandon_rate(self) -> float | None:
        """Abandoned (short abandons excluded) over offered, or None before any call."""
        return self.abandoned / self.offered if self.offered else None

    def arrival_rate(self, now: Seconds, window: Seconds) -> float | None:
        """Arrivals per second over the last ``window`` seconds (or the period, if shorter).

        A young period is observed for at least `MIN_OBSERVATION_SECONDS` (or the whole
        window, if shorter): one call in the first seconds after a start is not a rate of
        one call every few seconds, and must not ask for dozens of agents.
        """
        self._trim(now, window)
        span = min(window, max(now - self.period_start, MIN_OBSERVATION_SECONDS))
        if span <= 0:
            return None
        return len(self.arrivals) / span

    def _trim(self, now: Seconds, window: Seconds) -> None:
        arrivals = self.arrivals
        horizon = now - window
        while arrivals and arrivals[0] < horizon:
            arrivals.popleft()


_HANDLING = (AgentState.ON_CALL, AgentState.WRAP_UP)
_AVAILABLE = (AgentState.READY, AgentState.RESERVED)


@dataclass(slots=True)
class AgentCounters:
    """Time in each state and calls handled by one agent since the start of the period."""

    time_in: dict[AgentState, Seconds] = field(default_factory=dict)
    handled: int = 0
    total_handle_time: Seconds = 0.0

    def add_time(self, state: AgentState, seconds: Seconds) -> None:
        """Credit ``seconds`` spent in ``state``."""
        self.time_in[state] = self.time_in.get(state, 0.0) + seconds

    def time_including_current(
        self, state: AgentState, current: AgentState, current_for: Seconds
    ) -> Seconds:
        """Time spent in ``state``, counting the state the agent is in right now."""
        spent = self.time_in.get(state, 0.0)
        return spent + current_for if state is current else spent

    def handling_time(self, current: AgentState, current_for: Seconds) -> Seconds:
        """Time on call and in wrap-up, the current state included."""
        return sum(self.time_including_current(s, current, current_for) for s in _HANDLING)

    def available_time(self, current: AgentState, current_for: Seconds) -> Seconds:
        """Time ready or ringing, the current state included."""
        return sum(self.time_including_current(s, current, current_for) for s in _AVAILABLE)

    def occupancy(self, current: AgentState, current_for: Seconds) -> float | None:
        """Handling / (handling + available), or None before any such time."""
        handling = self.handling_time(current, current_for)
        available = self.available_time(current, current_for)
        total = handling + available
        return handling / total if total > 0 else None
