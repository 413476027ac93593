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
from acd.config import QueueSettings
from acd.events import CallbackRequested, CallQueued, Event, VoicemailQueued
from acd.floor import Floor
from acd.model import Call, QueueRuntime
from acd.queueing import Queueing
from acd.relaxation import merge_requirements
from acd.states import CallKind, CallOutcome, CallState
from acd.types import Home, Requirement


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
        queue.counters.note_offered(queue.settings.service_level_formula)
        self._line_up(
            event.call_id,
            CallKind.VOICE,
            queue,
            out,
            priority=event.priority,
            skills=event.skills,
            entered_at=self.floor.now,
            detail=f"priority {event.priority}",
            rules=queue.settings,
            home=None if event.server is None else (event.server, event.default_server),
        )

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
        queue.counters.callbacks_queued += 1
        self._line_up(
            event.callback_id,
            CallKind.CALLBACK,
            queue,
            out,
            priority=event.priority,
            skills=event.skills,
            entered_at=entered_at,
            detail=detail,
        )

    def voicemail_queued(self, event: VoicemailQueued, out: list[Command]) -> None:
        """A message becomes work in its queue: at the back of the line, with its priority,
        routed like a call (its offer goes to the agent's desktop, not a phone)."""
        queue = self._admit(event, event.call_id, event.queue, event.skills, out)
        if queue is None:
            return
        self._line_up(
            event.call_id,
            CallKind.VOICEMAIL,
            queue,
            out,
            priority=event.priority,
            skills=event.skills,
            entered_at=self.floor.now,
            detail="voicemail",
        )

    def _line_up(
        self,
        call_id: str,
        kind: CallKind,
        queue: QueueRuntime,
        out: list[Command],
        *,
        priority: int,
        skills: Mapping[str, int],
        entered_at: float,
        detail: str,
        rules: QueueSettings | None = None,
        home: Home = None,
    ) -> None:
        """A new call, callback or voicemail of `kind` joins `queue`: known to the floor,
        counted as an arrival, logged (its kind, priority and own skills, so a replay can
        admit it again) and put in line or offered. `rules`: a voice call's queue rules at
        entry, which it is judged by (service level, short abandons); `home`: the server
        its caller is on, whose agents alone may be offered it."""
        floor = self.floor
        call = Call(
            floor.next_seq(),
            call_id,
            kind,
            queue,
            priority,
            dict(skills),
            merge_requirements(queue.settings.skills, skills),
            entered_at,
            rules,
            home=home,
        )
        floor.index_call(call)
        queue.counters.note_arrival(floor.now, floor.settings.arrival_window_seconds)
        out.append(
            Record(
                floor.now,
                RecordKind.ENQUEUE,
                queue=queue.name,
                call_id=call.id,
                detail=detail,
                call_kind=kind,
                priority=call.priority,
                skills=_own(call.own_skills),
                server=None if home is None else home[0],
                default_server=None if home is None else home[1],
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
