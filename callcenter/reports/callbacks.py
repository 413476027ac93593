"""The callbacks report: per queue, how many customers asked to be called back, how many
were reached and how soon; a fold over the event log's callback entries.

Strategy: every change of a request is an entry of the call event log
(`callcenter.db.lifecycle`: requested, moved, each attempt, done, failed, cancelled); the
report folds them in log order (`CallbackFold`, pure, time an input). It counts the
requests made in the period, each once whatever came of it up to `now` (its attempts,
reached or not, are counted with it): the same fold gives today so far (live) and any past
period (historical), and a restart changes nothing, the log being all it reads.
Definitions:

- success rate: reached / (reached + failed): of the requests that are settled, the share
  that reached the customer (cancelled ones and those still pending are left out);
- time to callback: from the request to the attempt that reached the customer;
- overdue: still pending at `now` with its window over (nobody reached the customer in
  time); a moved request's window is the one it was moved to.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from callcenter.db.events import CallEvent
from callcenter.db.lifecycle import LifecycleKind
from callcenter.reports.lifecycle_log import EntityFold, data_time, fold_rows

CHANNELS = ("ivr", "web", "followup", "voicemail")

_K = LifecycleKind
_SETTLED = {
    _K.CALLBACK_DONE.value: "done",
    _K.CALLBACK_FAILED.value: "failed",
    _K.CALLBACK_CANCELLED.value: "cancelled",
}


@dataclass(slots=True)
class CallbackRow:
    """One queue's callbacks requested in a period."""

    queue: str
    requests: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    attempts: int = 0
    reached: int = 0
    failed: int = 0
    cancelled: int = 0
    pending: int = 0
    overdue: int = 0
    success_rate: float | None = None
    avg_time_to_callback_s: float | None = None
    max_time_to_callback_s: float | None = None


@dataclass(slots=True)
class _Request:
    queue: str
    channel: str
    at: datetime
    window_end: datetime | None
    attempts: int = 0
    status: str = "pending"
    reached_at: datetime | None = None


class CallbackFold(EntityFold[_Request, CallbackRow]):
    """Folds callback entries (in log order) into the rows of the requests made in
    [since, until), as they stand once the entries up to `now` are in."""

    ENTITY = "callback"
    BEGUN = _K.CALLBACK_REQUESTED.value

    def begin(self, queue: str, event: CallEvent) -> _Request:
        """A request as it is made."""
        channel = str(event.data.get("channel") or "ivr")
        return _Request(queue, channel, event.at, data_time(event, "window_end"))

    def change(self, item: _Request, event: CallEvent) -> None:
        """A request moved, tried or settled."""
        if event.kind == _K.CALLBACK_MOVED:
            item.window_end = data_time(event, "window_end") or item.window_end
        elif event.kind == _K.CALLBACK_ATTEMPT:
            item.attempts += 1
            if event.data.get("result") == "reached":
                item.reached_at = event.at
        elif event.kind in _SETTLED:
            item.status = _SETTLED[event.kind]

    def rows(self) -> list[CallbackRow]:
        """The rows, one per queue (queue name order; requests with no queue under "")."""
        rows: dict[str, CallbackRow] = {}
        waits: dict[str, list[float]] = {}
        for request in self.items.values():
            row = rows.setdefault(request.queue, CallbackRow(request.queue))
            row.requests += 1
            row.by_channel[request.channel] = row.by_channel.get(request.channel, 0) + 1
            row.attempts += request.attempts
            if request.status == "done":
                row.reached += 1
                if request.reached_at is not None:
                    wait = (request.reached_at - request.at).total_seconds()
                    waits.setdefault(request.queue, []).append(wait)
            elif request.status == "failed":
                row.failed += 1
            elif request.status == "cancelled":
                row.cancelled += 1
            else:
                row.pending += 1
                if request.window_end is not None and request.window_end < self.now:
                    row.overdue += 1
        for queue, row in rows.items():
            settled = row.reached + row.failed
            row.success_rate = row.reached / settled if settled else None
            times = waits.get(queue)
            if times:
                row.avg_time_to_callback_s = sum(times) / len(times)
                row.max_time_to_callback_s = max(times)
        return [rows[name] for name in sorted(rows)]


def callback_rows(
    events: Iterable[CallEvent],
    since: datetime,
    until: datetime,
    now: datetime,
    queues: Collection[str] | None = None,
) -> list[CallbackRow]:
    """The callbacks report of [since, until) at `now` from log entries in log order."""
    return fold_rows(CallbackFold(since, until, now, queues), events)
