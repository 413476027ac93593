"""Interactions: one row per call, written as the call progresses, read as history.

Strategy: the hot path never waits for the database: it hands a `SaveInteraction` to the
batched writer (`callcenter.db.writer`), which upserts by the call's Uniqueid, so the
arrival, the answer and the wrap-up can each save the whole record again. The pop reads the
last few calls of a customer (or of a number, when the caller is unknown) newest first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.models import Interaction
from cti.types import InteractionSummary


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
class SaveInteraction:
    """A writer operation: insert the interaction, or update the one with its Uniqueid."""

    data: InteractionData

    async def apply(self, session: AsyncSession) -> None:
        """Upsert by Uniqueid inside the writer's transaction."""
        values = asdict(self.data)
        values["ivr_path"] = list(self.data.ivr_path)
        row = await session.scalar(
            select(Interaction).where(Interaction.uniqueid == self.data.uniqueid)
        )
        if row is None:
            session.add(Interaction(**values))
            return
        for key, value in values.items():
            setattr(row, key, value)


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
