"""Everything the ACD records goes to the database: the event log and each call's record.

Strategy: a `CommandListener` turning each `Record` command into a `CallEvent` (wall-clock
time from the record's epoch seconds) and each call's progress (queued, offered, answered,
ended, outcome) into an upsert of its interaction, both through the batched writer, so the
call path never waits for the database. The writer retries transient failures on its own;
a write it refuses at once (its queue is full: the database has been away too long) is
counted and reported as an event, never dropped silently. Since the database lags by a
batch, the latest record of each recent call is kept (`latest`) for the screen pops, and
the end of each call is announced (`on_call_over`) so that pops of the caller refresh.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

import structlog

from acd import Command, Event, Record, RecordKind
from callcenter.db import (
    AppendEvents,
    BatchedWriter,
    CallEvent,
    WriteQueueFull,
    event_from_record,
)
from callcenter.db.interactions import InteractionData, SaveInteraction
from callcenter.live.calls import CallInfo

log = structlog.get_logger(__name__)


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


SETTINGS = "settings"
"""Key of a config entry's data holding the configuration that took effect (as JSON)."""

SETTINGS_BEFORE = "settings_before"
"""Key of a config entry's data holding the configuration it replaced (as JSON)."""


def log_entry(record: Record) -> CallEvent:
    """The event-log entry of one record; a config record carries both configurations
    (`SETTINGS`, `SETTINGS_BEFORE`), which the replay after a restart reads back."""
    entry = event_from_record(record, _at(record.at))
    documents = {
        key: settings.model_dump(mode="json")
        for key, settings in (
            (SETTINGS, record.settings),
            (SETTINGS_BEFORE, record.settings_before),
        )
        if settings is not None
    }
    return replace(entry, data={**entry.data, **documents}) if documents else entry


RECENT_CALLS = 2_000
"""Calls over whose latest record is kept after they end (the pop's history reads them)."""


class Recorder:
    """Writes the event log and the interactions of live calls."""

    def __init__(self, writer: BatchedWriter) -> None:
        """Write through `writer` (the service's batched writer)."""
        self._writer = writer
        self._open: dict[str, InteractionData] = {}
        self._over: OrderedDict[str, InteractionData] = OrderedDict()
        self.refused = 0
        """Writes the writer refused (its queue was full)."""
        self.on_call_over: Callable[[InteractionData], None] | None = None
        """Called with a call's final record as it ends (before the database has it)."""

    def latest(self, uniqueid: str) -> InteractionData | None:
        """The latest record of a call in progress or recently over; None if not recent."""
        return self._open.get(uniqueid) or self._over.get(uniqueid)

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
        self._submit(AppendEvents(tuple(log_entry(r) for r in records)))
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
            self._over[call_id] = data
            while len(self._over) > RECENT_CALLS:
                self._over.popitem(last=False)
        else:
            self._open[call_id] = data
        self._submit(SaveInteraction(data))
        if call_id not in self._open and self.on_call_over is not None:
            self.on_call_over(data)

    def _submit(self, op: AppendEvents | SaveInteraction) -> None:
        try:
            self._writer.submit(op)
        except WriteQueueFull as exc:
            self.refused += 1
            log.error("db.write_refused", op=type(op).__name__, error=str(exc))
