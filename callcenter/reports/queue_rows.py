"""Queue rows from the call event log: offered, answered, abandoned ... per bucket and queue.

Strategy: a streaming fold over `CallEvent`s in log order, no I/O. Each queue visit of a
call (from its ``enqueue`` in that queue to the record that takes it out) is attributed to
the bucket where it **entered the queue**: its answer, abandon, overflow and handling all
count there, even when they happen in a later bucket, so a bucket's service level speaks of
the callers who arrived in it. An overflow or a supervisor's move into another queue
starts a new visit there (the live core counts it as offered to both). Visits that
entered outside [since, until) are ignored; feed events past ``until`` to complete the
visits that entered before it.

The counting is `acd.metrics.QueueCounters` itself, fed the same way the live core feeds it
(which record kinds, which fields, voice calls vs callback entries), so the definitions -
service level by the queue's formula and thresholds, ASA, AHT, abandon rate - cannot drift.
``handled`` records carry no call id: they belong to the call the agent last completed.

A queue's rules (threshold, short-abandon threshold, formula, target) may change during the
period (issue 16). Each visit is judged by the rules in force when it **entered**, as the
live core judges it (`acd.model.Call.rules`): the aggregator starts from the rules it is
given (those in force at the first event fed) and takes each ``config`` record of the log
as it comes, so a change applies to exactly the visits logged after it. The event log,
rather than the stored configuration versions, is the source: its config record is the
moment the running core adopted the change, in order with the calls around it (a version's
creation time is when it was written, a moment before, or a version stored while the
service was down and adopted at its start), and the log already is what reports read.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

import structlog

from acd.commands import RecordKind
from acd.metrics import QueueCounters
from callcenter.db.events import CallEvent
from callcenter.reports.buckets import Buckets
from callcenter.reports.types import (
    Bucket,
    QueueReport,
    QueueRow,
    QueueRules,
    RulesByQueue,
    SurveyScore,
    data_seconds,
    rules_from_document,
)

_K = RecordKind
log = structlog.get_logger(__name__)


def is_callback_entry(event: CallEvent) -> bool:
    """Whether an ``enqueue`` is a callback entry (`acd.admission` marks it in ``detail``)."""
    detail = str(event.data.get("detail") or "")
    return detail == "callback" or detail.startswith("callback,")


_Key = TypeVar("_Key")


@dataclass(slots=True)
class _Tally:
    counters: QueueCounters = field(default_factory=QueueCounters)
    talk: float = 0.0
    wrap_up: float = 0.0
    max_wait: float | None = None
    survey_sum: float = 0.0
    survey_count: int = 0
    target_sum: float = 0.0
    """The targets of the calls the service level counts, each the one at its entry."""
    last_rules: QueueRules | None = None
    """The rules of the latest visit that entered (a row's target when none counts)."""

    def note_wait(self, wait: float) -> None:
        self.max_wait = wait if self.max_wait is None else max(self.max_wait, wait)

    def count(self, rules: QueueRules, note: Callable[[QueueCounters], None]) -> None:
        """Apply ``note`` to the counters; a call it adds to the service level's
        denominator brings its target (``rules``', the ones at its entry)."""
        counted = self.counters.service_level_calls
        note(self.counters)
        self.target_sum += rules.service_level_target * (
            self.counters.service_level_calls - counted
        )


def _get(table: dict[_Key, _Tally], key: _Key) -> _Tally:
    tally = table.get(key)
    if tally is None:
        tally = table[key] = _Tally()
    return tally


@dataclass(slots=True)
class _Visit:
    queue: str
    voice: bool
    tallies: tuple[_Tally, _Tally]
    """The bucket's tally and the period's totals tally: every measure goes to both."""
    rules: QueueRules
    """The queue's rules when the visit entered it: its answer or abandon is judged by them."""


class QueueAggregator:
    """Folds events (and survey scores) into queue rows; read the result with `report`."""

    def __init__(
        self,
        *,
        since: datetime,
        until: datetime,
        bucket: Bucket,
        tz: ZoneInfo,
        rules: RulesByQueue | None = None,
        queues: Collection[str] | None = None,
    ) -> None:
        """Rows for visits entering in [since, until); ``queues`` limits the queues shown.

        ``rules`` are those in force at the first event fed; config records fed later
        replace them from their place in the log on.
        """
        self.since, self.until = since, until
        self.buckets = Buckets(bucket, tz)
        self._rules = dict(rules or {})
        self._queues = None if queues is None else frozenset(queues)
        self._rows: dict[tuple[datetime, str], _Tally] = {}
        self._totals: dict[str, _Tally] = {}
        self._visits: dict[str, _Visit] = {}
        self._completed: dict[str, _Visit] = {}
        """Per agent: the visit of the call they completed last, awaiting its handled."""
        self._callback_entries: set[str] = set()
        """Calls in progress that are callback entries (a move keeps the kind)."""

    def _tallies(self, at: datetime, queue: str) -> tuple[_Tally, _Tally] | None:
        if not self.since <= at < self.until:
            return None
        if self._queues is not None and queue not in self._queues:
            return None
        return _get(self._rows, (self.buckets.start(at), queue)), _get(self._totals, queue)

    def feed(self, event: CallEvent) -> None:
        """Take the next event of the log (events must come in log order)."""
        kind, call_id = event.kind, event.call_id or ""
        if kind == _K.CONFIG:
            self._reconfigured(event)
            return
        if kind == _K.ENQUEUE:
            self._enqueued(event, call_id)
            return
        if kind == _K.COMPLETE or event.data.get("outcome") not in (None, "answered"):
            self._callback_entries.discard(call_id)  # the call is over
        if kind == _K.HANDLED:
            self._handled(event)
            return
        visit = self._visits.get(call_id)
        if visit is None or visit.queue != event.queue:
            return
        if kind == _K.COMPLETE:
            del self._visits[call_id]
            if event.agent is not None:
                self._completed[event.agent] = visit
        elif kind in (_K.CONNECT, _K.ABANDON, _K.OVERFLOW, _K.EXIT, _K.CALLBACK, _K.MOVE):
            self._left_line(event, visit)

    def _reconfigured(self, event: CallEvent) -> None:
        """A configuration took effect: visits entering from here on get its rules."""
        rules = rules_from_document(event.data.get("settings"))
        if rules is None:
            # A record without its document (or an unreadable one): keep the rules so far
            # rather than fall back to defaults nobody configured.
            log.warning("reports.config_record_unreadable", at=event.at.isoformat())
            return
        self._rules = rules

    def _enqueued(self, event: CallEvent, call_id: str) -> None:
        self._visits.pop(call_id, None)
        if event.data.get("call_kind") == "voicemail":
            return  # a message is work, not a call: its call was counted when it arrived
        if is_callback_entry(event):
            self._callback_entries.add(call_id)
        queue = event.queue or ""
        tallies = self._tallies(event.at, queue)
        if tallies is None:
            return
        voice = call_id not in self._callback_entries
        rules = self._rules.get(queue) or QueueRules()
        self._visits[call_id] = _Visit(queue, voice, tallies, rules)
        for tally in tallies:
            tally.last_rules = rules
            if voice:
                tally.count(rules, lambda c: c.note_offered(rules.service_level_formula))

    def _left_line(self, event: CallEvent, visit: _Visit) -> None:
        kind, wait = event.kind, data_seconds(event, "wait")
        rules = visit.rules
        if kind != _K.CONNECT:
            del self._visits[event.call_id or ""]
        for tally in visit.tallies:
            counters = tally.counters
            if kind == _K.OVERFLOW:
                counters.overflowed += 1
            elif kind == _K.EXIT:
                counters.timed_out += 1
            if not visit.voice:
                if kind == _K.CONNECT:
                    counters.callbacks_answered += 1
                elif kind == _K.ABANDON:
                    counters.callbacks_cancelled += 1
                continue
            tally.note_wait(wait)
            if kind == _K.CONNECT:
                tally.count(
                    rules,
                    lambda c: c.note_answer(
                        wait, rules.service_level_seconds, rules.service_level_formula
                    ),
                )
            elif kind == _K.ABANDON:
                tally.count(
                    rules,
                    lambda c: c.note_abandon(
                        wait, rules.short_abandon_seconds, rules.service_level_formula
                    ),
                )
            elif kind == _K.CALLBACK:
                counters.callback_requests += 1

    def _handled(self, event: CallEvent) -> None:
        visit = self._completed.pop(event.agent or "", None)
        if visit is None or visit.queue != event.queue:
            return
        talk, wrap_up = data_seconds(event, "talk"), data_seconds(event, "wrap_up")
        for tally in visit.tallies:
            tally.counters.note_handled(talk + wrap_up)
            tally.talk += talk
            tally.wrap_up += wrap_up

    def feed_survey(self, score: SurveyScore) -> None:
        """Count one rated call in its queue's bucket (by the time it was queued)."""
        if score.queue is None:
            return
        for tally in self._tallies(score.at, score.queue) or ():
            tally.survey_sum += score.score
            tally.survey_count += 1

    def report(self) -> QueueReport:
        """The rows so far: one per (bucket, queue) with any activity, and the totals."""
        buckets = self.buckets
        rows = tuple(
            self._row(buckets.local(start), buckets.local(buckets.end(start)), queue, tally)
            for (start, queue), tally in sorted(self._rows.items())
        )
        since, until = buckets.local(self.since), buckets.local(self.until)
        totals = tuple(
            self._row(since, until, queue, tally) for queue, tally in sorted(self._totals.items())
        )
        return QueueReport(since, until, buckets.bucket, buckets.tz, rows, totals)

    def _row(self, start: datetime, end: datetime, queue: str, tally: _Tally) -> QueueRow:
        c = tally.counters
        calls = c.service_level_calls
        if calls:
            target = tally.target_sum / calls
        else:
            target = (
                tally.last_rules or self._rules.get(queue) or QueueRules()
            ).service_level_target
        return QueueRow(
            start=start,
            end=end,
            queue=queue,
            offered=c.offered,
            answered=c.answered,
            abandoned=c.abandoned,
            short_abandoned=c.short_abandoned,
            overflowed=c.overflowed,
            timed_out=c.timed_out,
            callbacks=c.callback_requests,
            answered_within_threshold=c.answered_within_threshold,
            handled=c.handled,
            service_level=c.service_level_as_entered(),
            asa=c.asa(),
            aht=c.aht(),
            avg_talk=tally.talk / c.handled if c.handled else None,
            avg_wrap_up=tally.wrap_up / c.handled if c.handled else None,
            abandon_rate=c.abandon_rate(),
            max_wait=tally.max_wait,
            survey_average=tally.survey_sum / tally.survey_count if tally.survey_count else None,
            survey_count=tally.survey_count,
            service_level_calls=calls,
            service_level_target=target,
        )


def build_queue_report(
    events: Iterable[CallEvent],
    *,
    since: datetime,
    until: datetime,
    bucket: Bucket,
    tz: ZoneInfo,
    rules: RulesByQueue | None = None,
    surveys: Iterable[SurveyScore] = (),
    queues: Collection[str] | None = None,
) -> QueueReport:
    """Queue rows for the calls that entered a queue in [since, until), from ``events``;
    ``rules`` are those in force at the first event (config records among ``events``
    change them from there on)."""
    aggregator = QueueAggregator(
        since=since, until=until, bucket=bucket, tz=tz, rules=rules, queues=queues
    )
    for event in events:
        aggregator.feed(event)
    for score in surveys:
        aggregator.feed_survey(score)
    return aggregator.report()
