"""Everything the ACD records goes to the database: the event log and each call's record.

Strategy: a `CommandListener` turning each `Record` command into a `CallEvent` (wall-clock
time from the record's epoch seconds) and each call's progress (queued, offered, answered,
ended, outcome) into an upsert of its interaction, both through the batched writer, so the
call path never waits for the database. The writer retries transient failures on its own;
a write it refuses at once (its queue is full: the database has been away too long) is
counted and reported as an event, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import structlog

from acd import Command, Event, Record, RecordKind
from callcenter.db import AppendEvents, BatchedWriter, WriteQueueFull, event_from_record
from callcenter.db.interactions import InteractionData, SaveInteraction
from callcenter.live.calls import CallInfo

log = structlog.get_logger(__name__)


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class Recorder:
    """Writes the event log and the interactions of live calls."""

    def __init__(self, writer: BatchedWriter) -> None:
        """Write through `writer` (the service's batched writer)."""
        self._writer = writer
        self._open: dict[str, InteractionData] = {}
        self.refused = 0
        """Writes the writer refused (its queue was full)."""

    def call_arrived(self, info: CallInfo, queued_at: float) -> None:
        """Start the interaction of a call the IVR hands to the ACD."""
        data = InteractionData(
            uniqueid=info.call_id,
            arrived_at=_at(info.arrived_at),
            caller_number=info.caller_number,
            dialled_number=info.dialled_number,
            customer_id=info.customer_id,
            ivr_path=info.ivr_path,
            ivr_data=dict(info.ivr_answers),
            queue=info.queue,
            queued_at=_at(queued_at),
        )
        self._open[info.call_id] = data
        self._submit(SaveInteraction(data))

    def resume(self, data: InteractionData) -> None:
        """Follow again a call an earlier process recorded (it outlived a restart): its
        offers, answer and end update the stored row as they would have without the restart.

        What the desktop and the survey wrote is theirs (`SaveInteraction` keeps it), so it
        is not carried along: a later save must not put back notes changed meanwhile.
        """
        self._open[data.uniqueid] = replace(data, notes="", disposition=None, survey_scores={})

    def on_commands(self, commands: Sequence[Command], event: Event) -> None:
        """Log every record; move the interactions of the calls they concern along."""
        records = [c for c in commands if isinstance(c, Record)]
        if not records:
            return
        self._submit(AppendEvents(tuple(event_from_record(r, _at(r.at)) for r in records)))
        for record in records:
            if record.call_id is not None and record.call_id in self._open:
                self._follow(record, record.call_id)

    def _follow(self, record: Record, call_id: str) -> None:
        data = self._open[call_id]
        at = _at(record.at)
        kind = record.kind
        if kind is RecordKind.OFFER:
            data = replace(data, offered_at=data.offered_at or at, agent=record.agent_id)
        elif kind is RecordKind.ENQUEUE and record.queue:
            data = replace(data, queue=record.queue)
        if kind is RecordKind.CONNECT:
            # Answered is the outcome, but the call goes on until COMPLETE.
            data = replace(data, answered_at=at, agent=record.agent_id, outcome="answered")
            self._open[call_id] = data
        elif kind is RecordKind.COMPLETE or record.outcome is not None:
            outcome = record.outcome.value if record.outcome is not None else data.outcome
            data = replace(data, outcome=outcome, ended_at=at)
            del self._open[call_id]
        else:
            self._open[call_id] = data
        self._submit(SaveInteraction(data))

    def _submit(self, op: AppendEvents | SaveInteraction) -> None:
        try:
            self._writer.submit(op)
        except WriteQueueFull as exc:
            self.refused += 1
            log.error("db.write_refused", op=type(op).__name__, error=str(exc))
