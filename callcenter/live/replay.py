"""Rebuild the live ACD after a restart from the call event log.

Strategy (docs/ARCHITECTURE.md, "Persistence": the event log is the one source of live
state recovery): the core is deterministic, so feeding a fresh `Acd` the same inputs at the
same times rebuilds the same state. The log holds the core's `Record`s, which are outputs;
the inputs are read back from them, and only from the records a person or the PBX caused:

* login, pause, logout, connect, reject, abandon, complete: one input each (a login is
  replayed not ready; a ready-at-once login also logged a ready right after it);
* ring-no-answer: `OfferTimedOut`, unless the core's ring timer decided it (detail
  `RING_TIMER`): the replayed timer does that again; offer-failed: `OfferFailed` (the PBX
  could not place the offer), the ready after it (reason `PBX_FAILED`) is its consequence;
* enqueue of an admission (the record carries ``call_kind``, ``priority``, ``skills``, and
  for a voice call the caller's ``server``, so the replay offers it to the same agents):
  `CallQueued`, `CallbackRequested` (replacing the call of a callback record just before)
  or `VoicemailQueued`;
  a move record and the enqueue after it: `CallMoveRequested` to that enqueue's queue;
* ready: `AgentReady`; right after a handled record `WrapUpEnded` (a desktop "done" and a
  ready in wrap-up end wrap-up alike); none when the core made the agent ready itself (the
  wrap-up timer, reason `WRAP_UP_ELAPSED`; after an abandon while ringing; a call without
  wrap-up time). Entries written before the timer's reason was logged cannot tell the
  timer from a person: their `WrapUpEnded` is refused as stale after the replayed timer;
* config (a configuration version took effect): `ConfigurationChanged` with the settings
  the entry carries (`recorder.SETTINGS`) and its version (the detail); the logouts,
  offers and overflows after it are its consequences. A replay starts from the settings
  the first config entry it reads replaced (`recorder.SETTINGS_BEFORE`), so a day that
  crossed changes is replayed under the configuration of each moment; an entry whose
  settings no longer validate (the models changed since) is skipped;
* hours (a queue opened or closed by its opening hours): `QueueHoursChanged`;
* offer, requeue, relax, overflow, exit, offer-withdrawn, handled and the other enqueues are
  the core's own consequences and are derived again; entries of kinds the core does not
  write (the lifecycle of callbacks, voicemails and tickets) are skipped. Timers are not
  inputs: every timer the replayed core arms fires at its time, before any input at or
  after that time.

Limits: a timer is replayed at its due time, while the live host fired it a few
milliseconds later; and an input the live host took before a timer due at the same instant
is replayed after it. Both only shift the moments of timer-driven changes slightly. Timers
due during the downtime fire too, ring timers included: after a downtime longer than the
ring timeout, an offer that was ringing ends as a ring-no-answer. A record the writer
refused (`Recorder.refused`) is missing, and the replay diverges from that input on.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic import ValidationError

import acd
from acd import Acd, AcdError, AcdSettings, AgentState, RecordKind, StartTimer, TimerFired
from acd.agent_flow import PBX_FAILED, WRAP_UP_ELAPSED
from acd.call_flow import LOST, RING_TIMER
from callcenter.db.events import CallEvent
from callcenter.live.recorder import SETTINGS, SETTINGS_BEFORE

log = structlog.get_logger(__name__)

_RECORD_KINDS = frozenset(kind.value for kind in RecordKind)
"""The entries the core wrote; the log holds others (`callcenter.db.lifecycle`)."""

Dropped = Callable[[acd.Event, str], None]
"""Told about each replayed input the core refused or found stale, with the reason."""


def inputs_from_log(events: Iterable[CallEvent]) -> list[acd.Event]:
    """The inputs (facts and requests) that made the core write these log entries, in order.

    Each input carries its entry's time in epoch seconds. Entries the core derives itself
    (offers, requeues, timer effects ...) yield nothing; see the module docstring.
    """
    inputs: list[acd.Event] = []
    previous: list[CallEvent] = []
    replaced: str | None = None
    moving: str | None = None
    for event in events:
        if event.kind not in _RECORD_KINDS:
            # Not the core's: another writer's entry (a callback, voicemail or ticket
            # change). Skipped whole, so it does not stand between the records it falls
            # among (a move and its enqueue, a handled and its ready).
            continue
        now = epoch_seconds(event.at)
        kind, call, data = event.kind, event.call_id or "", event.data
        if kind == RecordKind.ENQUEUE:
            if moving == call:
                inputs.append(acd.CallMoveRequested(now, call, event.queue or ""))
            elif _admitted_kind(data) is not None:
                inputs.append(_admission(now, event, replaced))
            replaced = None
        elif kind == RecordKind.CALLBACK:
            replaced = call
        moving = call if kind == RecordKind.MOVE else None
        made = _simple_input(now, event, previous)
        if made is not None:
            inputs.append(made)
        previous.append(event)
        del previous[:-2]
    return inputs


def _admitted_kind(data: dict[str, Any]) -> str | None:
    """Which admission an enqueue is ("voice", "callback" or "voicemail"); None for a move
    or overflow.

    Entries written before admissions carried ``call_kind`` are told by their detail; their
    call-specific skills are lost (replayed as none).
    """
    kind = data.get("call_kind")
    if kind is not None:
        return str(kind)
    detail = str(data.get("detail") or "")
    if detail.startswith("priority "):
        return "voice"
    return "callback" if detail.partition(",")[0] == "callback" else None


def _admission(now: float, event: CallEvent, replaced: str | None) -> acd.Event:
    data = event.data
    call, queue = event.call_id or "", event.queue or ""
    detail = str(data.get("detail") or "")
    legacy = detail.removeprefix("priority ") if detail.startswith("priority ") else "0"
    priority = int(data.get("priority", legacy))
    skills = {str(name): int(level) for name, level in dict(data.get("skills") or {}).items()}
    admitted = _admitted_kind(data)
    if admitted == "callback":
        return acd.CallbackRequested(now, call, queue, priority, skills, replaced)
    if admitted == "voicemail":
        return acd.VoicemailQueued(now, call, queue, priority, skills)
    server = data.get("server")
    return acd.CallQueued(
        now,
        call,
        queue,
        priority,
        skills,
        server=None if server is None else str(server),
        default_server=bool(data.get("default_server")),
    )


def _simple_input(now: float, event: CallEvent, before: list[CallEvent]) -> acd.Event | None:
    """The input behind one entry, given the (up to two) entries just before it."""
    call, agent, data = event.call_id or "", event.agent or "", event.data
    match event.kind:
        case RecordKind.LOGIN:
            return acd.AgentLoggedIn(now, agent, ready=False)
        case RecordKind.READY if data.get("reason") in (LOST, WRAP_UP_ELAPSED, PBX_FAILED):
            return None  # the core's own doing: a lost or failed offer, or the wrap-up timer
        case RecordKind.READY:
            return _ready(now, agent, before)
        case RecordKind.PAUSE:
            return acd.AgentPaused(now, agent, str(data.get("reason")))
        case RecordKind.LOGOUT:
            return acd.AgentLoggedOut(now, agent)
        case RecordKind.CONNECT:
            return acd.OfferAnswered(now, call, agent)
        case RecordKind.RING_NO_ANSWER if data.get("detail") == RING_TIMER:
            return None  # the replayed ring timer fires again
        case RecordKind.RING_NO_ANSWER:
            return acd.OfferTimedOut(now, call, agent)
        case RecordKind.OFFER_WITHDRAWN if data.get("reason") == LOST:
            return acd.OfferLost(now, call, agent)
        case RecordKind.OFFER_FAILED:
            return acd.OfferFailed(now, call, agent, str(data.get("reason") or ""))
        case RecordKind.REJECT:
            return acd.OfferRejected(now, call, agent)
        case RecordKind.ABANDON:
            return acd.CallerHungUp(now, call)
        case RecordKind.COMPLETE:
            return acd.CallEnded(now, call)
        case RecordKind.CONFIG:
            settings = _settings(event, SETTINGS)
            if settings is not None:
                return acd.ConfigurationChanged(now, settings, _version(data))
        case RecordKind.HOURS:
            return acd.QueueHoursChanged(now, event.queue or "", data.get("detail") == "open")
    return None


def _version(data: dict[str, Any]) -> int:
    detail = str(data.get("detail") or "0")
    return int(detail) if detail.lstrip("-").isdigit() else 0


def _settings(event: CallEvent, key: str) -> AcdSettings | None:
    """The configuration a config entry carries under ``key``; None if absent or invalid."""
    document = event.data.get(key)
    if document is None:
        return None
    try:
        return AcdSettings.model_validate(document)
    except ValidationError as exc:
        log.warning("acd.replay_config_skipped", at=event.at.isoformat(), key=key, error=str(exc))
        return None


def settings_at_start(events: Iterable[CallEvent], settings: AcdSettings) -> AcdSettings:
    """The configuration in force when ``events`` begin: what their first config entry
    replaced, or ``settings`` (the configuration in force now) when they hold none."""
    for event in events:
        if event.kind == RecordKind.CONFIG:
            before = _settings(event, SETTINGS_BEFORE)
            return before if before is not None else settings
    return settings


def _ready(now: float, agent: str, before: list[CallEvent]) -> acd.Event | None:
    """A ready entry: a request, the end of wrap-up, or the core's own doing (None)."""
    last = before[-1] if before else None
    if last is None or last.agent != agent:
        return acd.AgentReady(now, agent)
    if last.kind == RecordKind.ABANDON:
        return None  # the caller hung up while the agent's phone rang
    if last.kind != RecordKind.HANDLED:
        return acd.AgentReady(now, agent)
    first = before[0] if len(before) > 1 else None
    if (
        first is not None
        and (first.kind, first.agent, first.at) == (RecordKind.COMPLETE, agent, last.at)
        and not last.data.get("wrap_up")
    ):
        return None  # a queue without wrap-up time: ready as the call completed
    return acd.WrapUpEnded(now, agent)


def epoch_seconds(at: datetime) -> float:
    """A log time as the core's clock reads it (a naive time is taken as UTC)."""
    return (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).timestamp()


@dataclass(frozen=True, slots=True)
class Offer:
    """A call the rebuilt core believes is ringing an agent (or connected to one)."""

    call_id: str
    agent_id: str
    queue: str


@dataclass(frozen=True, slots=True)
class InFlight:
    """What the telephony side must confirm after a rebuild: the replay did not carry it out.

    ``offered``: calls ringing an agent; the real offer died with the old process (or the
    replay made it during the downtime), so the shell offers again or reports the outcome.
    ``connected``: calls the core believes are talking; the shell checks them on Asterisk
    and feeds `CallEnded` for those that ended meanwhile.
    """

    offered: tuple[Offer, ...]
    connected: tuple[Offer, ...]


def in_flight(core: Acd) -> InFlight:
    """The offered and connected calls of ``core``, in agent configuration order."""
    offered: list[Offer] = []
    connected: list[Offer] = []
    for view in core.agent_views(core.now):
        call = core.call_view(view.call_id, core.now) if view.call_id else None
        if call is None:
            continue
        offer = Offer(call.call_id, view.agent_id, call.queue)
        if view.state is AgentState.RESERVED:
            offered.append(offer)
        elif view.state is AgentState.ON_CALL:
            connected.append(offer)
    return InFlight(tuple(offered), tuple(connected))


def rebuild(
    settings: AcdSettings,
    events: Sequence[CallEvent],
    *,
    now: float,
    since: float | None = None,
    dropped: Dropped | None = None,
) -> Acd:
    """A fresh core fed the inputs of ``events`` (in log order) up to ``now``.

    ``settings`` is the configuration in force now; when ``events`` hold config entries the
    core starts from the configuration the first of them replaced (`settings_at_start`)
    and takes on each version at its time.

    Before each input, every armed timer due at or before its time fires, first due first;
    at the end every timer due by ``now`` fires. The commands are not carried out: the
    shell re-arms `Acd.armed_timers()` and reconciles `in_flight()` with the PBX.

    ``since`` is the start of the current reporting period: inputs before it rebuild the
    state only (agents and calls that span it), then a `MetricsReset` at ``since`` restarts
    the counters. Pass the log from some time before ``since`` (or from ``since`` itself, if
    nothing spans the period start). Without ``since`` the period starts at the first input.
    Inputs after ``now`` are ignored. ``dropped`` hears of each input the core refused or
    found stale: none for a log this core wrote whole, except a person's input that the
    live host took in the milliseconds between a timer's due time and its firing.
    """
    inputs = [item for item in inputs_from_log(events) if item.now <= now]
    starts = [now, *(item.now for item in inputs[:1]), *([] if since is None else [since])]
    replay = _Replay(Acd(settings_at_start(events, settings), min(starts)), dropped)
    for item in inputs:
        if since is not None and item.now >= since:
            replay.feed(acd.MetricsReset(since))
            since = None
        replay.feed(item)
    if since is not None:
        replay.feed(acd.MetricsReset(since))
    replay.fire_due(now)
    return replay.core


class _Replay:
    """A core plus the timers it armed, fired in due order as the shell's loop would."""

    def __init__(self, core: Acd, dropped: Dropped | None) -> None:
        self.core = core
        self.dropped = dropped
        self.armed: dict[acd.TimerKey, float] = {}
        self.due: list[tuple[float, int, acd.TimerKey]] = []

    def feed(self, item: acd.Event) -> None:
        """Fire the timers due by the input's time, then apply the input."""
        self.fire_due(item.now)
        self.apply(item)

    def fire_due(self, until: float) -> None:
        """Fire every armed timer due at or before ``until``, first due first."""
        due = self.due
        while due and due[0][0] <= until:
            at, _, key = heapq.heappop(due)
            if self.armed.pop(key, None) is not None:
                self.apply(TimerFired(at, key))

    def apply(self, item: acd.Event) -> None:
        """Hand one input to the core and keep track of the timers it arms and disarms."""
        try:
            commands = self.core.handle(item)
        except AcdError as error:
            self._drop(item, str(error))
            return
        for command in commands:
            if isinstance(command, StartTimer):
                self.armed[command.key] = command.at
                heapq.heappush(self.due, (command.at, command.key.serial, command.key))
            elif isinstance(command, acd.CancelTimer):
                self.armed.pop(command.key, None)
            elif isinstance(command, acd.StaleFact):
                self._drop(item, command.reason)

    def _drop(self, item: acd.Event, reason: str) -> None:
        if self.dropped is not None:
            self.dropped(item, reason)
