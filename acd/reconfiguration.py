"""A new configuration version takes effect while calls wait and agents work.

Strategy: check first, then rebuild, then re-evaluate, so a change either applies whole or
changes nothing.

Refused (`ConfigurationRefused`, naming every obstacle), because applying it would lose
something live:

* a removed queue in which calls wait or ring (callback entries included): move them or
  let them end first. Connected calls do not stop the removal: they end under the old
  queue's rules (its wrap-up time), and their handled time goes to no live queue;
* a removed agent who is logged in (whatever their state): log them out first.

Applied otherwise, at the change's ``now``:

1. a `Record` of kind CONFIG (``detail``: the version, ``settings``: the whole document,
   ``settings_before``: the one it replaces), first, so a replay meets the input before
   its consequences;
2. queues and agents are built from the new settings (`Floor.reconfigure`): counters,
   today's metrics, agent states, calls in progress and their timers are carried over; a
   new queue starts with empty counters, a new agent logged out; an agent ringing or
   talking keeps the call whatever their new memberships and skills;
3. every waiting call is put back in line in its queue's lane for the new rules (the
   relaxation step for the time it has waited), keeping its place: entry time, priority,
   order of arrival;
4. the agents who were ready (and not held back after a PBX failure) are offered the best
   call they now qualify for, longest idle first, or listed as ready: the invariant "no
   lane has both a waiting call and a ready agent" holds again, and offers go out at once;
5. each call still waiting is re-evaluated under its queue's new rules: overflow if the
   queue now overflows when nobody is logged in and nobody is, or if it has already waited
   past the new maximum wait; otherwise its relaxation, max-wait and announcement timers
   are armed again for the new rules (the old ones were cancelled).

Ringing offers keep their ring timer, agents in wrap-up their wrap-up timer: a new ring
timeout or wrap-up time applies from the next offer or wrap-up on. A caller already
announced to hears the next announcement a full interval after the change; one not yet
announced to, at the new first-announcement time (at once if that is past). Round robin
goes on from the same position in the agent list, which a change may have reordered.
"""

from __future__ import annotations

from acd.commands import Command, OverflowReason, Record, RecordKind
from acd.errors import ConfigurationRefused
from acd.events import ConfigurationChanged
from acd.floor import Floor
from acd.model import Call
from acd.queueing import Queueing
from acd.routing import Router
from acd.states import AgentState, CallKind, CallState
from acd.types import WAITING_TIMERS


class Reconfiguration:
    """Applies `ConfigurationChanged`."""

    __slots__ = ("floor", "queueing", "router")

    def __init__(self, floor: Floor, router: Router, queueing: Queueing) -> None:
        self.floor = floor
        self.router = router
        self.queueing = queueing

    def apply(self, event: ConfigurationChanged, out: list[Command]) -> None:
        """Apply the whole new configuration, or raise `ConfigurationRefused`."""
        floor = self.floor
        settings = event.settings
        problems = refusals(floor, event)
        if problems:
            raise ConfigurationRefused(event.version, problems)
        out.append(
            Record(
                floor.now,
                RecordKind.CONFIG,
                detail=str(event.version),
                settings=settings,
                settings_before=floor.settings,
            )
        )
        # Out of the old lanes: timers of waiting calls are re-armed for the new rules.
        waiting = sorted(
            (call for call in floor.calls.values() if call.state is CallState.WAITING),
            key=lambda call: call.key,
        )
        for call in waiting:
            for kind in WAITING_TIMERS:
                floor.timers.cancel(kind, call.id, out)
        ready = sorted(
            (agent for agent in floor.agents_by_index if agent.listed),
            key=lambda agent: (agent.idle_since, agent.index),
        )
        floor.reconfigure(settings)
        floor.version = event.version
        for call in waiting:
            queue = call.queue
            call.step = queue.plan.step_for_wait(floor.now - call.entered_at)
            parked = queue.closed and call.kind is not CallKind.VOICE
            queue.add_waiting(
                call, None if parked else queue.lane_for(call.base, call.step, call.home)
            )
        for agent in ready:
            self.router.agent_available(agent, out)
        for call in waiting:
            if call.state is CallState.WAITING:
                self._re_evaluate(call, out)

    def _re_evaluate(self, call: Call, out: list[Command]) -> None:
        queue = call.queue
        settings = queue.settings
        queueing = self.queueing
        if call.kind is CallKind.VOICE:
            reason: OverflowReason | None = None
            max_wait = settings.max_wait_seconds
            if settings.overflow_when_no_agents and queue.nobody_for(call.home):
                reason = OverflowReason.NO_AGENTS
            elif max_wait is not None and self.floor.now - call.entered_at >= max_wait:
                reason = OverflowReason.MAX_WAIT
            if reason is not None:
                queueing.leave_line(call, out)
                queueing.overflow(call, reason, out)
                return
        queueing.arm_waiting_timers(call, out)


def refusals(floor: Floor, event: ConfigurationChanged) -> list[str]:
    """What stops ``event`` from applying without losing a call or an agent's work."""
    settings = event.settings
    kept_queues = {queue.name for queue in settings.queues}
    kept_agents = {agent.id for agent in settings.agents}
    problems: list[str] = []
    for name, queue in floor.queues.items():
        if name in kept_queues:
            continue
        waiting = queue.waiting
        ringing = len(queue.ringing)
        if waiting or ringing:
            held = "1 call is" if waiting + ringing == 1 else f"{waiting + ringing} calls are"
            problems.append(
                f"queue {name!r} is removed but {held} in it ({waiting} waiting, "
                f"{ringing} ringing); move them or let them end first"
            )
    for agent in floor.agents_by_index:
        if agent.id not in kept_agents and agent.state is not AgentState.LOGGED_OUT:
            problems.append(
                f"agent {agent.id!r} is removed but is logged in ({agent.state.value}); "
                "log them out first"
            )
    return problems
