"""Admission: new calls, callback entries and voicemails join a queue.

Strategy: a new entry is checked before anything changes (its id is new, its queue exists,
its skill levels are 1-5); one that fails is reported as a `StaleFact` and never enters.
Admitted entries are counted as offered to their queue, logged, and handed to queueing.
A callback that replaces a caller still waiting ends that call (outcome callback) and keeps
its place in line. A voicemail is not counted as offered (its call already was, when it
arrived) and holds no line (no announcements, no maximum wait), like a callback entry.
"""

from __future__ import annotations

from collections.abc import Mapping

from acd.commands import Command, DecisionTrigger, Record, RecordKind, StaleFact
from acd.events import CallbackRequested, CallQueued, Event, VoicemailQueued
from acd.floor import Floor
from acd.model import Call, QueueRuntime
from acd.queueing import Queueing
from acd.relaxation import merge_requirements
from acd.states import CallKind, CallOutcome, CallState
from acd.types import Requirement


class Admission:
    """Lets calls and callback entries into their queues."""

    __slots__ = ("floor", "queueing")

    def __init__(self, floor: Floor, queueing: Queueing) -> None:
        self.floor = floor
        self.queueing = queueing

    def queued(self, event: CallQueued, out: list[Command]) -> None:
        """A caller joined a queue."""
        queue = self._admit(event, event.call_id, event.queue, event.skills, out)
        if queue is None:
            return
        floor = self.floor
        call = Call(
            floor.next_seq(),
            event.call_id,
            CallKind.VOICE,
            queue,
            event.priority,
            dict(event.skills),
            merge_requirements(queue.settings.skills, event.skills),
            floor.now,
            queue.settings,
        )
        floor.index_call(call)
        queue.counters.note_offered(queue.settings.service_level_formula)
        queue.counters.note_arrival(floor.now, floor.settings.arrival_window_seconds)
        out.append(
            Record(
                floor.now,
                RecordKind.ENQUEUE,
                queue=queue.name,
                call_id=call.id,
                detail=f"priority {call.priority}",
                call_kind=CallKind.VOICE,
                priority=call.priority,
                skills=_own(call.own_skills),
            )
        )
        self.queueing.enter(call, DecisionTrigger.CALL_QUEUED, out)

    def callback_requested(self, event: CallbackRequested, out: list[Command]) -> None:
        """A callback entry joins a queue, taking the place of the call it replaces."""
        queue = self._admit(event, event.callback_id, event.queue, event.skills, out)
        if queue is None:
            return
        floor = self.floor
        now = floor.now
        entered_at = now
        replaced = floor.calls.get(event.replaces_call_id or "")
        detail = "callback"
        if replaced is not None and replaced.state is CallState.WAITING:
            if replaced.queue is queue:
                entered_at = replaced.entered_at
                detail = f"callback, keeps the place of {replaced.id}"
            self.queueing.leave_line(replaced, out)
            if replaced.kind is CallKind.VOICE:
                replaced.queue.counters.callback_requests += 1
            self.queueing.finish(
                replaced,
                Record(
                    now,
                    RecordKind.CALLBACK,
                    queue=replaced.queue.name,
                    call_id=replaced.id,
                    wait=now - replaced.entered_at,
                    detail=f"replaced by callback {event.callback_id}",
                    outcome=CallOutcome.CALLBACK,
                ),
                out,
            )
        call = Call(
            floor.next_seq(),
            event.callback_id,
            CallKind.CALLBACK,
            queue,
            event.priority,
            dict(event.skills),
            merge_requirements(queue.settings.skills, event.skills),
            entered_at,
        )
        floor.index_call(call)
        queue.counters.callbacks_queued += 1
        queue.counters.note_arrival(now, floor.settings.arrival_window_seconds)
        out.append(
            Record(
                now,
                RecordKind.ENQUEUE,
                queue=queue.name,
                call_id=call.id,
                detail=detail,
                call_kind=CallKind.CALLBACK,
                priority=call.priority,
                skills=_own(call.own_skills),
            )
        )
        self.queueing.enter(call, DecisionTrigger.CALL_QUEUED, out)

    def voicemail_queued(self, event: VoicemailQueued, out: list[Command]) -> None:
        """A message becomes work in its queue: at the back of the line, with its priority,
        routed like a call (its offer goes to the agent's desktop, not a phone)."""
        queue = self._admit(event, event.call_id, event.queue, event.skills, out)
        if queue is None:
            return
        floor = self.floor
        call = Call(
            floor.next_seq(),
            event.call_id,
            CallKind.VOICEMAIL,
            queue,
            event.priority,
            dict(event.skills),
            merge_requirements(queue.settings.skills, event.skills),
            floor.now,
        )
        floor.index_call(call)
        queue.counters.note_arrival(floor.now, floor.settings.arrival_window_seconds)
        out.append(
            Record(
                floor.now,
                RecordKind.ENQUEUE,
                queue=queue.name,
                call_id=call.id,
                detail="voicemail",
                call_kind=CallKind.VOICEMAIL,
                priority=call.priority,
                skills=_own(call.own_skills),
            )
        )
        self.queueing.enter(call, DecisionTrigger.CALL_QUEUED, out)

    def _admit(
        self,
        event: Event,
        call_id: str,
        queue_name: str,
        skills: Mapping[str, int],
        out: list[Command],
    ) -> QueueRuntime | None:
        """The queue a new call joins, or None (reported stale) if it cannot be admitted."""
        floor = self.floor
        if call_id in floor.calls:
            out.append(StaleFact(event, f"call {call_id!r} is already in the ACD"))
            return None
        queue = floor.queues.get(queue_name)
        if queue is None:
            out.append(StaleFact(event, f"unknown queue {queue_name!r}"))
            return None
        for skill, level in skills.items():
            if not 1 <= level <= 5:
                out.append(StaleFact(event, f"skill {skill!r} level {level} is outside 1-5"))
                return None
        return queue


def _own(skills: Mapping[str, int]) -> Requirement:
    """A call's own skills as the record carries them: sorted (skill, level) pairs."""
    return tuple(sorted(skills.items()))
