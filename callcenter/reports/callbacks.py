"""The callbacks report: per queue, how many customers asked to be called back, how many
were reached and how soon.

Strategy: a callback request and its attempts are stored whole (`callbacks`,
`callback_attempts`); the report folds the requests made in the period, so it counts each
request once whatever came of it later (its attempts, reached or not, are counted with it).
Definitions:

- success rate: reached / (reached + failed): of the requests that are settled, the share
  that reached the customer (cancelled ones and those still pending are left out);
- time to callback: from the request to the attempt that reached the customer;
- overdue: still pending with its window over (nobody reached the customer in time).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from callcenter.db.callbacks import Callback, CallbackStatus

CHANNELS = ("ivr", "web", "followup", "voicemail")


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


def callback_rows(requests: Iterable[Callback], now: datetime) -> list[CallbackRow]:
    """The rows, one per queue (queue name order; requests with no queue under "")."""
    rows: dict[str, CallbackRow] = {}
    waits: dict[str, list[float]] = {}
    for request in requests:
        queue = request.queue or ""
        row = rows.setdefault(queue, CallbackRow(queue))
        row.requests += 1
        row.by_channel[request.channel] = row.by_channel.get(request.channel, 0) + 1
        row.attempts += request.attempts
        if request.status is CallbackStatus.DONE:
            row.reached += 1
            reached = [a.at for a in request.history if a.result == "reached"]
            if reached and request.created_at is not None:
                waits.setdefault(queue, []).append(
                    (reached[-1] - request.created_at).total_seconds()
                )
        elif request.status is CallbackStatus.FAILED:
            row.failed += 1
        elif request.status is CallbackStatus.CANCELLED:
            row.cancelled += 1
        else:
            row.pending += 1
            if request.window_end < now:
                row.overdue += 1
    for queue, row in rows.items():
        settled = row.reached + row.failed
        row.success_rate = row.reached / settled if settled else None
        times = waits.get(queue)
        if times:
            row.avg_time_to_callback_s = sum(times) / len(times)
            row.max_time_to_callback_s = max(times)
    return [rows[name] for name in sorted(rows)]
