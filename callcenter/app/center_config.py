"""The center's configuration that is data: the ACD's queues and agents, and everything
else a supervisor or admin changes while the center runs.

Strategy: one document, versioned as a whole in the database (`callcenter.db.config_versions`),
so a rollback restores queues, dialled numbers and hours together and one diff tells what a
change did. `CenterConfig` extends the ACD's own model (`acd.config.AcdSettings`): the ACD
keys stay where they were (a document stored before the other sections existed is still a
valid document; the service stores the sections it lacks from the settings file as a new
version), and the pure core is handed only its part (`CenterConfig.acd`). The other
sections replace, live, what used to be read from the settings file at start:

- `dialled_numbers`, `default_flow`: which flow answers a dialled number (`ivr.dnis`,
  `ivr.default_flow`);
- `calendars`: opening hours and holidays by name; a flow's `opening_hours` node that names
  one of them uses this one, not the copy in the flow file (`ivr_flows.calendar`), and
  `queue_hours` opens and closes queues by them (`callcenter.live.queue_hours`);
- `dispositions`, `ticket_categories` (hours within which a ticket is due): what the
  desktop offers (`web.dispositions`, `cti.ticket_promises_h`);
- `supervisors`: the queues each supervisor oversees (`web.supervisor_queues`);
- `alerts`: when the wallboard raises an alert, per queue or for all;
- `followups`: per ticket category, whether a resolved ticket's follow-up call is made by
  an agent or is the automated IVR call, its delay, attempts and spacing.

Service settings that need a restart (ports, database, AMI servers, FastAGI scripts) stay in
the file. Everything here is validated where it enters, with the key named; a name or number
that reaches the dialplan is held to a strict pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from acd.config import AcdSettings
from callcenter.app.settings import (
    DIALLED_NUMBER,
    FLOW_NAME,
    Settings,
    flow_routes,
    keys_as_text,
)
from cti.followups import FollowUpMode, FollowUpRule
from ivr_flows import Flow
from ivr_flows.calendar import WEEKDAYS, Calendar, Weekday, format_range, zone

CALENDAR_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _./-]{0,63}")
"""A disposition or ticket category: shown on the desktop and stored with interactions."""

ACD_KEYS = frozenset(AcdSettings.model_fields)
"""The document's keys that are the ACD core's."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OpeningHours(_Model):
    """A calendar as the document writes it: `{"mon": ["08:00-18:00"]}`, holidays as
    `MM-DD` (every year) or `YYYY-MM-DD`; checked by `ivr_flows.calendar.Calendar`."""

    timezone: str | None = None
    weekly: dict[Weekday, tuple[str, ...]] = Field(default_factory=dict)
    holidays: tuple[str, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name: str | None) -> str | None:
        if name is not None:
            zone(name)
        return name

    @field_validator("weekly")
    @classmethod
    def _ranges(cls, weekly: dict[Weekday, tuple[str, ...]]) -> dict[Weekday, tuple[str, ...]]:
        for day, ranges in weekly.items():
            for hours in ranges:
                _calendar_problem({"weekly": {day: [hours]}}, prefix=f"{day}: ")
        return weekly

    @field_validator("holidays")
    @classmethod
    def _days(cls, holidays: tuple[str, ...]) -> tuple[str, ...]:
        for day in holidays:
            _calendar_problem({"holidays": [day]})
        return holidays

    def calendar(self) -> Calendar:
        """The pure core's calendar."""
        return Calendar.model_validate(
            {"timezone": self.timezone, "weekly": self.weekly, "holidays": self.holidays}
        )

    @classmethod
    def of(cls, calendar: Calendar) -> OpeningHours:
        """`calendar` in the document's form."""
        return cls(
            timezone=calendar.timezone,
            weekly={
                day: tuple(format_range(r) for r in calendar.weekly[day])
                for day in WEEKDAYS
                if day in calendar.weekly
            },
            holidays=calendar.holidays,
        )


def _calendar_problem(fields: dict[str, Any], prefix: str = "") -> None:
    # The pure core's calendar says what is wrong with a range or a date; its words are
    # raised here so the problem is named at the document's key.
    try:
        Calendar.model_validate(fields)
    except ValidationError as exc:
        message = str(exc.errors(include_url=False)[0]["msg"]).removeprefix("Value error, ")
        raise ValueError(prefix + message) from None


class AlertThresholds(_Model):
    """When the wallboard raises an alert for a queue. None: the queue's own target."""

    service_level_below: float | None = Field(default=None, gt=0, le=1)
    """Alert when the day's service level is below this (None: the queue's target)."""
    longest_wait_seconds: float | None = Field(default=None, gt=0)
    """Alert when a caller has waited longer (None: the queue's service-level threshold)."""
    calls_waiting_above: int | None = Field(default=None, ge=0)
    """Alert when more callers than this wait (None: no such alert)."""


class Alerts(_Model):
    """The wallboard's alert thresholds: for every queue, and per queue where it differs."""

    default: AlertThresholds = AlertThresholds()
    queues: dict[str, AlertThresholds] = Field(default_factory=dict)

    def for_queue(self, queue: str) -> AlertThresholds:
        """The thresholds in force for `queue`."""
        return self.queues.get(queue, self.default)


MISSES = ("busy", "no-answer", "rejected", "failed", "not-dialled", "not-reached")
"""The results of an attempt that missed the customer (`callcenter.db.AttemptResult`)."""


class RetryPolicy(_Model):
    """How a callback request is tried again after a miss: at most `max_attempts` tries,
    each miss followed by a wait that depends on what happened (a busy line is free again
    sooner than a customer who did not answer is back)."""

    max_attempts: int = Field(default=3, ge=1, le=20)
    retry_seconds: float = Field(default=300.0, gt=0, le=86_400)
    """The wait after a miss not listed in `by_result`."""
    by_result: dict[str, float] = Field(default_factory=dict)
    """Miss -> the wait after it (busy, no-answer, rejected, failed, not-dialled, not-reached)."""

    @field_validator("by_result")
    @classmethod
    def _known_misses(cls, waits: dict[str, float]) -> dict[str, float]:
        for result, seconds in waits.items():
            if result not in MISSES:
                raise ValueError(f"{result!r} is not a miss (one of: {', '.join(MISSES)})")
            if not 0 < seconds <= 86_400:
                raise ValueError(f"{result}: a wait of 1 s to a day, not {seconds!r}")
        return waits

    def wait_after(self, result: str) -> float:
        """Seconds before the next try after a miss of kind `result`."""
        return self.by_result.get(result, self.retry_seconds)


class CallbackRetries(_Model):
    """The retry policy of callbacks: for every queue, and per queue where it differs."""

    default: RetryPolicy = RetryPolicy()
    queues: dict[str, RetryPolicy] = Field(default_factory=dict)

    def for_queue(self, queue: str | None) -> RetryPolicy:
        """The policy in force for `queue`."""
        return self.queues.get(queue or "", self.default)


class FollowUpPolicy(_Model):
    """How the follow-up call of a resolved ticket is made (`cti.followups`): by an agent
    (agent-first, as a callback) or `automated` (the service dials the customer, the IVR
    asks "are you satisfied?" and records the key); for an automated call its delay after
    the resolution, the calls that may miss the customer and the wait after each miss."""

    mode: FollowUpMode = FollowUpMode.AGENT
    delay_hours: float = Field(default=24.0, ge=0, le=720)
    max_attempts: int = Field(default=3, ge=1, le=10)
    retry_minutes: float = Field(default=120.0, ge=1, le=10_080)

    def rule(self) -> FollowUpRule:
        """The pure core's rule."""
        return FollowUpRule(self.mode, self.delay_hours, self.max_attempts, self.retry_minutes)


class FollowUps(_Model):
    """The follow-up calls: one policy for every ticket category, and per category where
    it differs."""

    default: FollowUpPolicy = FollowUpPolicy()
    categories: dict[str, FollowUpPolicy] = Field(default_factory=dict)

    def for_category(self, category: str) -> FollowUpRule:
        """The rule in force for tickets of `category`."""
        return self.categories.get(category, self.default).rule()


DEFAULT_DISPOSITIONS = (
    "inquiry",
    "order",
    "complaint",
    "technical",
    "billing",
    "callback-promised",
    "wrong-number",
)


class CenterConfig(AcdSettings):
    """The whole configuration that is data: the ACD's keys and the center's."""

    dialled_numbers: dict[str, str] = Field(default_factory=dict)
    """Dialled number -> the flow that answers it."""
    default_flow: str = "main_hotline"
    """The flow for a number not listed."""
    calendars: dict[str, OpeningHours] = Field(default_factory=dict)
    """Opening hours and holidays by name, as flows' `opening_hours` nodes name them."""
    queue_hours: dict[str, str] = Field(default_factory=dict)
    """Queue -> the calendar that opens and closes it; a call that arrives while its queue
    is closed goes to the queue's overflow at once. A queue not named is always open."""
    dispositions: tuple[str, ...] = Field(default=DEFAULT_DISPOSITIONS, min_length=1)
    ticket_categories: dict[str, float] = Field(
        default_factory=lambda: {"complaint": 48.0, "request": 72.0, "inquiry": 24.0}
    )
    """Ticket category -> hours within which a ticket is due."""
    supervisors: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Supervisor login -> the queues they oversee; a supervisor not named sees all."""
    alerts: Alerts = Alerts()
    callback_retries: CallbackRetries = CallbackRetries()
    """How often and how soon a missed callback is tried again, per queue."""
    followups: FollowUps = FollowUps()
    """Who makes the follow-up call of a resolved ticket, per category."""

    _keys_as_text = field_validator("dialled_numbers", mode="before")(keys_as_text)

    @field_validator("dialled_numbers")
    @classmethod
    def _numbers(cls, routes: dict[str, str]) -> dict[str, str]:
        return flow_routes(routes, DIALLED_NUMBER, "a dialled number (digits, *, #, +)")

    @field_validator("default_flow")
    @classmethod
    def _flow(cls, name: str) -> str:
        if FLOW_NAME.fullmatch(name) is None:
            raise ValueError(f"{name!r} is not a flow name (lower case, digits, _)")
        return name

    @field_validator("calendars")
    @classmethod
    def _calendar_names(cls, calendars: dict[str, OpeningHours]) -> dict[str, OpeningHours]:
        bad = [name for name in calendars if CALENDAR_NAME.fullmatch(name) is None]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a calendar name (letters, digits, _ and -)")
        return calendars

    @field_validator("dispositions")
    @classmethod
    def _dispositions(cls, labels: tuple[str, ...]) -> tuple[str, ...]:
        _check_labels(labels, "disposition")
        return labels

    @field_validator("ticket_categories")
    @classmethod
    def _categories(cls, promises: dict[str, float]) -> dict[str, float]:
        _check_labels(tuple(promises), "ticket category")
        if not promises:
            raise ValueError("at least one ticket category")
        bad = sorted(category for category, hours in promises.items() if not 0 < hours <= 8760)
        if bad:
            raise ValueError(f"due within 0-8760 hours: {', '.join(bad)}")
        return promises

    @model_validator(mode="after")
    def _queues_named_exist(self) -> Self:
        known = {queue.name for queue in self.queues}
        for supervisor, queues in self.supervisors.items():
            if LABEL.fullmatch(supervisor) is None:
                raise ValueError(f"supervisors: {supervisor!r} is not a login name")
            for queue in queues:
                if queue not in known:
                    raise ValueError(f"supervisors.{supervisor}: no queue {queue!r}")
        for queue in self.alerts.queues:
            if queue not in known:
                raise ValueError(f"alerts.queues: no queue {queue!r}")
        for category in self.followups.categories:
            if category not in self.ticket_categories:
                names = ", ".join(self.ticket_categories)
                raise ValueError(
                    f"followups.categories: no ticket category {category!r} (categories: {names})"
                )
        for queue in self.callback_retries.queues:
            if queue not in known:
                raise ValueError(f"callback_retries.queues: no queue {queue!r}")
        for queue, calendar in self.queue_hours.items():
            if queue not in known:
                raise ValueError(f"queue_hours: no queue {queue!r}")
            if calendar not in self.calendars:
                names = ", ".join(self.calendars) or "none"
                raise ValueError(
                    f"queue_hours.{queue}: no calendar {calendar!r} (calendars: {names})"
                )
        return self

    @property
    def acd(self) -> AcdSettings:
        """The part the ACD core runs."""
        return AcdSettings.model_validate(
            {key: getattr(self, key) for key in AcdSettings.model_fields}
        )

    def calendar_objects(self) -> dict[str, Calendar]:
        """The calendars as the flows' interpreter reads them."""
        return {name: hours.calendar() for name, hours in self.calendars.items()}


def _check_labels(labels: tuple[str, ...], what: str) -> None:
    for label in labels:
        if LABEL.fullmatch(label) is None:
            raise ValueError(
                f"{label!r} is not a {what} (letters, digits, space, _ . / -; up to 64)"
            )
    seen: set[str] = set()
    for label in labels:
        if label in seen:
            raise ValueError(f"{what} {label!r} is listed twice")
        seen.add(label)


CENTER_KEYS = frozenset(CenterConfig.model_fields) - ACD_KEYS
"""The document's keys beyond the ACD's."""


def from_settings(settings: Settings, calendars: Mapping[str, Calendar]) -> CenterConfig:
    """The document the settings file describes (the seed of a new database): its `acd`
    section, the routes of `ivr`, the lists of `web` and `cti`, and `calendars` (those of
    the flows, so a holiday can be added without editing a flow file)."""
    return CenterConfig.model_validate(
        {
            **settings.acd.model_dump(mode="json"),
            "dialled_numbers": settings.ivr.dnis,
            "default_flow": settings.ivr.default_flow,
            "calendars": {name: OpeningHours.of(c) for name, c in calendars.items()},
            "dispositions": settings.web.dispositions,
            "ticket_categories": settings.cti.ticket_promises_h,
            "supervisors": settings.web.supervisor_queues,
            "callback_retries": {
                "default": {
                    "max_attempts": settings.telephony.callback_max_attempts,
                    "retry_seconds": settings.telephony.callback_retry_s,
                }
            },
        }
    )


def seed_from_files(settings: Settings) -> CenterConfig:
    """The seed `from_settings` with the calendars of the flow files in `ivr.flows_dir`
    (none if they cannot be read: the service, which refuses broken flows, says why)."""
    from callcenter.ivr.loader import FlowLoadError, load_flow_dir  # noqa: PLC0415

    try:
        calendars = flow_calendars(load_flow_dir(settings.ivr.flows_dir))
    except FlowLoadError:
        calendars = {}
    return from_settings(settings, calendars)


def flow_calendars(flows: Iterable[Flow]) -> dict[str, Calendar]:
    """The calendars the flows define, by name (the first flow's where two share one)."""
    found: dict[str, Calendar] = {}
    for flow in flows:
        for name, calendar in flow.calendars.items():
            found.setdefault(name, calendar)
    return found


def missing_sections(document: Mapping[str, Any]) -> list[str]:
    """The center's sections a stored document lacks (stored before they existed)."""
    return sorted(CENTER_KEYS - document.keys())


def settings_with(settings: Settings, center: CenterConfig) -> Settings:
    """`settings` with what `center` holds in place of the file's values, so every reader
    of the settings (pages, routes, checks) sees the configuration in force."""
    return settings.model_copy(
        update={
            "acd": center.acd,
            "ivr": settings.ivr.model_copy(
                update={"dnis": dict(center.dialled_numbers), "default_flow": center.default_flow}
            ),
            "web": settings.web.model_copy(
                update={
                    "dispositions": list(center.dispositions),
                    "supervisor_queues": {s: list(q) for s, q in center.supervisors.items()},
                }
            ),
            "cti": settings.cti.model_copy(
                update={"ticket_promises_h": dict(center.ticket_categories)}
            ),
        }
    )
