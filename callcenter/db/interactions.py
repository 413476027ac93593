"""Interactions: one row per call, and the writer operations that keep it as the call goes.

Strategy: the hot path never waits for the database: it hands a `SaveInteraction` to the
batched writer (`callcenter.db.writer`), which upserts by the call's Uniqueid, so the
arrival, the answer and the wrap-up can each save the whole record again. Notes and the
disposition belong to the agent desktop (`InteractionRepository.annotate`): a save from
the call path never blanks them, and survey scores are merged, never dropped. Reading
them back (the pop's last calls, the web API's search, one call whole as an
`InteractionRecord`) is `InteractionRepository`, in `interaction_history.py`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, ColumnElement, Table, case, func, literal_column, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.db.models import Interaction


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
    """How the call ended (`OUTCOMES`); None while it is going on."""
    disposition: str | None = None
    notes: str = ""
    survey_scores: dict[str, int] = field(default_factory=dict)


OUTCOMES = {
    "answered": "an agent took the call (the ACD)",
    "abandoned": "the caller hung up waiting in a queue (the ACD)",
    "overflowed": "the call left its queue for voicemail or a callback offer (the ACD)",
    "callback": "the caller asked to be called back, in the IVR or instead of waiting",
    "timed_out": "the call reached its queue's longest wait with nowhere to go (the ACD)",
    "voicemail": "the caller left a message",
    "voicemail_failed": "the caller wanted to leave a message; Asterisk could not record it",
    "self_service": "the IVR answered the caller (an order status)",
    "abandoned_in_ivr": "the caller hung up in the IVR, before reaching a queue",
    "closed": "after hours: the caller heard the opening times and left no request",
    "transferred": "the IVR sent the call to an outside number",
    "completed": "the IVR flow ended without naming an outcome",
}
"""The outcomes an interaction can have, with what each means (the pop and the search show
them). A flow may name others with its hang-up nodes' `outcome`. A callback attempt's
interaction (`cb-<request>-<n>`) has its result instead (`callcenter.db.AttemptResult`:
reached, busy, no-answer ...), None while the attempt goes on; so has an automated
follow-up call's (`fu-<follow-up>-<n>`, `callcenter.db.followup_contacts`)."""


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
    `data` wins over the stored one for the same question). Every save of a batch folds
    into one `SaveInteractions` (one statement for the whole batch).
    """

    data: InteractionData

    def merge_key(self) -> str:
        """All saves of a batch merge into one `SaveInteractions`."""
        return "interactions"

    def merged(self, later: SaveInteraction) -> SaveInteractions:
        """This save followed by `later`, as one multi-call operation."""
        return SaveInteractions({self.data.uniqueid: self.data}).merged(later)

    async def apply(self, session: AsyncSession) -> None:
        """Upsert by Uniqueid inside the writer's transaction."""
        await SaveInteractions({self.data.uniqueid: self.data}).apply(session)


def _fold(earlier: InteractionData, later: InteractionData) -> InteractionData:
    """`later` is the call's whole record as of later; what `earlier` set and `later`
    leaves empty (notes, disposition, scores) is kept."""
    data = later
    if not data.notes and earlier.notes:
        data = replace(data, notes=earlier.notes)
    if data.disposition is None and earlier.disposition is not None:
        data = replace(data, disposition=earlier.disposition)
    if earlier.survey_scores:
        data = replace(data, survey_scores={**earlier.survey_scores, **data.survey_scores})
    return data


@dataclass(frozen=True, slots=True)
class SaveInteractions:
    """The saves of one batch, one record per call (the latest, folded with the earlier).

    Strategy: the call path saves a call's record four or five times and never carries
    scores, so those records go in one `INSERT ... ON CONFLICT (uniqueid) DO UPDATE` for
    the whole batch, which keeps stored notes and disposition in SQL and leaves the scores
    alone; no row is read back. A record with survey scores merges them with the stored
    ones row by row (rare: surveys come through `AddSurveyScores`).
    """

    records: dict[str, InteractionData]

    def merge_key(self) -> str:
        """Folds with the batch's other saves."""
        return "interactions"

    def merged(self, later: SaveInteraction | SaveInteractions) -> SaveInteractions:
        """These saves followed by `later`'s, one record per call."""
        records = dict(self.records)
        incoming = [later.data] if isinstance(later, SaveInteraction) else later.records.values()
        for data in incoming:
            earlier = records.get(data.uniqueid)
            records[data.uniqueid] = data if earlier is None else _fold(earlier, data)
        return SaveInteractions(records)

    async def apply(self, session: AsyncSession) -> None:
        """Upsert every record inside the writer's transaction."""
        plain = [_row_values(d) for d in self.records.values() if not d.survey_scores]
        if plain:
            await session.execute(_upsert(session), plain)
        for data in self.records.values():
            if data.survey_scores:
                await _save_with_scores(session, data)


_FIELDS = tuple(InteractionData.__dataclass_fields__)


def _row_values(data: InteractionData) -> dict[str, Any]:
    # Not `asdict`: it deep-copies every value, and this runs for every save of every call.
    values = {name: getattr(data, name) for name in _FIELDS}
    values["ivr_path"] = list(data.ivr_path)
    return values


_KEPT_ON_UPDATE = frozenset({"uniqueid", "notes", "disposition", "survey_scores"})


def _upsert(session: AsyncSession) -> Any:
    """`INSERT ... ON CONFLICT (uniqueid) DO UPDATE` in the session's SQL dialect."""
    return _upsert_for(session.get_bind().dialect.name)


@functools.cache
def _upsert_for(dialect: str) -> Any:
    # Built once per dialect: SQLAlchemy then reuses the compiled statement by its cache key.
    table = cast(Table, Interaction.__table__)
    insert_ = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert_(table)
    new = statement.excluded
    updates: dict[str, Any] = {
        name: new[name]
        for name in InteractionData.__dataclass_fields__
        if name not in _KEPT_ON_UPDATE
    }
    # What the agent desktop wrote survives a save from the call path.
    updates["notes"] = case((new.notes == "", table.c.notes), else_=new.notes)
    updates["disposition"] = func.coalesce(new.disposition, table.c.disposition)
    return statement.on_conflict_do_update(index_elements=["uniqueid"], set_=updates)


async def _save_with_scores(session: AsyncSession, data: InteractionData) -> None:
    values = _row_values(data)
    row = await session.scalar(
        select(Interaction).where(Interaction.uniqueid == data.uniqueid).with_for_update()
    )
    if row is None:
        session.add(Interaction(**values))
        return
    if not data.notes:
        del values["notes"]
    if data.disposition is None:
        del values["disposition"]
    values["survey_scores"] = {**row.survey_scores, **data.survey_scores}
    for key, value in values.items():
        setattr(row, key, value)


@dataclass(frozen=True, slots=True)
class AddSurveyScores:
    """A writer operation: add a caller's survey answers to their call's interaction.

    The survey runs after the call, on the caller's same Uniqueid; only the scores change.
    A call the service never recorded (an unknown Uniqueid) gets a minimal interaction, so
    no answer is lost. Every survey of a batch folds into one `AddSurveysScores`.
    """

    uniqueid: str
    scores: dict[str, int]
    at: datetime

    def merge_key(self) -> str:
        """All survey answers of a batch merge into one `AddSurveysScores`."""
        return "survey_scores"

    def merged(self, later: AddSurveyScores | AddSurveysScores) -> AddSurveysScores:
        """These answers followed by `later`'s, as one multi-call operation."""
        return AddSurveysScores({self.uniqueid: self}).merged(later)

    async def apply(self, session: AsyncSession) -> None:
        """Merge the scores into the row inside the writer's transaction."""
        await AddSurveysScores({self.uniqueid: self}).apply(session)


@dataclass(frozen=True, slots=True)
class AddSurveysScores:
    """The survey answers of one batch, one entry per call (later answers win per question).

    Strategy: one `INSERT ... ON CONFLICT (uniqueid) DO UPDATE` for the whole batch merges
    each call's answers into the stored ones in SQL (SQLite's `json_patch`, PostgreSQL's
    `jsonb ||`), or inserts the minimal row of a call never recorded; no row is read back.
    Every answered call has a survey: reading each row into the ORM and flushing it back
    cost the loop more than all the rest of the call's writes.
    """

    answers: dict[str, AddSurveyScores]

    def merge_key(self) -> str:
        """Folds with the batch's other survey answers."""
        return "survey_scores"

    def merged(self, later: AddSurveyScores | AddSurveysScores) -> AddSurveysScores:
        """These answers followed by `later`'s, one entry per call."""
        answers = dict(self.answers)
        incoming = [later] if isinstance(later, AddSurveyScores) else later.answers.values()
        for op in incoming:
            earlier = answers.get(op.uniqueid)
            answers[op.uniqueid] = (
                op
                if earlier is None
                else AddSurveyScores(op.uniqueid, {**earlier.scores, **op.scores}, earlier.at)
            )
        return AddSurveysScores(answers)

    async def apply(self, session: AsyncSession) -> None:
        """Upsert the scores of every call inside the writer's transaction."""
        rows = [
            {
                "uniqueid": op.uniqueid,
                "arrived_at": op.at,
                "ivr_path": [],
                "ivr_data": {},
                "notes": "",
                "survey_scores": dict(op.scores),
            }
            for op in self.answers.values()
        ]
        # An ORM operation of the same batch (`SetOutcome`, a save with scores) may hold a
        # row of these calls: its changes go first, and it reads the merged scores after.
        if session.dirty or session.new:
            await session.flush()
        await session.execute(_scores_upsert_for(session.get_bind().dialect.name), rows)
        session.expire_all()


@functools.cache
def _scores_upsert_for(dialect: str) -> Any:
    # Built once per dialect, like `_upsert_for`. The stored scores and the new ones are
    # JSON objects of question -> score: merging them key by key is all a survey needs.
    table = cast(Table, Interaction.__table__)
    if dialect == "postgresql":
        on_postgres = postgresql_insert(table)
        stored = func.coalesce(
            sql_cast(table.c.survey_scores, JSONB), literal_column("'{}'::jsonb")
        )
        new = sql_cast(on_postgres.excluded.survey_scores, JSONB)
        merged: ColumnElement[Any] = sql_cast(stored.op("||")(new), JSON)
        return on_postgres.on_conflict_do_update(
            index_elements=["uniqueid"], set_={"survey_scores": merged}
        )
    on_sqlite = sqlite_insert(table)
    stored = func.coalesce(table.c.survey_scores, literal_column("'{}'"))
    merged = func.json_patch(stored, on_sqlite.excluded.survey_scores)
    return on_sqlite.on_conflict_do_update(
        index_elements=["uniqueid"], set_={"survey_scores": merged}
    )


@dataclass(frozen=True, slots=True)
class SetOutcome:
    """A writer operation: a call's end as the PBX side saw it, on its interaction.

    For a call whose row the ACD's recorder keeps (an overflow sent to voicemail): the
    outcome is replaced, `data` is added to the IVR data and `ended_at` set; nothing else
    changes. A call the service never recorded gets a minimal row, so the end is not lost.
    """

    uniqueid: str
    outcome: str
    data: dict[str, str]
    at: datetime

    async def apply(self, session: AsyncSession) -> None:
        """Update (or add) the row inside the writer's transaction."""
        row = await session.scalar(
            select(Interaction).where(Interaction.uniqueid == self.uniqueid).with_for_update()
        )
        if row is None:
            session.add(
                Interaction(
                    uniqueid=self.uniqueid,
                    arrived_at=self.at,
                    ended_at=self.at,
                    outcome=self.outcome,
                    ivr_path=[],
                    ivr_data=dict(self.data),
                    notes="",
                    survey_scores={},
                )
            )
            return
        row.outcome = self.outcome
        row.ended_at = self.at
        row.ivr_data = {**row.ivr_data, **self.data}
