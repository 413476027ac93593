"""The lifecycle entries of the callbacks, voicemails and tickets stored before the event log
held them (issue 17), made once from their tables by a migration.

Strategy: the reports fold the log's lifecycle entries (`callcenter.db.lifecycle`); rows
stored before the repositories wrote them would be missing from every report. `backfill`
appends, for each request, message and ticket that has no entry yet, the entries its rows
still tell: a request (at its creation, its channel and window), its attempts, its end (at
its last attempt; a cancellation, whose time was not kept, then too, or at the request);
a message left, taken, called back (as it was taken: when was not kept), closed, expired
(at the migration: when was not kept); a ticket opened, each step it entered (a history
row naming a step other than the one before; promise kept as the row says), follow-up
answers. Moves of a request's window were not kept and are not made up. Entries go in in
time order (ties in lifecycle order), so a fold in log order meets them as it would have.

The tables are named here by the columns read (not the models, which change later), so a
migration that calls it keeps working as the schema moves on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from callcenter.db.lifecycle import (
    CALLBACK_KINDS,
    TICKET_KINDS,
    VOICEMAIL_KINDS,
    LifecycleKind,
)
from callcenter.db.models import UTCDateTime

K = LifecycleKind
_EVENTS = sa.table(
    "call_events",
    sa.column("at", UTCDateTime),
    sa.column("kind", sa.String),
    sa.column("call_id", sa.String),
    sa.column("queue", sa.String),
    sa.column("agent", sa.String),
    sa.column("data", sa.JSON),
)
_CALLBACKS = sa.table(
    "callbacks",
    *(sa.column(n) for n in ("id", "queue", "status", "channel", "scheduled", "attempts")),
    *(sa.column(n, UTCDateTime) for n in ("created_at", "window_start", "window_end")),
)
_ATTEMPTS = sa.table(
    "callback_attempts",
    *(sa.column(n) for n in ("id", "callback_id", "agent", "result")),
    sa.column("at", UTCDateTime),
)
_VOICEMAILS = sa.table(
    "voicemails",
    *(sa.column(n) for n in ("id", "call_id", "queue", "seconds", "status", "agent")),
    *(sa.column(n) for n in ("disposition", "callback_id")),
    *(sa.column(n, UTCDateTime) for n in ("recorded_at", "taken_at", "closed_at")),
)
_TICKETS = sa.table("tickets", sa.column("id"), sa.column("queue"), sa.column("category"))
_CHANGES = sa.table(
    "ticket_history",
    *(sa.column(n) for n in ("id", "ticket_id", "from_status", "to_status", "actor", "step")),
    *(sa.column(n, UTCDateTime) for n in ("at", "promise_due_at")),
)
_FOLLOWUPS = sa.table(
    "ticket_followups",
    *(sa.column(n) for n in ("id", "ticket_id", "satisfied")),
    sa.column("answered_at", UTCDateTime),
)
_ORDER = {kind.value: n for n, kind in enumerate(LifecycleKind)}
"""Entries at the same time go in lifecycle order (a request before its attempt)."""
_STEP_KINDS = {"reopened": K.TICKET_REOPENED, "confirmed": K.TICKET_CLOSED}


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class _Entries:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, kind: LifecycleKind, at: datetime, queue: str | None, **data: Any) -> None:
        self.rows.append(
            {
                "at": at,
                "kind": kind.value,
                "call_id": None,
                "queue": queue,
                "agent": None,
                "data": {name: _text(value) for name, value in data.items()},
            }
        )


def _logged(connection: sa.Connection, kinds: Iterable[str], key: str) -> set[int]:
    """The ids already named by entries of `kinds` (written since the log held them)."""
    found: set[int] = set()
    query = sa.select(_EVENTS.c.data).where(_EVENTS.c.kind.in_(sorted(kinds)))
    for (data,) in connection.execute(query):
        value = (data or {}).get(key)
        if isinstance(value, int):
            found.add(value)
    return found


def _callbacks(connection: sa.Connection, out: _Entries) -> None:
    done = _logged(connection, CALLBACK_KINDS, "callback")
    attempts: dict[int, list[Any]] = {}
    for row in connection.execute(
        sa.select(_ATTEMPTS).order_by(_ATTEMPTS.c.at, _ATTEMPTS.c.id)
    ).mappings():
        attempts.setdefault(row["callback_id"], []).append(row)
    for row in connection.execute(sa.select(_CALLBACKS).order_by(_CALLBACKS.c.id)).mappings():
        callback, queue = row["id"], row["queue"]
        if callback in done:
            continue
        created = row["created_at"]
        out.add(
            K.CALLBACK_REQUESTED,
            created,
            queue,
            callback=callback,
            channel=row["channel"] or "ivr",
            window_start=row["window_start"],
            window_end=row["window_end"],
            scheduled=bool(row["window_start"] > created),
        )
        last = created
        for n, attempt in enumerate(attempts.get(callback, ()), start=1):
            last = attempt["at"]
            out.add(
                K.CALLBACK_ATTEMPT,
                last,
                queue,
                callback=callback,
                attempt=n,
                agent=attempt["agent"],
                result=attempt["result"],
            )
        ended = {
            "done": K.CALLBACK_DONE,
            "failed": K.CALLBACK_FAILED,
            "cancelled": K.CALLBACK_CANCELLED,
        }.get(row["status"])
        if ended is not None:
            out.add(ended, last, queue, callback=callback)


def _voicemails(connection: sa.Connection, out: _Entries, now: datetime) -> None:
    done = _logged(connection, VOICEMAIL_KINDS, "voicemail")
    for row in connection.execute(sa.select(_VOICEMAILS).order_by(_VOICEMAILS.c.id)).mappings():
        message, queue = row["id"], row["queue"]
        if message in done:
            continue
        left, taken = row["recorded_at"], row["taken_at"]
        out.add(
            K.VOICEMAIL_LEFT,
            left,
            queue,
            voicemail=message,
            call=row["call_id"],
            seconds=row["seconds"],
        )
        if taken is not None and row["agent"] is not None and taken != row["closed_at"]:
            out.add(K.VOICEMAIL_TAKEN, taken, queue, voicemail=message, agent=row["agent"])
        if row["callback_id"] is not None:
            out.add(
                K.VOICEMAIL_CALLED_BACK,
                taken or left,
                queue,
                voicemail=message,
                callback=row["callback_id"],
            )
        if row["closed_at"] is not None:
            out.add(
                K.VOICEMAIL_CLOSED,
                row["closed_at"],
                queue,
                voicemail=message,
                agent=row["agent"],
                disposition=row["disposition"],
            )
        if row["status"] == "expired":
            out.add(K.VOICEMAIL_EXPIRED, now, queue, voicemail=message)


def _tickets(connection: sa.Connection, out: _Entries) -> None:
    done = _logged(connection, TICKET_KINDS, "ticket")
    tickets = {row["id"]: row for row in connection.execute(sa.select(_TICKETS)).mappings()}
    step: dict[int, str | None] = {}
    changes = sa.select(_CHANGES).order_by(_CHANGES.c.ticket_id, _CHANGES.c.id)
    for row in connection.execute(changes).mappings():
        ticket = tickets.get(row["ticket_id"])
        if ticket is None or ticket["id"] in done:
            continue
        queue, at = ticket["queue"], row["at"]
        if row["from_status"] is None:
            step[ticket["id"]] = row["step"] or "received"
            out.add(
                K.TICKET_OPENED,
                at,
                queue,
                ticket=ticket["id"],
                category=ticket["category"],
                step=step[ticket["id"]],
            )
            continue
        previous = step.get(ticket["id"])
        if row["step"] is None or row["step"] == previous:
            continue  # a note, an assignment or a link: no step
        step[ticket["id"]] = row["step"]
        promised = row["promise_due_at"]
        out.add(
            _STEP_KINDS.get(row["step"], K.TICKET_STEP),
            at,
            queue,
            ticket=ticket["id"],
            step=row["step"],
            from_step=previous,
            from_status=row["from_status"],
            promised=promised,
            kept=None if promised is None else at <= promised,
            actor=row["actor"],
        )
    answered = sa.select(_FOLLOWUPS).where(_FOLLOWUPS.c.answered_at.is_not(None))
    for row in connection.execute(answered).mappings():
        ticket = tickets.get(row["ticket_id"])
        if ticket is None or ticket["id"] in done:
            continue
        out.add(
            K.TICKET_FOLLOWUP,
            row["answered_at"],
            ticket["queue"],
            ticket=ticket["id"],
            followup=row["id"],
            satisfied=row["satisfied"],
        )


def backfill(connection: sa.Connection, now: datetime) -> int:
    """Append the lifecycle entries the stored callbacks, voicemails and tickets lack
    (`now`: the time of what has no time of its own); how many. Runs in the caller's
    transaction; a second run appends nothing."""
    out = _Entries()
    _callbacks(connection, out)
    _voicemails(connection, out, now)
    _tickets(connection, out)
    out.rows.sort(key=lambda row: (row["at"], _ORDER[row["kind"]]))
    for start in range(0, len(out.rows), 1000):
        connection.execute(sa.insert(_EVENTS), out.rows[start : start + 1000])
    return len(out.rows)
