"""Queueing: a call's life in line - entering, relaxing, announcements, overflow, the end.

Strategy: every way into line (a new call, a callback, a requeue after ring-no-answer, an
overflow from another queue) goes through `enter`, which applies the queue's rules in one
order: overflow when nobody is logged in, overflow on max wait already passed, the
relaxation step for the time waited, then routing; only a call left waiting gets its timers
(next relaxation step, max wait, next announcement). Every way out of the ACD goes through
`finish`, which writes the call's one outcome.
"""

from __future__ import annotations

from dataclasses import replace

from acd.commands import (
    Announce,
    Command,
    DecisionTrigger,
    ExitQueue,
    ExitReason,
    Overflow,
    OverflowReason,
    Record,
    RecordKind,
)
from acd.config import OverflowKind
from acd.estimates import expected_handle_time, wait_for_position
from acd.floor import Floor
from acd.model import Agent, Call, QueueRuntime
from acd.relaxation import merge_requirements
from acd.routing import Router
from acd.states import CallKind, CallOutcome, CallState
from acd.types import WAITING_TIMERS, TimerKind, describe_requirement


class Queueing:
    """Moves calls into, along and out of line."""

    __slots__ = ("floor", "router")

    def __init__(self, floor: Floor, router: Router) -> None:
        self.floor = floor
        self.router = router

    def enter(self, call: Call, trigger: DecisionTrigger, out: list[Command]) -> None:
        """Apply the queue's rules to a call that is not in line, then route or line it up."""
        queue = call.queue
        settings = queue.settings
        waited = self.floor.now - call.entered_at
        if call.kind is CallKind.VOICE:
            if queue.closed:
                self.overflow(call, OverflowReason.CLOSED, out)
                return
            if settings.overflow_when_no_agents and queue.nobody_for(call.home):
                self.overflow(call, OverflowReason.NO_AGENTS, out)
                return
            max_wait = settings.max_wait_seconds
            if max_wait is not None and waited >= max_wait:
                self.overflow(call, OverflowReason.MAX_WAIT, out)
                return
        call.step = queue.plan.step_for_wait(waited)
        call.overflow_chain.clear()
        if not self.router.place(call, trigger, out):
            self.arm_waiting_timers(call, out)

    def requeue(self, call: Call, out: list[Command]) -> None:
        """Put a call whose offer failed back in line, with its original entry time."""
        call.state = CallState.WAITING
        out.append(
            Record(
                self.floor.now,
                RecordKind.REQUEUE,
                queue=call.queue.name,
                call_id=call.id,
                wait=self.floor.now - call.entered_at,
            )
        )
        self.enter(call, DecisionTrigger.CALL_REQUEUED, out)

    def stop_ringing(self, call: Call, out: list[Command]) -> None:
        """The offer is over, one way or another: disarm the ring timer."""
        self.floor.timers.cancel(TimerKind.RING, call.id, out)
        call.queue.ringing.pop(call.id, None)

    def release_offer(self, call: Call, agent: Agent, out: list[Command]) -> None:
        """Unlink an offered call from its agent, who no longer rings."""
        self.stop_ringing(call, out)
        call.agent = None
        agent.call = None

    def leave_line(self, call: Call, out: list[Command]) -> None:
        """Take a waiting call out of line and disarm its waiting timers."""
        call.queue.remove_waiting(call)
        for kind in WAITING_TIMERS:
            self.floor.timers.cancel(kind, call.id, out)

    def relax(self, call: Call, out: list[Command]) -> None:
        """The relaxation timer fired: widen the call's requirement by one step or more."""
        queue = call.queue
        plan = queue.plan
        # The timer firing is the authority: float rounding of the wait must not hold it back.
        step = max(call.step + 1, plan.step_for_wait(self.floor.now - call.entered_at))
        step = min(step, plan.last_step)
        lane = queue.lane_for(call.base, step, call.home)
        out.append(
            Record(
                self.floor.now,
                RecordKind.RELAX,
                queue=queue.name,
                call_id=call.id,
                detail=f"step {step}: {describe_requirement(lane.requirement)}",
            )
        )
        if lane is call.lane:
            call.step = step
        else:
            queue.remove_waiting(call)
            call.step = step
            if self.router.place(call, DecisionTrigger.REQUIREMENT_RELAXED, out):
                return
        next_at = plan.next_step_at(step)
        if next_at is not None:
            self.floor.timers.start(TimerKind.RELAX, call.id, call.entered_at + next_at, out)

    def announce(self, call: Call, out: list[Command]) -> None:
        """The announcement timer fired: tell the caller where they stand."""
        queue = call.queue
        policy = queue.settings.announcements
        position = queue.position(call)
        estimate = None
        if policy.estimated_wait:
            aht = expected_handle_time(queue.counters, queue.settings.default_handle_seconds)
            estimate = wait_for_position(position, queue.staffed, aht)
        out.append(Announce(call.id, queue.name, position if policy.position else None, estimate))
        call.announced = True
        if policy.every_seconds is not None:
            self.floor.timers.start(
                TimerKind.ANNOUNCE, call.id, self.floor.now + policy.every_seconds, out
            )

    def max_wait_elapsed(self, call: Call, out: list[Command]) -> None:
        """The max-wait timer fired: the call leaves line for the overflow target."""
        self.leave_line(call, out)
        self.overflow(call, OverflowReason.MAX_WAIT, out)

    def overflow(self, call: Call, reason: OverflowReason, out: list[Command]) -> None:
        """Send a call (out of line) to its queue's overflow target, or time it out."""
        queue = call.queue
        target = queue.settings.overflow
        if target is None:
            closed = reason is OverflowReason.CLOSED
            self.exit(call, ExitReason.CLOSED if closed else ExitReason.MAX_WAIT, out)
            return
        call.overflow_chain.add(queue.name)
        if target.kind is OverflowKind.QUEUE and target.name in call.overflow_chain:
            self.exit(call, ExitReason.OVERFLOW_LOOP, out)
            return
        now = self.floor.now
        queue.counters.overflowed += 1
        out.append(Overflow(call.id, queue.name, target.kind, target.name, reason))
        record = Record(
            now,
            RecordKind.OVERFLOW,
            queue=queue.name,
            call_id=call.id,
            wait=now - call.entered_at,
            reason=reason.value,
            detail=f"to {target.kind.value} {target.name or ''}".rstrip(),
        )
        if target.kind is not OverflowKind.QUEUE:
            self.finish(call, replace(record, outcome=CallOutcome.OVERFLOWED), out)
            return
        out.append(record)
        destination = self.floor.queues[str(target.name)]
        self._arrive(
            call, destination, f"overflow from {queue.name}", DecisionTrigger.CALL_OVERFLOWED, out
        )

    def overflow_everyone(
        self, queue: QueueRuntime, reason: OverflowReason, out: list[Command]
    ) -> None:
        """Overflow every voice call waiting in ``queue`` that no logged-in member could
        take (its last agent, or the last on the caller's server, logged out)."""
        calls_by_seq = self.floor.calls_by_seq
        for key in list(queue.line):
            call = calls_by_seq[key[2]]
            if call.kind is CallKind.VOICE and queue.nobody_for(call.home):
                self.leave_line(call, out)
                self.overflow(call, reason, out)

    def move(self, call: Call, destination: QueueRuntime, out: list[Command]) -> None:
        """A supervisor moved a waiting call: it leaves its line and arrives in `destination`."""
        source = call.queue
        now = self.floor.now
        self.leave_line(call, out)
        out.append(
            Record(
                now,
                RecordKind.MOVE,
                queue=source.name,
                call_id=call.id,
                wait=now - call.entered_at,
                detail=f"to queue {destination.name}",
            )
        )
        self._arrive(
            call, destination, f"moved from {source.name}", DecisionTrigger.CALL_MOVED, out
        )

    def _arrive(
        self,
        call: Call,
        destination: QueueRuntime,
        detail: str,
        trigger: DecisionTrigger,
        out: list[Command],
    ) -> None:
        """The call joins `destination` as an arrival there (an overflow, a supervisor move)."""
        now = self.floor.now
        self._move(call, destination)
        if call.kind is CallKind.VOICE:
            # As at admission: a callback entry is not an offered call of the queue.
            destination.counters.note_offered(destination.settings.service_level_formula)
            destination.counters.note_arrival(now, self.floor.settings.arrival_window_seconds)
        out.append(
            Record(now, RecordKind.ENQUEUE, queue=destination.name, call_id=call.id, detail=detail)
        )
        self.enter(call, trigger, out)

    def exit(self, call: Call, reason: ExitReason, out: list[Command]) -> None:
        """The call leaves with nowhere to go: outcome timed out."""
        queue = call.queue
        now = self.floor.now
        queue.counters.timed_out += 1
        out.append(ExitQueue(call.id, queue.name, reason))
        record = Record(
            now,
            RecordKind.EXIT,
            queue=queue.name,
            call_id=call.id,
            wait=now - call.entered_at,
            reason=reason.value,
            outcome=CallOutcome.TIMED_OUT,
        )
        self.finish(call, record, out)

    def finish(self, call: Call, record: Record, out: list[Command]) -> None:
        """The call leaves the ACD: log its final record (the one carrying its outcome)."""
        self.floor.forget_call(call)
        out.append(record)

    def _move(self, call: Call, destination: QueueRuntime) -> None:
        floor = self.floor
        del floor.calls_by_seq[call.seq]
        call.seq = floor.next_seq()
        floor.calls_by_seq[call.seq] = call
        call.queue = destination
        call.base = merge_requirements(destination.settings.skills, call.own_skills)
        call.entered_at = floor.now
        call.rules = destination.settings
        call.step = 0
        call.announced = False

    def arm_waiting_timers(self, call: Call, out: list[Command]) -> None:
        """Arm the timers of a call left waiting: next relaxation step, max wait, announce."""
        queue = call.queue
        settings = queue.settings
        timers = self.floor.timers
        next_at = queue.plan.next_step_at(call.step)
        if next_at is not None:
            timers.start(TimerKind.RELAX, call.id, call.entered_at + next_at, out)
        if call.kind is not CallKind.VOICE:
            return
        if settings.max_wait_seconds is not None:
            timers.start(
                TimerKind.MAX_WAIT, call.id, call.entered_at + settings.max_wait_seconds, out
            )
        policy = settings.announcements
        if policy.enabled:
            now = self.floor.now
            at: float | None
            if not call.announced:
                at = call.entered_at + policy.first_after_seconds
            elif policy.every_seconds is not None:
                at = now + policy.every_seconds
            else:
                at = None
            if at is not None:
                timers.start(TimerKind.ANNOUNCE, call.id, max(at, now), out)
