"""Reading interactions back: the pop's last calls, the web API's search, one call whole.

Strategy: `InteractionRepository` is what the pop and the web API ask; the call's own
record is written through the batched writer (the operations in `interactions.py`), never
here. The pop reads the last few calls of a customer (or of a number, when the caller is
unknown) newest first, with statements built once and run on the call path's `reads`;
the web API searches them and reads one whole (`InteractionRecord`, with its customer's
name and its tickets). The agent desktop's notes and disposition are set here
(`annotate`), under the row's lock, and a later save from the call path keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.interactions import (
    InteractionData,
    InteractionNotFound,
    InteractionRecord,
    SaveInteraction,
)
from callcenter.db.models import Customer, Interaction, Ticket
from callcenter.db.phones import number_fragment
from callcenter.db.reads import Reads, SessionReads
from cti.types import InteractionSummary


class InteractionRepository:
    """Reads interactions back; writes go through the batched writer or `save`."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, reads: Reads | None = None
    ) -> None:
        """Reads and direct writes use `sessions`; the pop's history runs on `reads`
        (`callcenter.db.reads`; default: a session of `sessions`)."""
        self._sessions = sessions
        self._reads = reads or SessionReads(sessions)

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """The session factory it reads through (the call records and a customer's
        history read the same database)."""
        return self._sessions

    async def save(self, data: InteractionData) -> None:
        """Upsert one interaction now (tools and tests; the service uses the writer)."""
        async with self._sessions() as session, session.begin():
            await SaveInteraction(data).apply(session)

    async def get(self, uniqueid: str) -> InteractionData | None:
        """The interaction of the call `uniqueid`, if recorded."""
        async with self._sessions() as session:
            row = await session.scalar(select(Interaction).where(Interaction.uniqueid == uniqueid))
        if row is None:
            return None
        return InteractionData(
            **{
                name: getattr(row, name)
                for name in InteractionData.__dataclass_fields__
                if name != "ivr_path"
            },
            ivr_path=tuple(row.ivr_path),
        )

    async def record(self, uniqueid: str) -> InteractionRecord | None:
        """The call `uniqueid` with its customer's name and tickets; None if not recorded."""
        async with self._sessions() as session:
            found = await _records(session, _with_names().where(Interaction.uniqueid == uniqueid))
        return found[0] if found else None

    async def latest_attempt(self, callback_id: int, *, agent: str | None = None) -> str | None:
        """The uniqueid of the latest attempt's interaction of callback request
        `callback_id` (`cb-<id>-<n>`), of `agent`'s attempts when given; None if none."""
        prefix = f"cb-{callback_id}-"
        query = select(Interaction.uniqueid, Interaction.arrived_at).where(
            Interaction.uniqueid.startswith(prefix, autoescape=True)
        )
        if agent is not None:
            query = query.where(Interaction.agent == agent)
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        numbered = [
            (int(uniqueid[len(prefix) :]), uniqueid)
            for uniqueid, _ in rows
            if uniqueid[len(prefix) :].isdigit()
        ]
        return max(numbered)[1] if numbered else None

    async def search(
        self,
        *,
        text: str | None = None,
        queue: str | None = None,
        agent: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[InteractionRecord]:
        """Calls matching every filter given, newest first; at most `limit` of them.

        `text` matches (ignoring case; on SQLite only ASCII letters fold) a call whose
        customer's name or notes contain it, whose Uniqueid contains it, or, when `text`
        reads as part of a phone number (`phones.number_fragment`: 3 or more digits),
        whose caller number contains its digits, leading zeros ignored (`030 12...`).
        `queue` and `agent` match exactly; a call counts from `since` (inclusive) to
        `until` (exclusive) by its arrival time.
        """
        where: list[ColumnElement[bool]] = []
        if text is not None and text.strip():
            where.append(_matching(text.strip()))
        if queue is not None:
            where.append(Interaction.queue == queue)
        if agent is not None:
            where.append(Interaction.agent == agent)
        if since is not None:
            where.append(Interaction.arrived_at >= since)
        if until is not None:
            where.append(Interaction.arrived_at < until)
        query = (
            _with_names()
            .where(*where)
            .order_by(Interaction.arrived_at.desc(), Interaction.id.desc())
            .limit(max(limit, 0))
        )
        async with self._sessions() as session:
            return await _records(session, query)

    async def annotate(
        self, uniqueid: str, *, notes: str | None = None, disposition: str | None = None
    ) -> InteractionRecord:
        """Set the agent's notes and disposition of a call; None leaves one as it is.

        An empty disposition clears it. Later saves from the call path keep what is set
        here (see `SaveInteraction`). `InteractionNotFound` if the call is not recorded.
        """
        async with self._sessions() as session, session.begin():
            row = await session.scalar(
                select(Interaction).where(Interaction.uniqueid == uniqueid).with_for_update()
            )
            if row is None:
                raise InteractionNotFound(f"no recorded call {uniqueid!r}")
            if notes is not None:
                row.notes = notes
            if disposition is not None:
                row.disposition = disposition or None
            await session.flush()
            found = await _records(session, _with_names().where(Interaction.id == row.id))
        return found[0]

    async def recent(
        self, *, customer_id: int | None, caller_number: str | None, limit: int
    ) -> list[InteractionSummary]:
        """The last `limit` calls of a customer, else of a caller number, newest first."""
        if customer_id is not None:
            rows = await self._reads.rows(_RECENT_OF_CUSTOMER, {"key": customer_id, "n": limit})
        elif caller_number:
            rows = await self._reads.rows(_RECENT_OF_NUMBER, {"key": caller_number, "n": limit})
        else:
            return []
        return [
            InteractionSummary(
                uniqueid=row.uniqueid,
                arrived_at=row.arrived_at,
                queue=row.queue,
                agent=row.agent,
                outcome=row.outcome,
                disposition=row.disposition,
                notes=row.notes,
            )
            for row in rows
        ]


def _recent(key: Any) -> Select[Any]:
    """A pop's history: built once per key column, the key and the count bound per call."""
    c = _INTERACTIONS.c
    return (
        select(c.uniqueid, c.arrived_at, c.queue, c.agent, c.outcome, c.disposition, c.notes)
        .where(key == bindparam("key"))
        .order_by(c.arrived_at.desc())
        .limit(bindparam("n"))
    )


_INTERACTIONS = Interaction.__table__
_RECENT_OF_CUSTOMER = _recent(_INTERACTIONS.c.customer_id)
_RECENT_OF_NUMBER = _recent(_INTERACTIONS.c.caller_number)


def _with_names() -> Select[Interaction, str | None]:
    return select(Interaction, Customer.name).outerjoin(
        Customer, Customer.id == Interaction.customer_id
    )


def _matching(text: str) -> ColumnElement[bool]:
    folded = text.lower()
    matches = [
        func.lower(Customer.name).contains(folded, autoescape=True),
        func.lower(Interaction.notes).contains(folded, autoescape=True),
        Interaction.uniqueid.contains(text, autoescape=True),
    ]
    number = number_fragment(text)
    if number is not None:
        matches.append(Interaction.caller_number.contains(number))
    return or_(*matches)


async def _records(
    session: AsyncSession, query: Select[Interaction, str | None]
) -> list[InteractionRecord]:
    rows = (await session.execute(query)).all()
    tickets: dict[int, list[int]] = {}
    if rows:
        linked = await session.execute(
            select(Ticket.interaction_id, Ticket.id)
            .where(Ticket.interaction_id.in_([row[0].id for row in rows]))
            .order_by(Ticket.id)
        )
        for interaction_id, ticket_id in linked:
            if interaction_id is not None:
                tickets.setdefault(interaction_id, []).append(ticket_id)
    return [_record(row, name, tickets.get(row.id, ())) for row, name in rows]


def _record(row: Interaction, name: str | None, tickets: Sequence[int]) -> InteractionRecord:
    fields: dict[str, Any] = {
        key: getattr(row, key)
        for key in InteractionRecord.__dataclass_fields__
        if key not in {"customer_name", "ivr_path", "ivr_data", "survey_scores", "ticket_ids"}
    }
    return InteractionRecord(
        **fields,
        customer_name=name,
        ivr_path=tuple(row.ivr_path),
        ivr_data=dict(row.ivr_data),
        survey_scores=dict(row.survey_scores),
        ticket_ids=tuple(tickets),
    )
