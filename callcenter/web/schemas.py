"""The API's request and response shapes (pydantic), which the OpenAPI document is built from.

Strategy: requests forbid unknown fields and bound every string, so a typo or a flood is a
422 naming the field; responses are plain models the routes fill from the live views and
the repositories. Times of day are ISO 8601; live durations are seconds.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)
from pydantic_core import PydanticCustomError

Name = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
MAX_ID = 2**63 - 1
"""The largest row id the databases store (a larger one is a 422, not an overflow)."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginIn(_In):
    """Credentials."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class UserOut(BaseModel):
    """The logged-in user."""

    username: str
    role: Literal["agent", "supervisor", "admin"]
    display_name: str
    agent_id: str | None
    queues: list[str] | None
    """Queues this user sees; null means every queue."""


class SessionOut(BaseModel):
    """A session: who, and the token every change must echo in X-CSRF-Token."""

    user: UserOut
    csrf_token: str


class StateChangeIn(_In):
    """An agent state request."""

    state: Literal["logged_in", "ready", "not_ready", "logged_out"]
    reason: str | None = Field(None, min_length=1, max_length=32)


class AgentOut(BaseModel):
    """An agent's live state and figures."""

    agent_id: str
    name: str
    state: Literal["logged_out", "ready", "reserved", "on_call", "wrap_up", "not_ready"]
    reason: str | None
    since: float
    time_in_state: float
    call_id: str | None
    queues: list[str]
    calls_today: int
    handled: int
    aht: float | None
    occupancy: float | None
    wrap_up_ends: float | None
    moves: list[Literal["logged_in", "ready", "not_ready", "logged_out"]] = Field(
        default_factory=list
    )
    """The state changes the core accepts from this state (a supervisor's dialog offers
    only these)."""
    server: str | None = None
    """The Asterisk server the agent's phone is at (`asterisk.servers`; their entry's, else
    the default server): they are offered only that server's calls."""


class QueueOut(BaseModel):
    """A queue's live figures (definitions in docs/ARCHITECTURE.md, "Metric definitions")."""

    queue: str
    calls_waiting: int
    callbacks_waiting: int
    calls_ringing: int
    longest_wait: float
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    overflowed: int
    timed_out: int
    callback_requests: int
    service_level: float | None
    service_level_target: float
    service_level_seconds: float
    asa: float | None
    aht: float | None
    abandon_rate: float | None
    estimated_wait: float | None
    agents_needed: int | None
    staffed: int
    occupancy: float | None
    arrival_rate: float | None
    agents_by_state: dict[str, int]
    open: bool = True
    """False while the queue's opening hours keep it closed: new calls overflow."""


class CallOut(BaseModel):
    """A call waiting or ringing."""

    call_id: str
    queue: str
    kind: Literal["voice", "callback"]
    state: Literal["waiting", "offered", "connected"]
    priority: int
    position: int | None
    waited: float
    estimated_wait: float | None
    agent_id: str | None
    caller: str | None
    customer_name: str | None
    tier: str | None
    server: str | None = None
    """The Asterisk server the caller's channel is on (None: not known yet, a callback)."""


class PublicConfigOut(BaseModel):
    """The choices the desktop offers."""

    pause_reasons: list[str]
    dispositions: list[str]
    queues: list[str]
    ticket_categories: list[str]
    ticket_statuses: list[str]
    timezone: str = "UTC"
    """The call center's time zone (`ivr.timezone`): pages show every time in it."""
    agents: dict[str, str] = Field(default_factory=dict)
    """The configured agents' names by id (the id where no name is set)."""


class MoveIn(_In):
    """Move a waiting call."""

    queue: str = Field(min_length=1, max_length=64)


class SpyIn(_In):
    """Listen to, whisper to or barge into an agent's call."""

    mode: Literal["listen", "whisper", "barge"]


class SpyOut(BaseModel):
    """The supervisor's phone is ringing into the call."""

    status: Literal["ringing"]
    endpoint: str


class InteractionQuery(_In):
    """Interaction search."""

    q: str | None = Field(None, max_length=100)
    queue: str | None = Field(None, max_length=64)
    agent: str | None = Field(None, max_length=64)
    since: datetime | None = None
    until: datetime | None = None
    limit: int = Field(100, ge=1, le=500)


class InteractionPatchIn(_In):
    """What the agent writes about a call."""

    notes: str | None = Field(None, max_length=10_000)
    disposition: str | None = Field(None, min_length=1, max_length=64)
    ticket_id: int | None = Field(None, ge=1, le=MAX_ID)


class InteractionOut(BaseModel):
    """One call's record."""

    uniqueid: str
    customer_id: int | None
    customer_name: str | None
    caller_number: str | None
    dialled_number: str | None
    queue: str | None
    agent: str | None
    arrived_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: str | None
    disposition: str | None
    notes: str
    ivr_path: list[str]
    ivr_data: dict[str, str]
    survey_scores: dict[str, int]
    ticket_ids: list[int]


class CustomerQuery(_In):
    """Customer lookup: by phone, by account, or free text."""

    phone: str | None = Field(None, max_length=32)
    account: str | None = Field(None, max_length=64)
    q: str | None = Field(None, max_length=100)
    limit: int = Field(50, ge=1, le=200)


class CustomerIn(_In):
    """A new customer."""

    name: str = Field(min_length=1, max_length=200)
    account: str = Field(min_length=1, max_length=64)
    tier: Literal["vip", "gold", "standard", "new"] = "standard"
    language: str | None = Field(None, max_length=16)
    phones: list[str] = Field(default_factory=list, max_length=10)
    notes: str = Field("", max_length=10_000)


class CustomerPatchIn(_In):
    """Changes to a customer (absent fields stay as they are)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    tier: Literal["vip", "gold", "standard", "new"] | None = None
    language: str | None = Field(None, max_length=16)
    phones: list[str] | None = Field(None, max_length=10)
    notes: str | None = Field(None, max_length=10_000)


class CustomerOut(BaseModel):
    """A customer."""

    id: int | None
    name: str
    account: str | None
    tier: str
    language: str | None
    notes: str
    phones: list[str]


class TicketQuery(_In):
    """Ticket list filters."""

    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    status: str | None = Field(None, max_length=16)
    limit: int = Field(100, ge=1, le=500)


class TicketIn(_In):
    """A new ticket, optionally for the call at hand."""

    customer_id: int = Field(ge=1, le=MAX_ID)
    category: str = Field(min_length=1, max_length=32)
    subject: str = Field(min_length=1, max_length=200)
    interaction_uniqueid: str | None = Field(None, max_length=64)
    note: str = Field("", max_length=10_000)
    """The first entry of the ticket's history (the subject when empty)."""


class TicketPatchIn(_In):
    """Move a ticket along its workflow."""

    status: Literal["open", "in_progress", "resolved", "confirmed", "reopened"]
    note: str = Field("", max_length=10_000)


class TicketHistoryOut(BaseModel):
    """One step of a ticket's life."""

    at: datetime
    from_status: str | None
    to_status: str
    actor: str | None
    note: str


class TicketOut(BaseModel):
    """A ticket (with its history when asked for one ticket)."""

    id: int
    category: str
    subject: str
    status: str
    due_at: datetime
    owner: str | None
    overdue: bool
    history: list[TicketHistoryOut] | None = None


class CallbackQuery(_In):
    """Callback list filter."""

    status: Literal["pending", "done", "failed", "cancelled"] | None = "pending"
    queue: str | None = Field(None, max_length=64)
    limit: int = Field(100, ge=1, le=500)


class CallbackCancelIn(_In):
    """Call a callback off."""

    reason: str = Field("", max_length=500)


class CallbackRescheduleIn(_In):
    """Move a callback to a later window (its end: two hours after its start by default)."""

    window_start: datetime
    window_end: datetime | None = None

    @field_validator("window_start", "window_end")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("a time with its zone or offset (e.g. 2026-12-05T09:00:00+01:00)")
        return value


class CallbackAttemptOut(BaseModel):
    """One try at calling the customer back."""

    at: datetime
    agent: str | None
    result: str
    """reached, busy, no-answer, rejected, failed, not-dialled (or not-reached)."""


class CallbackOut(BaseModel):
    """A callback request: pending until the customer is reached (done) or the attempts
    run out (failed)."""

    id: int
    number: str
    customer_id: int | None
    customer_name: str | None
    queue: str | None
    window_start: datetime
    window_end: datetime
    attempts: int
    max_attempts: int = 3
    """The attempts its queue's retry policy allows (the configuration in force): the
    desk shows the one under way as "attempt 2 of 3"."""
    status: str
    last_attempt_at: datetime | None
    history: list[CallbackAttemptOut]
    """The attempts, oldest first."""
    name: str | None = None
    """The name the customer gave (the web form), when not a known customer's."""
    channel: str = "ivr"
    """Where the request came from: ivr, web, followup, voicemail."""
    scheduled: bool = False
    """Waiting for its window: put in line at its start."""
    overdue: bool = False
    """Pending, and its window ends within 30 minutes: at its end the request fails
    ("window missed"), nobody is rung for it after."""
    reason: str | None = None
    """Why a failed request failed: "attempts used up" or "window missed"."""


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _day_or_moment(value: object) -> object:
    """`YYYY-MM-DD` is a day; anything with a time of day is a moment, midnight included.

    Left to itself pydantic reads `2024-03-08T00:00` as the date 2024-03-08, and a day as
    `until` then covers one day more than the moment asked for.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    return date.fromisoformat(text) if _DAY.fullmatch(text) else datetime.fromisoformat(text)


DayOrMoment = Annotated[date | datetime, BeforeValidator(_day_or_moment)]
"""A day (`until`: that day included) or a moment (exclusive), in the center's time zone
unless it names its own offset."""


class ReportQuery(_In):
    """A historical report's period and grouping."""

    since: DayOrMoment
    until: DayOrMoment
    bucket: Literal["15min", "hour", "day"] = "hour"
    queue: str | None = Field(None, max_length=64)
    agent: str | None = Field(None, max_length=64)
    format: Literal["json", "csv"] = "json"


class CallbackReportRow(BaseModel):
    """One queue's callbacks requested in the period (definitions in
    `callcenter.reports.callbacks`)."""

    queue: str
    requests: int
    by_channel: dict[str, int]
    attempts: int
    reached: int
    failed: int
    cancelled: int
    pending: int
    overdue: int
    success_rate: float | None
    """Reached / (reached + failed)."""
    avg_time_to_callback_s: float | None
    max_time_to_callback_s: float | None


class CallbackReportOut(BaseModel):
    """The callbacks report: a row per queue."""

    since: datetime
    until: datetime
    timezone: str
    rows: list[CallbackReportRow]


class ReportOut(BaseModel):
    """Rows of a report, one per bucket and queue (or agent), then the totals."""

    since: datetime
    until: datetime
    bucket: str
    timezone: str
    rows: list[dict[str, Any]]
    totals: list[dict[str, Any]]


class UserIn(_In):
    """A new user."""

    username: str = Name
    password: str = Field(min_length=1, max_length=256)
    role: Literal["agent", "supervisor", "admin"]
    display_name: str = Field("", max_length=200)


class UserPatchIn(_In):
    """Changes to a user; a change of role, password or activity ends their sessions."""

    role: Literal["agent", "supervisor", "admin"] | None = None
    display_name: str | None = Field(None, max_length=200)
    active: bool | None = None
    password: str | None = Field(None, min_length=1, max_length=256)


class UserAdminOut(BaseModel):
    """A user as admins see them."""

    username: str
    role: str
    display_name: str
    active: bool
    warning: str | None = None
    """On creation: why the new login cannot work yet (an agent not in `acd.agents`)."""


class ReloadOut(BaseModel):
    """The outcome of a flow reload."""

    reloaded: bool
    problems: list[str]


class ConfigChangeOut(BaseModel):
    """One difference between two configuration versions, at a key path
    (`queues[billing].ring_timeout_seconds`; list entries by their id or name)."""

    op: Literal["added", "removed", "changed"]
    path: str
    old: Any = None
    new: Any = None


class ConfigVersionOut(BaseModel):
    """One version of the ACD configuration: who stored it, when, why, and what changed
    against the version before it (`summary` in one line, `changes` key by key)."""

    version: int
    author: str
    created_at: datetime
    comment: str
    summary: str
    changes: list[ConfigChangeOut]
    document: dict[str, Any] | None = None
    """The whole configuration (in the answers that show one version)."""


class ConfigVersionsQuery(_In):
    """How many versions to list, newest first."""

    limit: int = Field(50, ge=1, le=1000)


class ConfigIn(_In):
    """A new ACD configuration: the whole document (as `GET /api/config/acd` shows it)."""

    document: dict[str, Any]
    comment: str = Field("", max_length=2000)
    base_version: int | None = Field(None, ge=1, le=MAX_ID)
    """The version this change was made from: refused (409) if another is current now."""


class RollbackIn(_In):
    """Why a version is restored."""

    comment: str = Field("", max_length=2000)


ALL_QUEUES = "*"
"""A synthetic load's queue that stands for every queue in force (the user's, for a
supervisor) without a load of its own."""
MAX_CALLS_PER_HOUR = 10_000.0
"""The highest arrival rate a synthetic hour may have."""
RATE_COUNTS = (24, 96)
"""A synthetic profile has a rate per hour (24) or per 15 minutes (96), from midnight."""


def _rates_per_day(value: list[float]) -> list[float]:
    if len(value) not in RATE_COUNTS:
        raise PydanticCustomError(
            "rate_count",
            "give 24 rates (one per hour from 00:00) or 96 (one per 15 minutes); got {count}",
            {"count": len(value)},
        )
    return value


class SyntheticLoadIn(_In):
    """The load of one queue (or of every queue: ``"*"``) in a made-up day."""

    queue: str = Field(ALL_QUEUES, min_length=1, max_length=64)
    calls_per_hour: Annotated[
        list[Annotated[float, Field(ge=0, le=MAX_CALLS_PER_HOUR, allow_inf_nan=False)]],
        AfterValidator(_rates_per_day),
    ]
    """Arrivals per hour (a Poisson process) for each hour, or each 15 minutes, of the day."""
    aht_seconds: float = Field(gt=0, le=86_400)
    """Mean talk time of an answered call (exponential)."""
    patience_seconds: float | None = Field(None, gt=0, le=86_400)
    """Mean time a caller waits before hanging up (exponential); null: they never do."""


class SyntheticDayIn(_In):
    """A made-up day: loads per queue, drawn with a seed (same seed, same calls). Every agent
    of each configuration is on duty all day."""

    loads: list[SyntheticLoadIn] = Field(min_length=1, max_length=100)
    seed: int = Field(0, ge=0, le=2**31 - 1)


class WhatIfDayIn(_In):
    """The what-if's day when it is not a past one: ``{"synthetic": {...}}``."""

    synthetic: SyntheticDayIn


class WhatIfIn(_In):
    """A day and a change to try on it: a whole ACD document, or a stored version."""

    day: date | dict[str, Any]
    """A day before today, in the center's time zone; or ``{"synthetic": {...}}``
    (`WhatIfDayIn`), checked by the route so that a problem names its key
    (``day.synthetic.loads[0].aht_seconds``)."""
    document: dict[str, Any] | None = None
    """The changed configuration (as `GET /api/config/acd` shows it)."""
    version: int | None = Field(None, ge=1, le=MAX_ID)
    """Or a stored version to compare with the one in force."""


class WhatIfFigures(BaseModel):
    """One queue's figures in one replay (a day, or 15 minutes of it)."""

    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    overflowed: int
    timed_out: int
    unfinished: int
    service_level: float | None
    asa: float | None
    aht: float | None
    abandon_rate: float | None
    occupancy: float | None
    arrival_rate: float
    agents_needed: int | None


class WhatIfRow(BaseModel):
    """One queue (over the day, or in one 15-minute interval) under both configurations;
    a side is null when that configuration has no such queue or no call there."""

    queue: str
    start: datetime
    current: WhatIfFigures | None
    changed: WhatIfFigures | None


class WhatIfOut(BaseModel):
    """A day (past or synthetic) replayed under the configuration in force and the changed
    one."""

    day: date
    """The day replayed (a synthetic day is put on today)."""
    timezone: str
    current_version: int
    changed_version: int | None
    synthetic: bool = False
    """Whether the calls were made up (`SyntheticDayIn`) rather than the event log's."""
    seed: int | None = None
    added_shifts: list[dict[str, Any]] = []
    """Agents the change adds, who have no shift in a past day's log: each works the day's
    staffed span (from the first login to the last logout), starting at `from`."""
    calls: int
    totals: list[WhatIfRow]
    intervals: list[WhatIfRow]
    refused: list[str]
    """Staffing requests of the day that the changed configuration could not take."""
