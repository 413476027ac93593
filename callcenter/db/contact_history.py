"""A customer's history of every contact: calls of every ending, callbacks and each attempt.

Strategy: one list, newest first, built from what is stored: the customer's interactions
(a call that ended in the IVR, self-service or hung up in a menu, a voicemail, a transfer
out of the IVR, a callback request, a call an agent took; each row says how it ended), their
callback requests and every attempt at calling them back, and each automated follow-up
call about one of their tickets (`fu-<follow-up>-<n>`, with its result and the ticket). A
call or a request belongs to the customer when it is linked to them, or, when it is linked
to nobody, when its number is one of theirs (a call before their record existed, a request
stored without the link).
Each attempt is an interaction of its own (`cb-<request>-<n>`): it is listed once, as the
attempt, with the agent's notes and disposition and its end; an attempt under way has no
outcome yet; an attempt stored before attempts had interactions is listed from its row.
Each entry carries what the desktop and a supervisor need to read it, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.callbacks import parse_attempt_uniqueid
from callcenter.db.followup_contacts import TICKET_KEY, parse_followup_call_uniqueid
from callcenter.db.models import CallbackAttemptRow, CallbackRequest, Interaction, Phone

KINDS = ("call", "callback", "callback_attempt", "followup_call")
"""What an entry is: a call (its `outcome` says how it ended), a callback request, one
attempt at calling the customer back (its `outcome` is the attempt's result), or one
automated follow-up call about a ticket (its `outcome` the answer or the miss)."""


@dataclass(frozen=True, slots=True)
class Contact:
    """One entry of a customer's history."""

    kind: str
    at: datetime
    """When it happened: a call's arrival, a request's creation, an attempt's answer."""
    call_id: str | None
    """The call's Uniqueid; `cb-<id>` for a callback request, `cb-<id>-<n>` for its n-th
    attempt (`cb-<id>` for an attempt stored before attempts had interactions)."""
    outcome: str | None
    queue: str | None = None
    agent: str | None = None
    number: str | None = None
    """The caller's number, or the number called back."""
    ended_at: datetime | None = None
    disposition: str | None = None
    notes: str = ""
    ivr_path: tuple[str, ...] = ()
    callback_id: int | None = None
    attempt: int | None = None
    """An attempt's or a follow-up call's number among its request's or follow-up's."""
    ticket_id: int | None = None
    """The ticket a follow-up call was about."""
    details: dict[str, Any] = field(default_factory=dict)
    """What else the entry says: the voicemail's file and length, a transfer's target, a
    request's window, status and attempts."""


class ContactHistory:
    """Reads a customer's history (`of_customer`)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Read through `sessions`."""
        self._sessions = sessions

    async def of_customer(self, customer_id: int, *, limit: int = 100) -> list[Contact]:
        """The customer's last `limit` contacts, newest first (empty for no such customer)."""
        async with self._sessions() as session:
            numbers = list(
                await session.scalars(select(Phone.number).where(Phone.customer_id == customer_id))
            )
            calls, tries = await _calls(session, customer_id, numbers, limit)
            callbacks = await _callbacks(session, customer_id, numbers, limit, tries)
        found = sorted([*calls, *callbacks], key=lambda c: (c.at, _ORDER[c.kind]), reverse=True)
        return found[: max(limit, 0)]


_ORDER = {"call": 0, "callback": 1, "callback_attempt": 2, "followup_call": 0}
"""At the same moment, a call comes before the request it made, and that before its tries."""


def _theirs(customer: Any, number: Any, customer_id: int, numbers: list[str]) -> Any:
    mine: ColumnElement[bool] = customer == customer_id
    if not numbers:
        return mine
    return or_(mine, and_(customer.is_(None), number.in_(numbers)))


async def _calls(
    session: AsyncSession, customer_id: int, numbers: list[str], limit: int
) -> tuple[list[Contact], dict[tuple[int, int], Interaction]]:
    """The customer's calls, and apart the interactions of callback attempts by (request,
    attempt number)."""
    rows = await session.scalars(
        select(Interaction)
        .where(_theirs(Interaction.customer_id, Interaction.caller_number, customer_id, numbers))
        .order_by(Interaction.arrived_at.desc(), Interaction.id.desc())
        .limit(limit)
    )
    found = []
    tries: dict[tuple[int, int], Interaction] = {}
    for row in rows:
        attempt = parse_attempt_uniqueid(row.uniqueid)
        if attempt is not None:
            tries[attempt] = row
            continue
        data = row.ivr_data or {}
        followup = parse_followup_call_uniqueid(row.uniqueid)
        if followup is not None:
            found.append(_followup_call(row, followup[0], followup[1], data))
            continue
        details = {
            key: data[name]
            for key, name in (
                ("voicemail_file", "voicemail.file"),
                ("voicemail_seconds", "voicemail.seconds"),
                ("voicemail_error", "voicemail.error"),
                ("transfer_target", "transfer.target"),
            )
            if name in data
        }
        callback = data.get("callback.id", "")
        found.append(
            Contact(
                kind="call",
                at=row.arrived_at,
                call_id=row.uniqueid,
                outcome=row.outcome,
                queue=row.queue,
                agent=row.agent,
                number=row.caller_number,
                ended_at=row.ended_at,
                disposition=row.disposition,
                notes=row.notes,
                ivr_path=tuple(row.ivr_path or ()),
                callback_id=int(callback) if callback.isdigit() else None,
                details=details,
            )
        )
    return found, tries


def _followup_call(row: Interaction, followup_id: int, n: int, data: dict[str, str]) -> Contact:
    """One automated follow-up call: when it was placed, what it came to, about which ticket."""
    ticket = data.get(TICKET_KEY, "")
    return Contact(
        kind="followup_call",
        at=row.arrived_at,
        call_id=row.uniqueid,
        outcome=row.outcome,
        queue=row.queue,
        number=row.caller_number,
        ended_at=row.ended_at,
        disposition=row.disposition,
        notes=row.notes,
        attempt=n,
        ticket_id=int(ticket) if ticket.isascii() and ticket.isdigit() else None,
        details={"followup_id": followup_id, "answered_at": row.answered_at},
    )


def _tried(
    request: CallbackRequest, n: int, row: Interaction | None, attempt: CallbackAttemptRow | None
) -> Contact:
    """One attempt: its interaction (notes, disposition, end) and, once stored, its row."""
    return Contact(
        kind="callback_attempt",
        at=attempt.at
        if attempt is not None
        else row.arrived_at
        if row is not None
        else request.created_at,
        call_id=row.uniqueid if row is not None else f"cb-{request.id}",
        outcome=attempt.result if attempt is not None else row.outcome if row is not None else None,
        queue=request.queue,
        agent=attempt.agent if attempt is not None else row.agent if row is not None else None,
        number=request.number,
        ended_at=row.ended_at if row is not None else None,
        disposition=row.disposition if row is not None else None,
        notes=row.notes if row is not None else "",
        callback_id=request.id,
        attempt=n,
    )


async def _callbacks(
    session: AsyncSession,
    customer_id: int,
    numbers: list[str],
    limit: int,
    tries: dict[tuple[int, int], Interaction],
) -> list[Contact]:
    requests = list(
        await session.scalars(
            select(CallbackRequest)
            .where(
                _theirs(CallbackRequest.customer_id, CallbackRequest.number, customer_id, numbers)
            )
            .order_by(CallbackRequest.created_at.desc(), CallbackRequest.id.desc())
            .limit(limit)
        )
    )
    if not requests:
        return []
    by_id = {r.id: r for r in requests}
    attempts = await session.scalars(
        select(CallbackAttemptRow)
        .where(CallbackAttemptRow.callback_id.in_(list(by_id)))
        .order_by(CallbackAttemptRow.at, CallbackAttemptRow.id)
    )
    found = [
        Contact(
            kind="callback",
            at=r.created_at,
            call_id=f"cb-{r.id}",
            outcome=r.status,
            queue=r.queue,
            number=r.number,
            callback_id=r.id,
            details={
                "window_start": r.window_start,
                "window_end": r.window_end,
                "attempts": r.attempts,
            },
        )
        for r in requests
    ]
    counted: dict[int, int] = {}
    for attempt in attempts:
        n = counted[attempt.callback_id] = counted.get(attempt.callback_id, 0) + 1
        found.append(
            _tried(
                by_id[attempt.callback_id], n, tries.pop((attempt.callback_id, n), None), attempt
            )
        )
    # Attempts under way (opened, not stored yet) of the requests listed.
    for (request_id, n), row in tries.items():
        if request_id in by_id:
            found.append(_tried(by_id[request_id], n, row, None))
    return found
