"""The vocabulary of historical reports: bucket sizes, queue rules, rows and reports.

Strategy: every result is a small frozen dataclass of plain values (aware datetimes in the
report's time zone, ints, float seconds, ratios 0-1, ``None`` where a ratio or average has
no denominator), so a report can be cached, compared in tests and written as CSV without
touching the database again. Definitions follow docs/ARCHITECTURE.md ("Metric definitions")
and `acd.metrics`; `QueueRules` carries the per-queue thresholds the live core uses, so
history applies the same ones, each call by the rules in force when it entered its queue
(`rules_from_document` reads them from the event log's config records). Row times are
local: subtract them in UTC (two aware datetimes of one zone subtract as wall times, which
is an hour off across a clock change).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from acd.config import AcdSettings, QueueSettings, ServiceLevelFormula
from callcenter.db.events import CallEvent

log = structlog.get_logger(__name__)


class Bucket(StrEnum):
    """The width of one report interval, aligned to local time in the report's zone."""

    QUARTER_HOUR = "15min"
    HOUR = "hour"
    DAY = "day"
    """A local calendar day: 23 or 25 hours long on the days clocks change."""


@dataclass(frozen=True, slots=True)
class QueueRules:
    """The thresholds, service-level formula and target of one queue, as `QueueSettings`
    has them."""

    service_level_seconds: float = 20.0
    short_abandon_seconds: float = 5.0
    service_level_formula: ServiceLevelFormula = ServiceLevelFormula.ANSWERED_AND_ABANDONED
    service_level_target: float = 0.8

    @classmethod
    def of(cls, settings: QueueSettings) -> QueueRules:
        """The rules of a configured queue."""
        return cls(
            settings.service_level_seconds,
            settings.short_abandon_seconds,
            settings.service_level_formula,
            settings.service_level_target,
        )


def rules_from_settings(settings: AcdSettings) -> dict[str, QueueRules]:
    """The rules of every configured queue, by queue name (pass to the reports)."""
    return {queue.name: QueueRules.of(queue) for queue in settings.queues}


_RULE_FIELDS = tuple(f.name for f in fields(QueueRules))


def rules_from_document(document: object) -> dict[str, QueueRules] | None:
    """The rules of every queue of an ACD document as a config record of the event log
    carries it (``settings``, ``settings_before``: `AcdSettings` as JSON); None when it is
    not such a document.

    Only the queues' names and the rules' keys are read, not the whole document validated:
    a record written by an older version of the service (whose document today's models
    might refuse) still tells the thresholds of its day. A key missing or unreadable gets
    the `QueueRules` default, as the settings models give it.
    """
    if not isinstance(document, Mapping):
        return None
    queues = document.get("queues")
    if not isinstance(queues, list):
        return None
    rules: dict[str, QueueRules] = {}
    for queue in queues:
        if isinstance(queue, Mapping) and isinstance(queue.get("name"), str):
            rules[queue["name"]] = _queue_rules(queue)
    return rules


def _queue_rules(queue: Mapping[str, Any]) -> QueueRules:
    defaults = QueueRules()
    values: dict[str, Any] = {}
    for name in _RULE_FIELDS:
        raw, default = queue.get(name), getattr(defaults, name)
        try:
            if name == "service_level_formula":
                values[name] = ServiceLevelFormula(raw) if isinstance(raw, str) else default
            elif isinstance(raw, int | float) and not isinstance(raw, bool):
                values[name] = float(raw)
            else:
                values[name] = default
        except ValueError:
            log.warning("reports.config_rule_unreadable", queue=queue.get("name"), key=name)
            values[name] = default
    return QueueRules(**values)


RulesByQueue = Mapping[str, QueueRules]
"""Rules per queue name; a queue missing from the mapping gets the `QueueRules` defaults."""


def data_seconds(event: CallEvent, name: str) -> float:
    """A duration field of an event's data (``wait``, ``talk``, ``wrap_up``); 0 if absent."""
    value = event.data.get(name)
    return float(value) if isinstance(value, int | float) else 0.0


@dataclass(frozen=True, slots=True)
class SurveyScore:
    """One rated call: the average of its survey answers, with its queue and agent.

    ``at`` places it in a bucket: when the call was queued (or arrived, if never queued).
    """

    at: datetime
    score: float
    queue: str | None = None
    agent: str | None = None


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One queue over one bucket (or over the whole period, in a report's totals).

    Counts are of calls that *entered* the queue in the bucket; their answers, abandons
    and handling count there even when they happened later. Voice calls only, except
    ``handled``, ``aht``, ``avg_talk`` and ``avg_wrap_up``, which count callback entries too
    (agent work), exactly as the live core does.
    """

    start: datetime
    end: datetime
    queue: str
    offered: int
    answered: int
    abandoned: int
    """Abandons after the short-abandon threshold."""
    short_abandoned: int
    overflowed: int
    timed_out: int
    callbacks: int
    """Callers who asked to be called back instead of waiting (live: callback requests)."""
    answered_within_threshold: int
    handled: int
    service_level: float | None
    """``answered_within_threshold`` / ``service_level_calls``: each call judged by its
    queue's rules (threshold, short-abandon threshold, formula) in force when it entered."""
    asa: float | None
    aht: float | None
    avg_talk: float | None
    avg_wrap_up: float | None
    abandon_rate: float | None
    max_wait: float | None
    """Longest wait of a call that left the line (answered, abandoned, overflowed ...)."""
    survey_average: float | None
    survey_count: int
    service_level_calls: int = 0
    """The service level's denominator: the calls it counts, each by the formula in force
    when it entered (answered + abandoned by default; every offered call, or the answered
    ones, under the other formulas)."""
    service_level_target: float = 0.8
    """The share of ``service_level_calls`` that should have been answered within the
    threshold: the mean of the targets in force when each entered (the target of the day,
    unless it changed); with no such call, the target in force at the row's last entry."""


@dataclass(frozen=True, slots=True)
class AgentRow:
    """One agent over one bucket (or the whole period): what they did, and their time.

    Counts fall in the bucket where they happened (``handled`` when wrap-up ended). Times
    are state intervals clipped to the bucket's edges; ``logged_in_time`` is their sum.
    """

    start: datetime
    end: datetime
    agent: str
    offers: int
    answered: int
    ring_no_answer: int
    rejects: int
    handled: int
    handle_time: float
    """Talk + wrap-up of the calls handled in the bucket (AHT's numerator)."""
    aht: float | None
    logged_in_time: float
    ready_time: float
    ringing_time: float
    talk_time: float
    wrap_up_time: float
    paused_time: float
    paused_by_reason: tuple[tuple[str, float], ...]
    """(reason, seconds) sorted by reason; the core's own reasons (logged-in, ...) included."""
    occupancy: float | None
    """(talk + wrap-up) / (talk + wrap-up + ready + ringing), as the live core computes it."""
    survey_average: float | None
    survey_count: int
    agent_name: str = ""
    """The agent's name as the configuration and the wallboard give it (set by the web's
    report route; the event log knows only ids)."""


@dataclass(frozen=True, slots=True)
class QueueReport:
    """Queue rows per bucket (by start, then queue) and one totals row per queue."""

    since: datetime
    until: datetime
    bucket: Bucket
    tz: ZoneInfo
    rows: tuple[QueueRow, ...]
    totals: tuple[QueueRow, ...]


@dataclass(frozen=True, slots=True)
class AgentReport:
    """Agent rows per bucket (by start, then agent) and one totals row per agent."""

    since: datetime
    until: datetime
    bucket: Bucket
    tz: ZoneInfo
    rows: tuple[AgentRow, ...]
    totals: tuple[AgentRow, ...]
