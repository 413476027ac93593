"""A past day from the call event log, as the what-if replays it (`acd.whatif.Day`).

Strategy: a streaming fold over `CallEvent`s in log order (`DayBuilder`, no I/O), and
`day_from_log`, which reads `EventLog` in pages around [since, until) and feeds it. What
the log says becomes the day's facts, what the configuration of the day decided is left
for the replay to decide again:

* **Calls**: each admission of a voice call (an enqueue carrying ``call_kind`` voice, or a
  legacy ``priority n`` detail) that entered in [since, until): arrival, queue, priority,
  own skills, the caller's Asterisk server. Overflows and moves into other queues are not
  copied (the replayed configuration overflows on its own); callback entries are left out
  (they hold no line).
* **Talk**: the ``talk`` of the call's complete record. A call never answered that day, or
  still talking past the read window, gets the mean talk of the answered calls of its
  queue that day (else ``default_talk``): it is what the call would cost if answered.
* **Patience**: a caller who abandoned, or gave up their place for a callback, waited
  exactly as long as they would: from their arrival to that record. Every other caller
  (answered, sent to voicemail, timed out) would have waited at least as long as they
  did, how much longer is unknown: infinite (see `acd.whatif.day`).
* **Staffing**: the agents' requests: login, pause (with its reason), logout, and ready,
  except the readies the core made itself (the wrap-up timer, an offer lost or failed,
  an abandon while ringing, a queue without wrap-up) and those that ended wrap-up from
  the desktop (after a handled record): the replay's wrap-up follows the queue's settings.
  An agent logged in when the day starts (read from ``lookback`` before ``since``) logs
  in at the start, ready or paused as they were; after ``until`` only logouts are kept
  (an agent who logged out once the day's last call was over).

Approximations, against the day as it happened: phones answer after the replay's fixed
ring instead of each agent's own; a ring-no-answer or a reject does not happen again;
desktop "done" before the wrap-up time is replaced by the queue's wrap-up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from acd.agent_flow import PBX_FAILED, WRAP_UP_ELAPSED
from acd.call_flow import LOST
from acd.commands import RecordKind
from acd.types import Seconds
from acd.whatif import Day, DayCall, StaffingAction, StaffingChange, make_day
from callcenter.db.events import CallEvent, EventLog

_K = RecordKind
_CORE_READY = frozenset({LOST, WRAP_UP_ELAPSED, PBX_FAILED})
"""Reasons of readies the core made itself (`callcenter.live.replay` reads them alike)."""
_CORE_BEFORE_READY = frozenset({_K.HANDLED, _K.ABANDON})
"""A ready right after these (for the same agent) is wrap-up's end or the core's doing."""


def epoch(at: datetime) -> Seconds:
    """A log time as the core's clock reads it (a naive time is taken as UTC)."""
    return (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).timestamp()


@dataclass(slots=True)
class _Call:
    call_id: str
    arrival: Seconds
    queue: str
    priority: int
    skills: tuple[tuple[str, int], ...]
    server: str | None = None
    default_server: bool = False
    answered: bool = False
    talk: Seconds | None = None
    patience: Seconds = math.inf


@dataclass(slots=True)
class _Agent:
    status: str = "out"
    """out, not-ready, ready or paused, as the records before the day leave them."""
    reason: str | None = None
    last: str | None = None
    """Kind of the agent's previous record."""


class DayBuilder:
    """Folds log events (in log order) into the calls and staffing of [since, until)."""

    def __init__(self, since: datetime, until: datetime) -> None:
        """The day's window; events before ``since`` only tell who is logged in then."""
        if since.tzinfo is None or until.tzinfo is None:
            raise ValueError("since and until must be aware datetimes")
        if until <= since:
            raise ValueError(f"the day is empty: until {until} is not after since {since}")
        self.start, self.end = epoch(since), epoch(until)
        self._calls: dict[str, _Call] = {}
        self._agents: dict[str, _Agent] = {}
        self._staffing: list[StaffingChange] = []
        self._opened = False

    def feed(self, event: CallEvent) -> None:
        """Take the next event of the log."""
        at = epoch(event.at)
        if at >= self.start and not self._opened:
            self._open()
        if event.agent is not None:
            self._agent_event(at, event, event.agent)
        if event.call_id is not None:
            self._call_event(at, event, event.call_id)

    def _open(self) -> None:
        """The day starts: agents logged in before it log in at its start."""
        self._opened = True
        for agent_id, agent in self._agents.items():
            if agent.status == "out":
                continue
            self._staffing.append(StaffingChange(self.start, agent_id, StaffingAction.LOG_IN))
            if agent.status == "ready":
                self._staffing.append(StaffingChange(self.start, agent_id, StaffingAction.READY))
            elif agent.status == "paused":
                self._staffing.append(
                    StaffingChange(self.start, agent_id, StaffingAction.PAUSE, agent.reason)
                )

    def _agent_event(self, at: Seconds, event: CallEvent, agent_id: str) -> None:
        agent = self._agents.get(agent_id)
        if agent is None:
            agent = self._agents[agent_id] = _Agent()
        kind, data = event.kind, event.data
        previous, agent.last = agent.last, kind
        action: StaffingAction | None = None
        reason: str | None = None
        if kind == _K.LOGIN:
            action, agent.status = StaffingAction.LOG_IN, "not-ready"
        elif kind == _K.LOGOUT:
            action, agent.status = StaffingAction.LOG_OUT, "out"
        elif kind == _K.PAUSE:
            reason = str(data.get("reason") or "")
            action, agent.status, agent.reason = StaffingAction.PAUSE, "paused", reason
        elif kind == _K.READY:
            agent.status = "ready"
            core_made = data.get("reason") in _CORE_READY or previous in _CORE_BEFORE_READY
            action = None if core_made else StaffingAction.READY
        elif kind in (_K.RING_NO_ANSWER, _K.REJECT):
            agent.status = "not-ready"
        elif kind in (_K.OFFER, _K.CONNECT, _K.COMPLETE):
            agent.status = "ready"  # busy with a call; ready again once it is over
        if action is None or not self._opened or at < self.start:
            return
        # After the day only logouts count: agents finishing the day's calls, who would
        # otherwise stay logged in through the replay's drain.
        if at <= self.end or action is StaffingAction.LOG_OUT:
            self._staffing.append(StaffingChange(at, agent_id, action, reason or None))

    def _call_event(self, at: Seconds, event: CallEvent, call_id: str) -> None:
        kind, data = event.kind, event.data
        if kind == _K.ENQUEUE:
            if self.start <= at < self.end and _is_voice_admission(data):
                skills = tuple(
                    sorted((str(k), int(v)) for k, v in dict(data.get("skills") or {}).items())
                )
                priority = int(data.get("priority", _legacy_priority(data)))
                server = data.get("server")
                self._calls[call_id] = _Call(
                    call_id,
                    at,
                    event.queue or "",
                    priority,
                    skills,
                    None if server is None else str(server),
                    bool(data.get("default_server")),
                )
            return
        call = self._calls.get(call_id)
        if call is None:
            return
        if kind == _K.CONNECT:
            call.answered = True
        elif kind == _K.COMPLETE and call.answered:
            talk = data.get("talk")
            call.talk = float(talk) if isinstance(talk, int | float) else None
        elif kind in (_K.ABANDON, _K.CALLBACK) and not call.answered:
            call.patience = max(0.0, at - call.arrival)

    def day(self, default_talk: Seconds | Mapping[str, Seconds] = 180.0) -> Day:
        """The day so far; calls with no known talk get their queue's mean (see above)."""
        if not self._opened:
            self._open()
        talks: dict[str, list[Seconds]] = {}
        for call in self._calls.values():
            if call.talk is not None:
                talks.setdefault(call.queue, []).append(call.talk)

        def fallback(queue: str) -> Seconds:
            known = talks.get(queue)
            if known:
                return sum(known) / len(known)
            if isinstance(default_talk, Mapping):
                return default_talk.get(queue, 180.0)
            return default_talk

        calls = [
            DayCall(
                call_id=call.call_id,
                arrival=call.arrival,
                queue=call.queue,
                talk=call.talk if call.talk is not None else fallback(call.queue),
                patience=call.patience,
                priority=call.priority,
                skills=call.skills,
                server=call.server,
                default_server=call.default_server,
            )
            for call in self._calls.values()
        ]
        return make_day(self.start, self.end, calls, self._staffing)


def _is_voice_admission(data: Mapping[str, object]) -> bool:
    kind = data.get("call_kind")
    if kind is not None:
        return str(kind) == "voice"
    return str(data.get("detail") or "").startswith("priority ")


def _legacy_priority(data: Mapping[str, object]) -> int:
    detail = str(data.get("detail") or "")
    suffix = detail.removeprefix("priority ")
    return int(suffix) if suffix.lstrip("-").isdigit() else 0


def day_from_events(
    events: Iterable[CallEvent],
    *,
    since: datetime,
    until: datetime,
    default_talk: Seconds | Mapping[str, Seconds] = 180.0,
) -> Day:
    """The day [since, until) of ``events`` (in log order, from before ``since`` to see
    who is logged in, and past ``until`` to see the talk of the last calls)."""
    builder = DayBuilder(since, until)
    for event in events:
        builder.feed(event)
    return builder.day(default_talk)


async def day_from_log(
    log: EventLog,
    *,
    since: datetime,
    until: datetime,
    lookback: timedelta = timedelta(hours=24),
    lookahead: timedelta = timedelta(hours=4),
    default_talk: Seconds | Mapping[str, Seconds] = 180.0,
    page_size: int = 5_000,
) -> Day:
    """Read [since - lookback, until + lookahead) of the event log in pages, into the day
    [since, until) (``since`` at local midnight puts the 15-minute rows on local time)."""
    builder = DayBuilder(since, until)
    after_id = 0
    while True:
        page = await log.read(
            after_id=after_id, since=since - lookback, until=until + lookahead, limit=page_size
        )
        for event in page:
            builder.feed(event)
        if len(page) < page_size:
            return builder.day(default_talk)
        after_id = page[-1].id or after_id
