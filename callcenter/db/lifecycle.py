"""Lifecycle events of callbacks, voicemails and tickets in the call event log (issue 17).

Strategy: each change a repository stores (a callback requested, moved, attempted, done,
failed or cancelled; a message left, taken, called back, closed or expired; a ticket
opened, moved a step, reopened, closed, its follow-up answered) is also appended to the
event log by `log_change`, inside the same transaction as the table change, so the table
and the log never disagree. The reports (`callcenter.reports.lifecycle`) fold these
events, live and historical alike.

The entries carry the queue in the log's `queue` column (reports filter by it) and
everything else in `data` (the request, message or ticket id, the agent, times as ISO
text). `call_id` and `agent` stay empty on purpose: the call and agent folds (the queue
and agent reports, the what-if day, the replay) read those columns as the ACD's, and an
entry of another kind there would stand between an agent's records.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.db.events import TermHolder
from callcenter.db.models import CallEventRow


class LifecycleKind(StrEnum):
    """The kinds of the lifecycle entries (at most 32 characters: the log's kind column)."""

    CALLBACK_REQUESTED = "callback-requested"
    """data: callback, channel, window_start, window_end, scheduled (waits for its window)."""
    CALLBACK_MOVED = "callback-moved"
    """data: callback, window_start, window_end (moved to a later window)."""
    CALLBACK_ATTEMPT = "callback-attempt"
    """data: callback, attempt (its number), agent, result (`AttemptResult`)."""
    CALLBACK_DONE = "callback-done"
    """data: callback (the customer was reached)."""
    CALLBACK_FAILED = "callback-failed"
    """data: callback, attempts (the last allowed attempt missed)."""
    CALLBACK_CANCELLED = "callback-cancelled"
    """data: callback."""
    VOICEMAIL_LEFT = "voicemail-left"
    """data: voicemail, call (the uniqueid), seconds."""
    VOICEMAIL_TAKEN = "voicemail-taken"
    """data: voicemail, agent (an agent started on it)."""
    VOICEMAIL_CALLED_BACK = "voicemail-called-back"
    """data: voicemail, callback (the request made for it)."""
    VOICEMAIL_CLOSED = "voicemail-closed"
    """data: voicemail, agent, disposition."""
    VOICEMAIL_EXPIRED = "voicemail-expired"
    """data: voicemail (older than the retention: its file is gone)."""
    TICKET_OPENED = "ticket-opened"
    """data: ticket, category, step (received), promise (when the next step is due)."""
    TICKET_STEP = "ticket-step"
    """data: ticket, step (entered), from_step, from_status, promise (the next step's due
    time), promised (the due time this step met or missed, when it was the promised one),
    kept (whether it was met; None without a promise)."""
    TICKET_REOPENED = "ticket-reopened"
    """As `TICKET_STEP`, for the step reopened."""
    TICKET_CLOSED = "ticket-closed"
    """As `TICKET_STEP`, for the step confirmed (the customer is satisfied)."""
    TICKET_FOLLOWUP = "ticket-followup"
    """data: ticket, followup, satisfied (the customer's answer to the follow-up call)."""


LIFECYCLE_KINDS = frozenset(k.value for k in LifecycleKind)
"""Every lifecycle kind: none of them is an ACD record (`acd.RecordKind`)."""
CALLBACK_KINDS = frozenset(k for k in LIFECYCLE_KINDS if k.startswith("callback-"))
VOICEMAIL_KINDS = frozenset(k for k in LIFECYCLE_KINDS if k.startswith("voicemail-"))
TICKET_KINDS = frozenset(k for k in LIFECYCLE_KINDS if k.startswith("ticket-"))


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def log_change(
    session: AsyncSession, kind: LifecycleKind, at: datetime, queue: str | None, **data: Any
) -> None:
    """Append a `kind` entry at wall-clock `at` for `queue` to the log in `session`'s
    transaction (it is written with the change, or not at all). Datetimes in `data` are
    stored as ISO text. With several nodes the entry carries the session's term, as the
    ACD's do (`events.AppendEvents`): a node whose term is over cannot add to the log,
    nor make the change with it."""
    fence: TermHolder | None = session.info.get("fence")
    session.add(
        CallEventRow(
            term=None if fence is None else fence.term,
            at=at,
            kind=kind.value,
            call_id=None,
            queue=queue,
            agent=None,
            data={name: _text(value) for name, value in data.items()},
        )
    )
