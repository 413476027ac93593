"""The outputs of the ACD core: intents for the shell to carry out, and notices.

Strategy: `handle()` returns these in the order the shell must act on them. Imperative
commands (`OfferCall`, `CancelOffer`, `StartTimer`, `CancelTimer`, `Announce`, `Overflow`,
`ExitQueue`) become AMI/AGI actions and loop timers; `Record` is one entry of the
append-only event log (queue_log-like: docs/ARCHITECTURE.md, "Persistence");
`PublishAgentState` feeds desktops and wallboards; `StaleFact` reports an input that was
dropped, so nothing fails silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from acd.config import AcdSettings, OverflowKind, RoutingStrategy
from acd.events import Event
from acd.states import AgentState, CallKind, CallOutcome
from acd.types import Requirement, Seconds, TimerKey, describe_requirement


class DecisionTrigger(StrEnum):
    """What made the core look for a match."""

    CALL_QUEUED = "call queued"
    AGENT_AVAILABLE = "agent available"
    REQUIREMENT_RELAXED = "requirement relaxed"
    CALL_REQUEUED = "call requeued"
    CALL_OVERFLOWED = "call overflowed"
    CALL_MOVED = "call moved"
    CONFIGURATION_CHANGED = "configuration changed"
    QUEUE_OPENED = "queue opened"


class OverflowReason(StrEnum):
    """Why a call left its queue for an overflow target."""

    MAX_WAIT = "max-wait"
    NO_AGENTS = "no-agents"
    CLOSED = "closed"
    """The queue was closed by its opening hours when the call arrived."""


class ExitReason(StrEnum):
    """Why a call left the ACD with nowhere to go (outcome timed out)."""

    MAX_WAIT = "max-wait"
    OVERFLOW_LOOP = "overflow-loop"
    CLOSED = "closed"
    """The queue was closed (opening hours) and has no overflow target."""


class RecordKind(StrEnum):
    """Kinds of event-log entries, in the manner of Asterisk's queue_log."""

    ENQUEUE = "enqueue"
    OFFER = "offer"
    CONNECT = "connect"
    RING_NO_ANSWER = "ring-no-answer"
    REJECT = "reject"
    OFFER_WITHDRAWN = "offer-withdrawn"
    OFFER_FAILED = "offer-failed"
    REQUEUE = "requeue"
    RELAX = "relax"
    ABANDON = "abandon"
    COMPLETE = "complete"
    OVERFLOW = "overflow"
    MOVE = "move"
    EXIT = "exit"
    CALLBACK = "callback"
    LOGIN = "login"
    LOGOUT = "logout"
    READY = "ready"
    PAUSE = "pause"
    HANDLED = "handled"
    CONFIG = "config"
    """A configuration version took effect (``detail``: the version number; ``settings``)."""
    HOURS = "hours"
    """A queue opened or closed by its opening hours (``detail``: open or closed)."""


@dataclass(frozen=True, slots=True)
class OfferExplanation:
    """Why this agent got this call: the queue's rule, the relaxation step and the trigger."""

    queue: str
    step: int
    """0 for the queue's own requirement, n for the n-th relaxation step."""
    step_after_seconds: Seconds
    requirement: Requirement
    """The skills in force at that step; empty when any member may answer."""
    strategy: RoutingStrategy
    trigger: DecisionTrigger

    def __str__(self) -> str:
        when = "initial" if self.step == 0 else f"from {self.step_after_seconds:g} s"
        return (
            f"queue {self.queue!r} step {self.step} ({when}): "
            f"{describe_requirement(self.requirement)}; {self.strategy.value} agent; "
            f"on {self.trigger.value}"
        )


@dataclass(frozen=True, slots=True)
class Command:
    """Base of every output."""


@dataclass(frozen=True, slots=True)
class OfferCall(Command):
    """Ring the agent with this call (AMI Originate to the agent, then bridge)."""

    call_id: str
    agent_id: str
    queue: str
    kind: CallKind
    ring_timeout: Seconds
    waited: Seconds
    explanation: OfferExplanation


@dataclass(frozen=True, slots=True)
class CancelOffer(Command):
    """Stop ringing the agent: the offer was withdrawn by the core."""

    call_id: str
    agent_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class StartTimer(Command):
    """Arm a timer; feed `TimerFired(now, key)` back when it is due (replaces none)."""

    key: TimerKey
    at: Seconds


@dataclass(frozen=True, slots=True)
class CancelTimer(Command):
    """Disarm a timer; if it already fired, its `TimerFired` will be reported stale."""

    key: TimerKey


@dataclass(frozen=True, slots=True)
class Announce(Command):
    """Tell a waiting caller their position and/or estimated wait (``None``: leave it out)."""

    call_id: str
    queue: str
    position: int | None
    estimated_wait: Seconds | None


@dataclass(frozen=True, slots=True)
class Overflow(Command):
    """The call left its queue for a target.

    For a queue target the core has already moved the call (the shell may play a message);
    for voicemail or callback the shell takes the caller there and the call ends here.
    """

    call_id: str
    queue: str
    target: OverflowKind
    target_name: str | None
    reason: OverflowReason


@dataclass(frozen=True, slots=True)
class ExitQueue(Command):
    """Take the caller out of queueing with nowhere to go (play a message, continue dialplan)."""

    call_id: str
    queue: str
    reason: ExitReason


@dataclass(frozen=True, slots=True)
class PublishAgentState(Command):
    """The agent's state changed: push it to their desktop and the wallboards."""

    agent_id: str
    state: AgentState
    reason: str | None
    since: Seconds
    call_id: str | None


@dataclass(frozen=True, slots=True)
class Record(Command):
    """Append one entry to the call event log; ``outcome`` is set on a call's final entry."""

    at: Seconds
    kind: RecordKind
    queue: str | None = None
    call_id: str | None = None
    agent_id: str | None = None
    wait: Seconds | None = None
    talk: Seconds | None = None
    wrap_up: Seconds | None = None
    reason: str | None = None
    detail: str | None = None
    outcome: CallOutcome | None = None
    explanation: OfferExplanation | None = None
    """On an offer: why this agent got this call (``str()`` it for a log line)."""
    call_kind: CallKind | None = None
    """On the enqueue of an admission (new call or callback entry): which of the two.

    Set only there, so it tells an arrival from an overflow or a move, and the event log
    holds every field of the input: replaying the log rebuilds the same core.
    """
    priority: int | None = None
    """On the enqueue of an admission: the caller's priority."""
    skills: Requirement | None = None
    """On the enqueue of an admission: the call's own skills, on top of the queue's."""
    server: str | None = None
    """On the enqueue of a voice call's admission: the Asterisk server its caller is on."""
    default_server: bool | None = None
    """With ``server``: whether that is the default server (agents with none set are there)."""
    settings: AcdSettings | None = None
    """On a config record: the whole configuration that took effect (replay reads it)."""
    settings_before: AcdSettings | None = None
    """On a config record: the configuration it replaced (where a replay that starts after
    an earlier change but before this one finds the configuration to start from)."""


@dataclass(frozen=True, slots=True)
class StaleFact(Command):
    """A fact the core dropped because it no longer applies; log it, nothing else to do."""

    fact: Event
    reason: str
