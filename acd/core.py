"""The ACD core: one object, `handle(event) -> list[command]`, plus read-only queries.

Strategy (docs/ARCHITECTURE.md, "The cores: events in, commands out"): the shell owns one
`Acd` in one asyncio task and feeds it every fact and request in order. The core is
synchronous and does no I/O; time comes in with each input and never runs backwards inside
the core (an input older than the last one is applied at the last one's time). Timers are
data: the core asks for them with `StartTimer` and hears back through `TimerFired`.

Requests (agent log in / ready / pause / log out) raise `AcdError` when illegal and then
change nothing. Facts never raise; a fact that no longer applies yields a `StaleFact`.
Replaying the accepted inputs in order into a fresh `Acd` rebuilds the same state, after
which `armed_timers()` tells the shell which timers to arm again.
"""

from __future__ import annotations

import math

from acd.admission import Admission
from acd.agent_flow import WRAP_UP_ELAPSED, AgentFlow
from acd.call_flow import CallFlow
from acd.commands import Command, DecisionTrigger, Record, RecordKind, StaleFact, StartTimer
from acd.config import AcdSettings
from acd.errors import AcdError, CallNotWaiting
from acd.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    CallbackRequested,
    CallEnded,
    CallerHungUp,
    CallMoveRequested,
    CallQueued,
    ConfigurationChanged,
    Event,
    MetricsReset,
    OfferAnswered,
    OfferFailed,
    OfferLost,
    OfferRejected,
    OfferTimedOut,
    QueueHoursChanged,
    TimerFired,
    VoicemailQueued,
    WrapUpEnded,
)
from acd.floor import Floor
from acd.metrics import AgentCounters, QueueCounters
from acd.model import Call
from acd.queueing import Queueing
from acd.reconfiguration import Reconfiguration
from acd.routing import Router
from acd.snapshots import (
    AgentView,
    CallView,
    QueueStats,
    agent_view,
    call_view,
    queue_stats,
    waiting_calls,
)
from acd.states import AgentState, CallKind, CallState
from acd.types import Seconds, TimerKind


class Acd:
    """The automatic call distributor: queues, agents, routing and live metrics."""

    __slots__ = ("_admission", "_agents", "_calls", "_floor", "_queueing", "_reconfiguration")

    def __init__(self, settings: AcdSettings, now: Seconds = 0.0) -> None:
        self._floor = Floor(settings, now)
        router = Router(self._floor)
        self._queueing = Queueing(self._floor, router)
        self._agents = AgentFlow(self._floor, router, self._queueing)
        self._calls = CallFlow(self._floor, self._queueing, self._agents)
        self._admission = Admission(self._floor, self._queueing)
        self._reconfiguration = Reconfiguration(self._floor, router, self._queueing)

    @property
    def settings(self) -> AcdSettings:
        """The configuration the core runs with."""
        return self._floor.settings

    @property
    def configuration_version(self) -> int | None:
        """The version of the last `ConfigurationChanged` applied; None before any."""
        return self._floor.version

    @property
    def now(self) -> Seconds:
        """The core's clock: the latest ``now`` it has been given."""
        return self._floor.now

    def handle(self, event: Event) -> list[Command]:
        """Apply one input and return what the shell must do, in order.

        Raises `AcdError` only for an illegal request (an agent's, a call move, or a
        `ConfigurationChanged` refused with `ConfigurationRefused`: see
        `acd.reconfiguration` for what a change does and what is refused), leaving the
        state unchanged.
        """
        if not math.isfinite(event.now):
            return [StaleFact(event, f"time {event.now!r} is not a finite number")]
        floor = self._floor
        floor.now = max(floor.now, event.now)
        out: list[Command] = []
        calls = self._calls
        agents = self._agents
        match event:
            case CallQueued():
                self._admission.queued(event, out)
            case OfferAnswered():
                calls.answered(event, out)
            case CallEnded():
                calls.ended(event, out)
            case TimerFired():
                self._timer_fired(event, out)
            case AgentReady():
                agents.go_ready(event, out)
            case WrapUpEnded():
                agents.wrap_up_ended(event, out)
            case CallerHungUp():
                calls.hung_up(event, out)
            case OfferTimedOut():
                calls.timed_out(event, out)
            case OfferLost():
                calls.lost(event, out)
            case OfferFailed():
                calls.failed(event, out)
            case OfferRejected():
                calls.rejected(event, out)
            case AgentPaused():
                agents.pause(event, out)
            case AgentLoggedIn():
                agents.log_in(event, out)
            case AgentLoggedOut():
                agents.log_out(event, out)
            case CallMoveRequested():
                self._move_call(event, out)
            case CallbackRequested():
                self._admission.callback_requested(event, out)
            case VoicemailQueued():
                self._admission.voicemail_queued(event, out)
            case MetricsReset():
                self._reset_metrics()
            case ConfigurationChanged():
                self._reconfiguration.apply(event, out)
            case QueueHoursChanged():
                self._hours_changed(event, out)
            case _:
                out.append(StaleFact(event, f"unknown input {type(event).__name__}"))
        return out

    def _move_call(self, event: CallMoveRequested, out: list[Command]) -> None:
        destination = self._floor.queue(event.queue)
        call = self._floor.calls.get(event.call_id)
        if call is None or call.state is not CallState.WAITING:
            raise CallNotWaiting(event.call_id, None if call is None else call.state.value)
        if destination is call.queue:
            raise AcdError(f"call {event.call_id!r} is already in queue {event.queue!r}")
        self._queueing.move(call, destination, out)

    def queue_stats(self, queue: str, now: Seconds) -> QueueStats:
        """Live figures of one queue; raises `UnknownQueue`."""
        return queue_stats(self._floor, self._floor.queue(queue), now)

    def all_queue_stats(self, now: Seconds) -> list[QueueStats]:
        """Live figures of every queue, in configuration order."""
        floor = self._floor
        return [queue_stats(floor, queue, now) for queue in floor.queues.values()]

    def agent_view(self, agent_id: str, now: Seconds) -> AgentView:
        """One agent's state, time in state and counters; raises `UnknownAgent`."""
        return agent_view(self._floor, self._floor.agent(agent_id), now)

    def agent_views(self, now: Seconds) -> list[AgentView]:
        """Every agent, in configuration order."""
        floor = self._floor
        return [agent_view(floor, agent, now) for agent in floor.agents_by_index]

    def waiting_calls(self, queue: str, now: Seconds) -> list[CallView]:
        """Calls in line in ``queue``, first in line first; raises `UnknownQueue`."""
        return waiting_calls(self._floor, self._floor.queue(queue), now)

    def call_view(self, call_id: str, now: Seconds) -> CallView | None:
        """A call still in the ACD (waiting, ringing or connected), or None."""
        call = self._floor.calls.get(call_id)
        return call_view(self._floor, call, now) if call is not None else None

    def armed_timers(self) -> list[StartTimer]:
        """Timers the shell must have armed (e.g. to re-arm them after a replay)."""
        return self._floor.timers.armed()

    def _timer_fired(self, event: TimerFired, out: list[Command]) -> None:
        floor = self._floor
        key = event.key
        if not floor.timers.consume(key):
            out.append(StaleFact(event, f"timer {key} is no longer armed"))
            return
        if key.kind is TimerKind.PBX_RETRY:
            agent = floor.agents.get(key.subject)
            if agent is not None and agent.state is AgentState.READY and not agent.listed:
                self._agents.hold_elapsed(agent, out)
                return
        elif key.kind is TimerKind.WRAP_UP:
            agent = floor.agents.get(key.subject)
            if agent is not None and agent.state is AgentState.WRAP_UP:
                self._agents.wrap_up_elapsed(agent, out, why=WRAP_UP_ELAPSED)
                return
        else:
            call = floor.calls.get(key.subject)
            if call is not None:
                if key.kind is TimerKind.RING:
                    if call.state is CallState.OFFERED and call.agent is not None:
                        self._calls.ring_timer_elapsed(call, call.agent, out)
                        return
                elif call.state is CallState.WAITING:
                    self._waiting_timer_elapsed(key.kind, call, out)
                    return
        # Timers are disarmed on every change that makes them moot, so this is a safety net.
        out.append(StaleFact(event, f"timer {key} no longer applies"))

    def _waiting_timer_elapsed(self, kind: TimerKind, call: Call, out: list[Command]) -> None:
        if kind is TimerKind.RELAX:
            self._queueing.relax(call, out)
        elif kind is TimerKind.MAX_WAIT:
            self._queueing.max_wait_elapsed(call, out)
        else:
            self._queueing.announce(call, out)

    def _hours_changed(self, event: QueueHoursChanged, out: list[Command]) -> None:
        # Only a change is recorded: the shell may say "open" every minute.
        queue = self._floor.queue(event.queue)
        if queue.closed is not event.open:
            return
        queue.closed = not event.open
        detail = "open" if event.open else "closed"
        out.append(Record(self._floor.now, RecordKind.HOURS, queue=queue.name, detail=detail))
        floor = self._floor
        entries = [
            call
            for call in (floor.calls_by_seq[key[2]] for key in list(queue.line))
            if call.kind is not CallKind.VOICE
        ]
        for call in entries:
            if queue.closed:
                # Out of the lanes, in line still: no agent is offered it while closed.
                if call.lane is not None:
                    call.lane.remove_call(call.key)
                    call.lane = None
            elif call.lane is None:
                queue.remove_waiting(call)
                self._queueing.router.place(call, DecisionTrigger.QUEUE_OPENED, out)

    def _reset_metrics(self) -> None:
        floor = self._floor
        now = floor.now
        for queue in floor.queues.values():
            queue.counters = QueueCounters(period_start=now)
        for agent in floor.agents_by_index:
            agent.accounted_at = now
            agent.counters = AgentCounters()
            ready = agent.listed
            # Fewest-calls keys depend on calls today: re-list ready agents under new keys.
            if ready:
                floor.leave_lanes(agent)
            agent.calls_today = 0
            if ready:
                floor.enter_lanes(agent)
