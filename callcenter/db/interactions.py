"""Interactions: one row per call, written as the call progresses, read as history.

Strategy: the hot path never waits for the database: it hands a `SaveInteraction` to the
batched writer (`callcenter.db.writer`), which upserts by the call's Uniqueid, so the
arrival, the answer and the wrap-up can each save the whole record again. Notes and the
disposition belong to the agent desktop (`annotate`): a save from the call path never
blanks them, and survey scores are merged, never dropped. The pop reads the last few calls
of a customer (or of a number, when the caller is unknown) newest first; the web API
searches them and reads one whole (`InteractionRecord`, with its customer and tickets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.models import Customer, Interaction, Ticket
from callcenter.db.phones import number_fragment
from cti.types import InteractionSummary


class InteractionNotFound(LookupError):
    """No call with the Uniqueid asked for was recorded."""


@dataclass(frozen=True, slots=True)
class InteractionData:
    """Everything recorded about one call; `uniqueid` is Asterisk's, the natural key."""

    uniqueid: str
    arrived_at: datetime
    caller_number: str | None = None
    dialled_number: str | None = None
    customer_id: int | None = None
    ivr_path: tuple[str, ...] = ()
    ivr_data: dict[str, str] = field(default_factory=dict)
    queue: str | None = None
    agent: str | None = None
    queued_at: datetime | None = None
    offered_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: str | None = None
    disposition: str | None = None
    notes: str = ""
    survey_scores: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InteractionRecord:
    """One call as the web API shows it: the stored row, the customer's name and tickets.

    `ticket_ids` are the tickets opened for or linked to this call, oldest first.
    """

    id: int
    uniqueid: str
    customer_id: int | None
    customer_name: str | None
    caller_number: str | None
    dialled_number: str | None
    queue: str | None
    agent: str | None
    arrived_at: datetime
    queued_at: datetime | None
    offered_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: str | None
    disposition: str | None
    notes: str
    ivr_path: tuple[str, ...]
    ivr_data: dict[str, str]
    survey_scores: dict[str, int]
    ticket_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SaveInteraction:
    """A writer operation: insert the interaction, or update the one with its Uniqueid.

    An update keeps what the agent desktop wrote: stored notes are not blanked by empty
    notes, a stored disposition not by None, and survey scores are merged (a score in
    `data` wins over the stored one for the same question).
    """

    data: InteractionData

    def merge_key(self) -> tuple[str, str]:
        """Saves of the same call within a batch merge."""
        return ("interaction", self.data.uniqueid)

    def merged(self, later: SaveInteraction) -> SaveInteraction:
        """`later` carries the call's whole record as of later; what the earlier one set
        and the later one leaves empty (notes, disposition, scores) is kept."""
        data = later.data
        if not data.notes and self.data.notes:
            data = replace(data, notes=self.data.notes)
        if data.disposition is None and self.data.disposition is not None:
            data = replace(data, disposition=self.data.disposition)
        scores = {**self.data.survey_scores, **data.survey_scores}
        return SaveInteraction(replace(data, survey_scores=scores))

    async def apply(self, session: AsyncSession) -> None:
        """Upsert by Uniqueid inside the writer's transaction."""
        values = asdict(self.data)
        values["ivr_path"] = list(self.data.ivr_path)
        row = await session.scalar(
            select(Interaction).where(Interaction.uniqueid == self.data.uniqueid).with_for_update()
        )
        if row is None:
            session.add(Interaction(**values))
            return
        if not self.data.notes:
            del values["notes"]
        if self.data.disposition is None:
            del values["disposition"]
        values["survey_scores"] = {**row.survey_scores, **self.data.survey_scores}
        for key, value in values.items():
            setattr(row, key, value)


@dataclass(frozen=True, slots=True)
class AddSurveyScores:
    """A writer operation: add a caller's survey answers to their call's interaction.

    The survey runs after the call, on the caller's same Uniqueid; only the scores change.
    A call the service never recorded (an unknown Uniqueid) gets a minimal interaction, so
    no answer is lost.
    """

    uniqueid: str
    scores: dict[str, int]
    at: datetime

    async def apply(self, session: AsyncSession) -> None:
        """Merge the scores into the row inside the writer's transaction."""
        row = await session.scalar(
            select(Interaction).where(Interaction.uniqueid == self.uniqueid).with_for_update()
        )
        if row is None:
            session.add(
                Interaction(
                    uniqueid=self.uniqueid,
                    arrived_at=self.at,
                    ivr_path=[],
                    ivr_data={},
                    notes="",
                    survey_scores=dict(self.scores),
                )
            )
            return
        row.survey_scores = {**row.survey_scores, **self.scores}


class InteractionRepository:
    """Reads interactions back; writes go through the batched writer or `save`."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Reads and direct writes use `sessions`."""
        self._sessions = sessions

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
            where = Interaction.customer_id == customer_id
        elif caller_number:
            where = Interaction.caller_number == caller_number
        else:
            return []
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Interaction)
                .where(where)
                .order_by(Interaction.arrived_at.desc())
                .limit(limit)
            )
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
