"""Agent rows from the call event log: calls per agent and time in each state, per bucket.

Strategy: a streaming fold over `CallEvent`s in log order, no I/O. The log holds no state
changes as such, so each agent's state is rebuilt from the records the core writes at each
change (`acd.agent_flow`, `acd.call_flow`): login (not ready, reason ``logged-in``), ready,
pause (not ready, its reason), offer (ringing), connect (on call), ring-no-answer and reject
(not ready with that reason), abandon while ringing (ready), complete (wrap-up; a queue
without wrap-up writes handled and ready at the same instant), logout. Each interval a
state lasted is clipped to [since, until) and split at bucket edges, so an agent ready from
09:50 to 10:20 counts 10 minutes in the 09:00 hour and 20 in the 10:00 hour. An agent's
time before their first record in the stream is unknown and not counted: start the stream
early enough (the repository looks back) to see their login. Counts (offers, answers,
handled ...) fall in the bucket where they happened.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from acd.commands import RecordKind
from acd.states import AgentState, NotReadyReason
from callcenter.db.events import CallEvent
from callcenter.reports.buckets import Buckets
from callcenter.reports.types import AgentReport, AgentRow, Bucket, SurveyScore, data_seconds

_K = RecordKind
_S = AgentState

_STATE_AFTER: dict[str, tuple[AgentState, str | None]] = {
    _K.LOGIN: (_S.NOT_READY, NotReadyReason.LOGGED_IN.value),
    _K.READY: (_S.READY, None),
    _K.OFFER: (_S.RESERVED, None),
    _K.CONNECT: (_S.ON_CALL, None),
    _K.RING_NO_ANSWER: (_S.NOT_READY, NotReadyReason.RING_NO_ANSWER.value),
    _K.REJECT: (_S.NOT_READY, NotReadyReason.REJECTED.value),
    _K.ABANDON: (_S.READY, None),
    _K.COMPLETE: (_S.WRAP_UP, None),
    _K.LOGOUT: (_S.LOGGED_OUT, None),
}
"""The agent's state after each record naming them (pause: its own reason, below)."""

_COUNTED: dict[str, str] = {
    _K.OFFER: "offers",
    _K.CONNECT: "answered",
    _K.RING_NO_ANSWER: "ring_no_answer",
    _K.REJECT: "rejects",
}


_Key = TypeVar("_Key")


@dataclass(slots=True)
class _Tally:
    counts: dict[str, int] = field(default_factory=dict)
    handle_time: float = 0.0
    time_in: dict[AgentState, float] = field(default_factory=dict)
    paused: dict[str, float] = field(default_factory=dict)
    survey_sum: float = 0.0
    survey_count: int = 0

    def add_time(self, state: AgentState, reason: str | None, seconds: float) -> None:
        self.time_in[state] = self.time_in.get(state, 0.0) + seconds
        if state is _S.NOT_READY:
            key = reason or "unknown"
            self.paused[key] = self.paused.get(key, 0.0) + seconds


def _get(table: dict[_Key, _Tally], key: _Key) -> _Tally:
    tally = table.get(key)
    if tally is None:
        tally = table[key] = _Tally()
    return tally


@dataclass(slots=True)
class _Current:
    state: AgentState
    reason: str | None
    since: datetime


class AgentAggregator:
    """Folds events (and survey scores) into agent rows; read the result with `report`."""

    def __init__(
        self,
        *,
        since: datetime,
        until: datetime,
        bucket: Bucket,
        tz: ZoneInfo,
        agents: Collection[str] | None = None,
    ) -> None:
        """Rows for [since, until); ``agents`` limits the agents shown."""
        self.since, self.until = since, until
        self.buckets = Buckets(bucket, tz)
        self._agents = None if agents is None else frozenset(agents)
        self._rows: dict[tuple[datetime, str], _Tally] = {}
        self._totals: dict[str, _Tally] = {}
        self._current: dict[str, _Current] = {}

    def _tallies(self, at: datetime, agent: str) -> tuple[_Tally, _Tally] | None:
        if not self.since <= at < self.until:
            return None
        if self._agents is not None and agent not in self._agents:
            return None
        return _get(self._rows, (self.buckets.start(at), agent)), _get(self._totals, agent)

    def feed(self, event: CallEvent) -> None:
        """Take the next event of the log (events must come in log order)."""
        agent = event.agent
        if agent is None:
            return
        kind = event.kind
        counted = _COUNTED.get(kind)
        for tally in self._tallies(event.at, agent) or ():
            if counted is not None:
                tally.counts[counted] = tally.counts.get(counted, 0) + 1
            elif kind == _K.HANDLED:
                tally.counts["handled"] = tally.counts.get("handled", 0) + 1
                tally.handle_time += data_seconds(event, "talk") + data_seconds(event, "wrap_up")
        if kind == _K.PAUSE:
            paused_for = str(event.data.get("reason") or "unknown")
            self._change(agent, _S.NOT_READY, paused_for, event.at)
        elif kind in _STATE_AFTER:
            state, reason = _STATE_AFTER[kind]
            self._change(agent, state, reason, event.at)

    def _change(self, agent: str, state: AgentState, reason: str | None, at: datetime) -> None:
        current = self._current.get(agent)
        self._current[agent] = _Current(state, reason, at)
        if current is not None:
            self._credit(agent, current, at, self._rows, self._totals)

    def _credit(
        self,
        agent: str,
        current: _Current,
        at: datetime,
        rows: dict[tuple[datetime, str], _Tally],
        totals: dict[str, _Tally],
    ) -> None:
        """Add the time ``agent`` spent in ``current`` until ``at``, clipped and split."""
        if current.state is _S.LOGGED_OUT:
            return
        if self._agents is not None and agent not in self._agents:
            return
        begin, finish = max(current.since, self.since), min(at, self.until)
        state, reason, spent = current.state, current.reason, 0.0
        for start, seconds in self.buckets.split(begin, finish):
            _get(rows, (start, agent)).add_time(state, reason, seconds)
            spent += seconds
        if spent:
            _get(totals, agent).add_time(state, reason, spent)

    def feed_survey(self, score: SurveyScore) -> None:
        """Count one rated call for its agent, in the bucket where it was queued."""
        if score.agent is None:
            return
        for tally in self._tallies(score.at, score.agent) or ():
            tally.survey_sum += score.score
            tally.survey_count += 1

    def report(self, close_at: datetime | None = None) -> AgentReport:
        """The rows, with the states still open counted up to ``close_at`` (default: until).

        Pass the current time as ``close_at`` for a period that has not ended yet.
        """
        end = self.until if close_at is None else min(close_at, self.until)
        # Open states are credited into copies, so the aggregator can go on being fed.
        rows = {key: _copy(tally) for key, tally in self._rows.items()}
        totals = {agent: _copy(tally) for agent, tally in self._totals.items()}
        for agent, current in self._current.items():
            if current.since < end:
                self._credit(agent, current, end, rows, totals)
        buckets = self.buckets
        since, until = buckets.local(self.since), buckets.local(self.until)
        return AgentReport(
            since,
            until,
            buckets.bucket,
            buckets.tz,
            tuple(
                _row(buckets.local(start), buckets.local(buckets.end(start)), agent, tally)
                for (start, agent), tally in sorted(rows.items())
            ),
            tuple(_row(since, until, agent, tally) for agent, tally in sorted(totals.items())),
        )


def _copy(tally: _Tally) -> _Tally:
    return _Tally(
        dict(tally.counts),
        tally.handle_time,
        dict(tally.time_in),
        dict(tally.paused),
        tally.survey_sum,
        tally.survey_count,
    )


def _row(start: datetime, end: datetime, agent: str, tally: _Tally) -> AgentRow:
    counts, time_in = tally.counts, tally.time_in
    handled = counts.get("handled", 0)
    talk, wrap_up = time_in.get(_S.ON_CALL, 0.0), time_in.get(_S.WRAP_UP, 0.0)
    ready, ringing = time_in.get(_S.READY, 0.0), time_in.get(_S.RESERVED, 0.0)
    busy = talk + wrap_up
    return AgentRow(
        start=start,
        end=end,
        agent=agent,
        offers=counts.get("offers", 0),
        answered=counts.get("answered", 0),
        ring_no_answer=counts.get("ring_no_answer", 0),
        rejects=counts.get("rejects", 0),
        handled=handled,
        handle_time=tally.handle_time,
        aht=tally.handle_time / handled if handled else None,
        logged_in_time=sum(time_in.values()),
        ready_time=ready,
        ringing_time=ringing,
        talk_time=talk,
        wrap_up_time=wrap_up,
        paused_time=time_in.get(_S.NOT_READY, 0.0),
        paused_by_reason=tuple(sorted(tally.paused.items())),
        occupancy=busy / (busy + ready + ringing) if busy + ready + ringing > 0 else None,
        survey_average=tally.survey_sum / tally.survey_count if tally.survey_count else None,
        survey_count=tally.survey_count,
    )


def build_agent_report(
    events: Iterable[CallEvent],
    *,
    since: datetime,
    until: datetime,
    bucket: Bucket,
    tz: ZoneInfo,
    surveys: Iterable[SurveyScore] = (),
    agents: Collection[str] | None = None,
    close_at: datetime | None = None,
) -> AgentReport:
    """Agent rows for [since, until) from ``events`` (start them before ``since``)."""
    aggregator = AgentAggregator(since=since, until=until, bucket=bucket, tz=tz, agents=agents)
    for event in events:
        aggregator.feed(event)
    for score in surveys:
        aggregator.feed_survey(score)
    return aggregator.report(close_at)
