"""Tickets: complaints and requests, their status workflow and their history.

Strategy: the workflow is `cti.tickets` (a pure table); this repository applies it inside
one transaction per change: read the ticket (locked on PostgreSQL, so two agents cannot
both move it), check the move, update, and append a history row. A refused move raises
`cti.IllegalTransition` with a message an agent can read, and changes nothing. Linking a
ticket to a call is a step in its history too (the status stays).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.interactions import InteractionNotFound
from callcenter.db.models import Interaction, Ticket, TicketChange
from callcenter.db.reads import Reads, SessionReads
from cti.tickets import SETTLED, TicketError, TicketStatus, check_transition, due_at
from cti.types import TicketSummary


class TicketNotFound(TicketError, LookupError):
    """No ticket has the id asked for (a `TicketError`, as `move` always raised)."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One step in a ticket's life."""

    at: datetime
    from_status: str | None
    to_status: str
    actor: str | None
    note: str


_TICKETS = Ticket.__table__
_OPEN_FOR_CUSTOMER = (
    select(
        _TICKETS.c.id,
        _TICKETS.c.category,
        _TICKETS.c.subject,
        _TICKETS.c.status,
        _TICKETS.c.due_at,
        _TICKETS.c.owner,
    )
    .where(
        _TICKETS.c.customer_id == bindparam("customer_id"),
        _TICKETS.c.status.not_in([status.value for status in SETTLED]),
    )
    .order_by(_TICKETS.c.due_at)
)
"""The pop's open tickets, built once."""


def _summary(row: Ticket | Row[Any]) -> TicketSummary:
    return TicketSummary(
        id=row.id,
        category=row.category,
        subject=row.subject,
        status=row.status,
        due_at=row.due_at,
        owner=row.owner,
    )


class TicketRepository:
    """Opens tickets with a due time from the category's promise and moves them along."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        promises_h: Mapping[str, float],
        *,
        reads: Reads | None = None,
    ) -> None:
        """`promises_h`: hours promised per category (settings `cti.ticket_promises_h`);
        the pop's open tickets run on `reads` (default: a session of `sessions`)."""
        self._sessions = sessions
        self._reads = reads or SessionReads(sessions)
        self._promises = dict(promises_h)

    def use_promises(self, promises_h: Mapping[str, float]) -> None:
        """Open tickets with these categories and promises from now on (a new version of
        the configuration); tickets already open keep the due time they were given."""
        self._promises = dict(promises_h)

    async def open(
        self,
        *,
        customer_id: int,
        category: str,
        subject: str,
        now: datetime,
        owner: str | None = None,
        actor: str | None = None,
        interaction_id: int | None = None,
        note: str = "",
    ) -> TicketSummary:
        """Open a ticket; `TicketError` for a category without a promise.

        `note` is the first entry of the ticket's history (the subject when empty).
        """
        due = due_at(category, now, self._promises)
        async with self._sessions() as session, session.begin():
            row = Ticket(
                customer_id=customer_id,
                interaction_id=interaction_id,
                category=category,
                subject=subject,
                status=TicketStatus.OPEN.value,
                owner=owner,
                created_at=now,
                updated_at=now,
                due_at=due,
            )
            session.add(row)
            await session.flush()
            session.add(
                TicketChange(
                    ticket_id=row.id,
                    at=now,
                    from_status=None,
                    to_status=row.status,
                    actor=actor,
                    note=note or subject,
                )
            )
            return _summary(row)

    async def move(
        self,
        ticket_id: int,
        to: TicketStatus | str,
        *,
        now: datetime,
        actor: str | None = None,
        note: str = "",
        owner: str | None = None,
    ) -> TicketSummary:
        """Move a ticket to status `to`; `IllegalTransition` if the workflow refuses."""
        async with self._sessions() as session, session.begin():
            row = await session.scalar(
                select(Ticket).where(Ticket.id == ticket_id).with_for_update()
            )
            if row is None:
                raise TicketNotFound(f"no ticket {ticket_id}")
            target = check_transition(row.status, str(to))
            session.add(
                TicketChange(
                    ticket_id=row.id,
                    at=now,
                    from_status=row.status,
                    to_status=target.value,
                    actor=actor,
                    note=note,
                )
            )
            row.status = target.value
            row.updated_at = now
            if owner is not None:
                row.owner = owner
            return _summary(row)

    async def link(
        self,
        ticket_id: int,
        interaction_id: int,
        *,
        now: datetime | None = None,
        actor: str | None = None,
    ) -> TicketSummary:
        """Attach an existing ticket to the call `interaction_id` (an `InteractionRecord.id`).

        The ticket keeps its status; the link is noted in its history (naming the call's
        Uniqueid) and counts as an update at `now`. A ticket already linked to another
        call is moved to this one. `TicketNotFound` or `InteractionNotFound` when either
        is missing.
        """
        at = now or datetime.now(UTC)
        async with self._sessions() as session, session.begin():
            row = await session.get(Ticket, ticket_id, with_for_update=True)
            if row is None:
                raise TicketNotFound(f"no ticket {ticket_id}")
            uniqueid = await session.scalar(
                select(Interaction.uniqueid).where(Interaction.id == interaction_id)
            )
            if uniqueid is None:
                raise InteractionNotFound(f"no recorded call with id {interaction_id}")
            if row.interaction_id != interaction_id:
                row.interaction_id = interaction_id
                row.updated_at = at
                session.add(
                    TicketChange(
                        ticket_id=row.id,
                        at=at,
                        from_status=row.status,
                        to_status=row.status,
                        actor=actor,
                        note=f"linked to call {uniqueid}",
                    )
                )
            return _summary(row)

    async def get(self, ticket_id: int) -> TicketSummary | None:
        """The ticket `ticket_id`, if it exists."""
        async with self._sessions() as session:
            row = await session.get(Ticket, ticket_id)
            return None if row is None else _summary(row)

    async def history(self, ticket_id: int) -> list[HistoryEntry]:
        """Every change of the ticket, oldest first (empty for an unknown ticket)."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(TicketChange)
                .where(TicketChange.ticket_id == ticket_id)
                .order_by(TicketChange.id)
            )
            return [HistoryEntry(r.at, r.from_status, r.to_status, r.actor, r.note) for r in rows]

    async def open_for_customer(self, customer_id: int) -> list[TicketSummary]:
        """The customer's tickets not yet resolved or confirmed, soonest due first."""
        rows = await self._reads.rows(_OPEN_FOR_CUSTOMER, {"customer_id": customer_id})
        return [_summary(row) for row in rows]

    # Kept last: inside the class body, the name `list` hides the builtin below it.
    async def list(
        self, *, customer_id: int | None = None, status: str | None = None, limit: int = 100
    ) -> list[TicketSummary]:
        """Tickets, the most recently updated first; at most `limit` of them.

        `customer_id` and `status` narrow the list; an unknown status is a `TicketError`
        naming the known ones.
        """
        query = select(Ticket).order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        if customer_id is not None:
            query = query.where(Ticket.customer_id == customer_id)
        if status is not None:
            try:
                query = query.where(Ticket.status == TicketStatus(status).value)
            except ValueError:
                known = ", ".join(s.value for s in TicketStatus)
                raise TicketError(f"unknown ticket status {status!r} (one of: {known})") from None
        async with self._sessions() as session:
            rows = await session.scalars(query.limit(max(limit, 0)))
            return [_summary(row) for row in rows]
