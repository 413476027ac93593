"""The inputs of the ACD core: facts that happened, and requests people made.

Strategy: every input is a small frozen dataclass, named in the past tense, carrying ``now``
in epoch seconds. Two families share the vocabulary:

* agent requests (`AgentLoggedIn`, `AgentReady`, `AgentPaused`, `AgentLoggedOut`) come from
  the web API; an illegal one raises a domain error and changes nothing;
* `ConfigurationChanged` (the store applies a new configuration version) is a request too:
  refused with `ConfigurationRefused` when it would lose a call or an agent's work;
* telephony and timer facts (everything else) come from Asterisk, the IVR or the shell's
  timers; they never raise, and one the core cannot apply (stale, duplicate, unknown) is
  answered with a `StaleFact` command.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from acd.config import AcdSettings
from acd.types import Seconds, TimerKey


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every input: when it happened, in epoch seconds."""

    now: Seconds


@dataclass(frozen=True, slots=True)
class AgentRequestEvent(Event):
    """Base of the requests an agent or supervisor makes; these may raise `AcdError`."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class AgentLoggedIn(AgentRequestEvent):
    """The agent logged in, ready at once or (by default) not ready until they say so."""

    ready: bool = False


@dataclass(frozen=True, slots=True)
class AgentReady(AgentRequestEvent):
    """The agent asked to take calls (also ends wrap-up early)."""


@dataclass(frozen=True, slots=True)
class AgentPaused(AgentRequestEvent):
    """The agent went not ready with a configured reason code (break, lunch ...)."""

    reason: str


@dataclass(frozen=True, slots=True)
class AgentLoggedOut(AgentRequestEvent):
    """The agent logged out (refused while they are talking)."""


@dataclass(frozen=True, slots=True)
class CallMoveRequested(Event):
    """A supervisor moves a waiting call to another queue; raises `AcdError` when it cannot.

    The call joins the new queue as an arrival there (its wait in the new queue starts now,
    as with an overflow), keeping its priority and call-specific skills.
    """

    call_id: str
    queue: str


@dataclass(frozen=True, slots=True)
class CallQueued(Event):
    """The IVR put a caller in a queue.

    ``priority`` grows with importance (the VIP tier maps to a higher number); ``skills``
    adds call-specific requirements (e.g. a language from the IVR) to the queue's own.
    ``server``: the Asterisk server the caller is on (None: any, e.g. one server only);
    only agents whose phones are there are offered the call. ``default_server``: that
    server is the default one (the first configured), so agents with no server set are
    there too.
    """

    call_id: str
    queue: str
    priority: int = 0
    skills: Mapping[str, int] = field(default_factory=dict)
    server: str | None = None
    default_server: bool = False


@dataclass(frozen=True, slots=True)
class CallbackRequested(Event):
    """A caller asked to be called back instead of waiting.

    When ``replaces_call_id`` names a call still waiting, that call ends (outcome callback)
    and the callback entry takes its place in line; otherwise the entry joins at the back.
    """

    callback_id: str
    queue: str
    priority: int = 0
    skills: Mapping[str, int] = field(default_factory=dict)
    replaces_call_id: str | None = None


@dataclass(frozen=True, slots=True)
class VoicemailQueued(Event):
    """A message a caller left becomes work in a queue, routed to a skilled agent like a
    call with its own priority (`CallKind.VOICEMAIL`); it joins the line at the back."""

    call_id: str
    queue: str
    priority: int = 0
    skills: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OfferAnswered(Event):
    """The agent answered the offered call and is now connected to the caller."""

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferRejected(Event):
    """The agent declined the offered call."""

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferTimedOut(Event):
    """The agent's phone rang out (PBX ring timeout, or the originate failed)."""

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferLost(Event):
    """The offer vanished through no fault of the agent (the PBX link or the service went
    down while the phone rang): the call goes back to its place, the agent stays ready."""

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferFailed(Event):
    """The PBX could not place the offer: neither the agent nor the caller is to blame.

    No media port, congestion, an Originate Asterisk refused, no link to Asterisk: the
    call goes back to its place in line, and the agent stays ready but is offered nothing
    until a retry delay has passed (`AcdSettings.pbx_retry_seconds`, doubling with every
    PBX failure in a row up to `pbx_retry_max_seconds`), so a failing PBX is not hammered.
    An offer the PBX did place (answered, rejected, rung out) ends the run of failures.
    ``cause`` says what failed, for the event log.
    """

    call_id: str
    agent_id: str
    cause: str = ""


@dataclass(frozen=True, slots=True)
class CallerHungUp(Event):
    """The caller left: an abandon while waiting or ringing, the end of talk once connected.

    For a callback entry it means the callback was cancelled.
    """

    call_id: str


@dataclass(frozen=True, slots=True)
class CallEnded(Event):
    """A connected call finished (either side hung up)."""

    call_id: str


@dataclass(frozen=True, slots=True)
class WrapUpEnded(Event):
    """The agent finished wrap-up from their desktop (the wrap-up timer does the same)."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class TimerFired(Event):
    """A timer armed by a `StartTimer` command reached its time."""

    key: TimerKey


@dataclass(frozen=True, slots=True)
class MetricsReset(Event):
    """Start a new reporting period (e.g. at midnight): counters and calls-today restart."""


@dataclass(frozen=True, slots=True)
class QueueHoursChanged(Event):
    """A queue opens or closes by its opening hours (the shell reads the calendar; the
    core keeps no clock of its own).

    While closed, each voice call that arrives goes to the queue's overflow target at once
    (voicemail, a callback offer, another queue), or away when it has none; calls already
    waiting as it closes stay in line and are answered.
    """

    queue: str
    open: bool


@dataclass(frozen=True, slots=True)
class ConfigurationChanged(Event):
    """A new configuration version takes effect now (raises `ConfigurationRefused`).

    The whole of ``settings`` replaces the configuration in force; live state is carried
    over (see `Acd.handle`). ``version`` is the store's version number, logged on the
    config record so the event log shows when each version took effect.
    """

    settings: AcdSettings
    version: int
