"""What a replayed day did, per queue and per 15 minutes: the fold and its rows.

Strategy: the same fold as the historical reports (`callcenter.reports.queue_rows`), over
the `Record`s the replayed core writes instead of the stored log, counting with
`acd.metrics.QueueCounters` itself and the queue's own thresholds and service-level
formula, so a what-if row means what a report row means (docs/ARCHITECTURE.md, "Metric
definitions"). Each queue visit (from its enqueue in a queue to the record that takes it
out of the line) counts in the interval where it **entered** the queue; an overflow or a
move into another queue starts a new visit there. As in the reports, only visits entering
within the day [start, end) count: a late call's overflow after the end belongs to the
next day. A visit still open when the replay stops
counts as ``unfinished``, so offered = answered + abandoned + short abandoned + overflowed
+ timed out + callbacks + unfinished, per row.

Occupancy is that of the queue's members over all their work, as the wallboard shows it:
(on call + wrap-up) / (on call + wrap-up + ready + ringing), with each agent's state
intervals (from `PublishAgentState`) split at the interval edges. Agents needed is Erlang C
(`acd.erlang.agents_needed`) for the interval's arrival rate (visits entering it / its
length) and AHT (the interval's, else the queue's over the day, else the queue's
``default_handle_seconds``), at the queue's service-level target and threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from acd.commands import PublishAgentState, Record, RecordKind
from acd.config import AcdSettings, QueueSettings
from acd.erlang import agents_needed
from acd.metrics import QueueCounters
from acd.states import AgentState, CallKind, CallOutcome
from acd.types import Seconds

_K = RecordKind
_HANDLING = (AgentState.ON_CALL, AgentState.WRAP_UP)
_AVAILABLE = (AgentState.READY, AgentState.RESERVED)
_LEAVES_LINE = frozenset({_K.CONNECT, _K.ABANDON, _K.OVERFLOW, _K.EXIT, _K.CALLBACK, _K.MOVE})


@dataclass(frozen=True, slots=True)
class QueueInterval:
    """One queue over one 15-minute interval (or the whole day, in the totals).

    Counts are of calls that entered the queue in the interval (voice calls; ``handled``
    and ``aht`` as the reports count them). Ratios and averages are None without a
    denominator.
    """

    start: Seconds
    end: Seconds
    queue: str
    offered: int
    answered: int
    abandoned: int
    """Abandons after the short-abandon threshold."""
    short_abandoned: int
    overflowed: int
    timed_out: int
    callbacks: int
    unfinished: int
    """Still waiting, or ringing, when the replay stopped."""
    answered_within_threshold: int
    handled: int
    service_level: float | None
    asa: Seconds | None
    aht: Seconds | None
    abandon_rate: float | None
    occupancy: float | None
    arrival_rate: float
    """Visits entering the queue per second over the interval."""
    agents_needed: int | None
    """Erlang C staffing for the queue's target; None when the target is 100 %."""


@dataclass(frozen=True, slots=True)
class DayResult:
    """A replayed day: rows per (interval, queue) with any activity, and totals per queue."""

    rows: tuple[QueueInterval, ...]
    """Sorted by interval start, then queue (configuration order)."""
    totals: tuple[QueueInterval, ...]
    """One per configured queue, over the whole day, in configuration order."""
    inputs: int
    """Inputs the core handled."""
    refused: tuple[str, ...]
    """Staffing requests the configuration could not take (an agent it does not have, a
    pause reason it does not know), each with the reason; requests that only came at a bad
    moment (a pause while talking) are applied at the agent's next change instead."""
    stopped_at: Seconds
    """The replay's clock when it stopped (the last input, or the horizon)."""
    unrouted: int = 0
    """Calls of the day for a queue this configuration does not have (not replayed)."""

    def total(self, queue: str) -> QueueInterval:
        """The day's totals of ``queue``; raises `KeyError` for a queue not configured."""
        for row in self.totals:
            if row.queue == queue:
                return row
        raise KeyError(queue)


@dataclass(slots=True)
class _Tally:
    counters: QueueCounters = field(default_factory=QueueCounters)
    unfinished: int = 0


@dataclass(slots=True)
class _Visit:
    queue: str
    voice: bool
    tallies: tuple[_Tally, _Tally]


class DayFold:
    """Folds a replay's records and agent states into `DayResult` rows."""

    __slots__ = (
        "_agent_time",
        "_agents",
        "_callbacks",
        "_completed",
        "_end",
        "_interval",
        "_queues",
        "_rows",
        "_start",
        "_totals",
        "_visits",
    )

    def __init__(
        self, settings: AcdSettings, start: Seconds, end: Seconds, interval: Seconds
    ) -> None:
        """Rows of ``interval`` seconds from ``start`` for visits entering in [start, end)."""
        self._queues: dict[str, QueueSettings] = {queue.name: queue for queue in settings.queues}
        self._start = start
        self._end = end
        self._interval = interval
        self._rows: dict[tuple[int, str], _Tally] = {}
        self._totals: dict[str, _Tally] = {name: _Tally() for name in self._queues}
        self._visits: dict[str, _Visit] = {}
        self._completed: dict[str, _Visit] = {}
        self._callbacks: set[str] = set()
        self._agents: dict[str, tuple[AgentState, Seconds]] = {}
        self._agent_time: dict[str, dict[int, list[float]]] = {}
        """Per agent and interval: [handling seconds, available seconds]."""

    def _index(self, at: Seconds) -> int:
        return math.floor((at - self._start) / self._interval)

    def record(self, record: Record) -> None:
        """Take the next record the replayed core wrote."""
        kind = record.kind
        call_id = record.call_id or ""
        if kind is _K.ENQUEUE:
            self._enqueued(record, call_id)
        elif kind is _K.HANDLED:
            visit = self._completed.pop(record.agent_id or "", None)
            if visit is not None and visit.queue == record.queue:
                handle = (record.talk or 0.0) + (record.wrap_up or 0.0)
                for tally in visit.tallies:
                    tally.counters.note_handled(handle)
        else:
            outcome = record.outcome
            if kind is _K.COMPLETE or (outcome is not None and outcome is not CallOutcome.ANSWERED):
                self._callbacks.discard(call_id)
            visit = self._visits.get(call_id)
            if visit is None or visit.queue != record.queue:
                return
            if kind is _K.COMPLETE:
                del self._visits[call_id]
                if record.agent_id is not None:
                    self._completed[record.agent_id] = visit
            elif kind in _LEAVES_LINE:
                self._left_line(record, visit)

    def _enqueued(self, record: Record, call_id: str) -> None:
        self._visits.pop(call_id, None)
        if record.call_kind is CallKind.VOICEMAIL:
            return  # a message is work, not a call: its call was counted when it arrived
        if record.call_kind is CallKind.CALLBACK:
            self._callbacks.add(call_id)
        queue = record.queue or ""
        if queue not in self._queues or not self._start <= record.at < self._end:
            return
        key = (self._index(record.at), queue)
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = _Tally()
        voice = call_id not in self._callbacks
        tallies = (row, self._totals[queue])
        self._visits[call_id] = _Visit(queue, voice, tallies)
        if voice:
            for tally in tallies:
                tally.counters.offered += 1

    def _left_line(self, record: Record, visit: _Visit) -> None:
        kind = record.kind
        wait = record.wait or 0.0
        settings = self._queues[visit.queue]
        if kind is not _K.CONNECT:
            del self._visits[record.call_id or ""]
        for tally in visit.tallies:
            counters = tally.counters
            if kind is _K.OVERFLOW:
                counters.overflowed += 1
            elif kind is _K.EXIT:
                counters.timed_out += 1
            if not visit.voice:
                if kind is _K.CONNECT:
                    counters.callbacks_answered += 1
                elif kind is _K.ABANDON:
                    counters.callbacks_cancelled += 1
                continue
            if kind is _K.CONNECT:
                counters.note_answer(wait, settings.service_level_seconds)
            elif kind is _K.ABANDON:
                counters.note_abandon(wait, settings.short_abandon_seconds)
            elif kind is _K.CALLBACK:
                counters.callback_requests += 1

    def agent_state(self, command: PublishAgentState) -> None:
        """Take an agent's change of state (for occupancy)."""
        agent = command.agent_id
        previous = self._agents.get(agent)
        if previous is not None:
            self._credit(agent, previous[0], previous[1], command.since)
        self._agents[agent] = (command.state, command.since)

    def _credit(self, agent: str, state: AgentState, begin: Seconds, end: Seconds) -> None:
        slot = 0 if state in _HANDLING else 1 if state in _AVAILABLE else -1
        if slot < 0 or end <= begin:
            return
        table = self._agent_time.get(agent)
        if table is None:
            table = self._agent_time[agent] = {}
        interval = self._interval
        index = self._index(begin)
        cursor = begin
        while cursor < end:
            edge = min(end, self._start + (index + 1) * interval)
            cell = table.get(index)
            if cell is None:
                cell = table[index] = [0.0, 0.0]
            cell[slot] += edge - cursor
            cursor = edge
            index += 1

    def result(
        self,
        settings: AcdSettings,
        *,
        inputs: int,
        refused: tuple[str, ...],
        stopped_at: Seconds,
        unrouted: int = 0,
    ) -> DayResult:
        """The rows, with agent states still open closed at ``stopped_at``."""
        for agent, (state, since) in self._agents.items():
            self._credit(agent, state, since, stopped_at)
        self._agents = {agent: (state, stopped_at) for agent, (state, _) in self._agents.items()}
        for visit in self._visits.values():
            for tally in visit.tallies:
                tally.unfinished += 1
        self._visits.clear()
        members: dict[str, list[str]] = {name: [] for name in self._queues}
        for agent_settings in settings.agents:
            for queue in agent_settings.queues:
                members[queue].append(agent_settings.id)
        day_end = max(stopped_at, self._start + self._interval)
        totals = tuple(
            self._row(
                self._start, day_end, name, self._totals[name], members=members[name], index=None
            )
            for name in self._queues
        )
        # An interval without a handled call of its own is staffed on the day's AHT.
        day_aht = {row.queue: row.aht for row in totals}
        order = {name: position for position, name in enumerate(self._queues)}
        rows = []
        for (index, queue), tally in sorted(
            self._rows.items(), key=lambda item: (item[0][0], order[item[0][1]])
        ):
            begin = self._start + index * self._interval
            rows.append(
                self._row(
                    begin,
                    begin + self._interval,
                    queue,
                    tally,
                    members=members[queue],
                    index=index,
                    fallback=day_aht[queue],
                )
            )
        return DayResult(tuple(rows), totals, inputs, refused, stopped_at, unrouted)

    def _row(
        self,
        begin: Seconds,
        end: Seconds,
        queue: str,
        tally: _Tally,
        *,
        members: list[str],
        index: int | None,
        fallback: Seconds | None = None,
    ) -> QueueInterval:
        settings = self._queues[queue]
        counters = tally.counters
        handling = available = 0.0
        for agent in members:
            table = self._agent_time.get(agent)
            if table is None:
                continue
            cells = table.values() if index is None else [table.get(index, [0.0, 0.0])]
            for cell in cells:
                handling += cell[0]
                available += cell[1]
        busy = handling + available
        aht = counters.aht()
        rate = counters.offered / (end - begin)
        return QueueInterval(
            start=begin,
            end=end,
            queue=queue,
            offered=counters.offered,
            answered=counters.answered,
            abandoned=counters.abandoned,
            short_abandoned=counters.short_abandoned,
            overflowed=counters.overflowed,
            timed_out=counters.timed_out,
            callbacks=counters.callback_requests,
            unfinished=tally.unfinished,
            answered_within_threshold=counters.answered_within_threshold,
            handled=counters.handled,
            service_level=counters.service_level(settings.service_level_formula),
            asa=counters.asa(),
            aht=aht,
            abandon_rate=counters.abandon_rate(),
            occupancy=handling / busy if busy > 0 else None,
            arrival_rate=rate,
            agents_needed=_needed(settings, rate, aht or fallback),
        )


def _needed(settings: QueueSettings, rate: float, aht: Seconds | None) -> int | None:
    if settings.service_level_target >= 1:
        return None  # a 100 % target is never met in theory (Erlang C keeps a tail)
    return agents_needed(
        rate,
        aht if aht else settings.default_handle_seconds,
        settings.service_level_target,
        settings.service_level_seconds,
    )


@dataclass(frozen=True, slots=True)
class QueueComparison:
    """One queue's figures under the current and the changed configuration.

    A side is None when that configuration has no such queue (or no call in that row).
    """

    queue: str
    start: Seconds
    current: QueueInterval | None
    changed: QueueInterval | None


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two replays of one day side by side: per queue over the day, and per interval."""

    current: DayResult
    changed: DayResult
    totals: tuple[QueueComparison, ...]
    """Per queue: the current configuration's queues first, then those the change adds."""
    intervals: tuple[QueueComparison, ...]
    """Per (interval, queue) present in either replay, by interval start then queue."""


def side_by_side(current: DayResult, changed: DayResult) -> Comparison:
    """Pair the rows of two replays of the same day by queue (and interval)."""
    now_totals = {row.queue: row for row in current.totals}
    new_totals = {row.queue: row for row in changed.totals}
    names = [*now_totals, *(name for name in new_totals if name not in now_totals)]
    totals = tuple(
        QueueComparison(
            name,
            (now_totals.get(name) or new_totals[name]).start,
            now_totals.get(name),
            new_totals.get(name),
        )
        for name in names
    )
    rank = {name: position for position, name in enumerate(names)}
    now_rows = {(row.start, row.queue): row for row in current.rows}
    new_rows = {(row.start, row.queue): row for row in changed.rows}
    keys = sorted({*now_rows, *new_rows}, key=lambda key: (key[0], rank[key[1]]))
    intervals = tuple(
        QueueComparison(queue, start, now_rows.get((start, queue)), new_rows.get((start, queue)))
        for start, queue in keys
    )
    return Comparison(current, changed, totals, intervals)
