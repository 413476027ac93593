"""Reading reports from the database: the event log in pages, survey scores, the folds.

Strategy: the call event log is the one source (docs/ARCHITECTURE.md, "Persistence"), read
through `EventLog.read` in pages of ``page_size`` rows in log order, each page folded into
a `QueueAggregator` or `AgentAggregator` and dropped, so memory holds the report, never the
period's events. Around [since, until) the read reaches a little further: forward by
``lookahead`` for queue reports (the answers and handling of calls that entered just before
``until``), and back by ``lookback`` for agent reports (the login and state of an agent at
``since``). Survey scores come from the interactions table, each interaction's answers
averaged and counted once for its queue and agent, placed by the time it was queued.
The callbacks, voicemail and tickets reports read only their own entries of the log
(`callcenter.reports.lifecycle_log`), up to the present for the first two (what came of
the period's requests and messages since).

The queues' rules (thresholds, formula, target) come from the log too (issue 16): the rules
in force at ``since`` are those of the last ``config`` record before it (or, failing that,
what the first one after it replaced; or, in a log holding none, the configuration in force
now, `use_acd`), and the config records inside the period switch them as the fold meets
them. So a change applies from its moment on, history keeps the rules of its day, and a
restart loses nothing: the log is the whole history of what the core ran (the service logs a
config record at its start when the stored version differs from what the log last ran).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from acd import AcdSettings
from acd.commands import RecordKind
from callcenter.db.events import CallEvent, EventLog
from callcenter.db.lifecycle import CALLBACK_KINDS, TICKET_KINDS, VOICEMAIL_KINDS
from callcenter.db.models import CallEventRow, Interaction
from callcenter.reports.agent_rows import AgentAggregator
from callcenter.reports.callbacks import CallbackFold, CallbackRow
from callcenter.reports.lifecycle_log import EntityFold, ItemT, RowT, lifecycle_events
from callcenter.reports.queue_rows import QueueAggregator
from callcenter.reports.tickets import TicketFold, TicketReport
from callcenter.reports.types import (
    AgentReport,
    Bucket,
    QueueReport,
    QueueRules,
    SurveyScore,
    rules_from_document,
    rules_from_settings,
)
from callcenter.reports.voicemail import VoicemailFold, VoicemailHandling


def survey_average(scores: Mapping[str, object]) -> float | None:
    """The mean of an interaction's numeric survey answers, or None if it has none."""
    values = [
        float(v) for v in scores.values() if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    return sum(values) / len(values) if values else None


def _check_period(since: datetime, until: datetime) -> None:
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must be aware datetimes")
    if until <= since:
        raise ValueError(f"the period is empty: until {until} is not after since {since}")


class ReportRepository:
    """Builds queue and agent reports for a period from the event log and interactions."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        rules: Mapping[str, QueueRules] | None = None,
        lookback: timedelta = timedelta(hours=24),
        lookahead: timedelta = timedelta(hours=4),
        page_size: int = 5_000,
    ) -> None:
        """Reads through ``sessions``; ``rules`` are the queues' thresholds and formulas in
        force now, used where the event log holds no config record to say otherwise.

        Build ``rules`` with `rules_from_settings(acd_settings)`; a queue without rules gets
        the defaults (20 s, 5 s short abandons, answered + abandoned, 80 %).
        """
        self._sessions = sessions
        self._log = EventLog(sessions)
        self._rules = dict(rules or {})
        self._lookback, self._lookahead = lookback, lookahead
        self._page_size = page_size

    def use_acd(self, settings: AcdSettings) -> None:
        """`settings` is the ACD configuration in force now (a new version was applied).

        It does not rewrite history: calls are judged by the rules of the config records of
        the event log around them, and the core logged the change as it applied it. These
        rules only stand in where the log holds no config record at all."""
        self._rules = rules_from_settings(settings)

    async def rules_at(self, moment: datetime) -> dict[str, QueueRules]:
        """The queues' rules in force at ``moment``, by the event log's config records."""
        kind = CallEventRow.kind == RecordKind.CONFIG.value
        before = (
            select(CallEventRow.data)
            .where(kind, CallEventRow.at < moment)
            .order_by(CallEventRow.at.desc(), CallEventRow.id.desc())
            .limit(1)
        )
        after = (
            select(CallEventRow.data)
            .where(kind, CallEventRow.at >= moment)
            .order_by(CallEventRow.at, CallEventRow.id)
            .limit(1)
        )
        async with self._sessions() as session:
            data = await session.scalar(before)
            rules = rules_from_document((data or {}).get("settings"))
            if rules is None:
                data = await session.scalar(after)
                rules = rules_from_document((data or {}).get("settings_before"))
        return dict(self._rules) if rules is None else rules

    async def queue_report(
        self,
        since: datetime,
        until: datetime,
        bucket: Bucket,
        tz: ZoneInfo,
        queues: Collection[str] | None = None,
    ) -> QueueReport:
        """Queue rows per bucket for the calls that entered a queue in [since, until)."""
        _check_period(since, until)
        rules = await self.rules_at(since)
        aggregator = QueueAggregator(
            since=since, until=until, bucket=bucket, tz=tz, rules=rules, queues=queues
        )
        async for event in self._events(since, until + self._lookahead):
            aggregator.feed(event)
        async for score in self._surveys(since, until):
            aggregator.feed_survey(score)
        return aggregator.report()

    async def agent_report(
        self,
        since: datetime,
        until: datetime,
        bucket: Bucket,
        tz: ZoneInfo,
        agents: Collection[str] | None = None,
    ) -> AgentReport:
        """Agent rows per bucket for [since, until); states still open end at the present."""
        _check_period(since, until)
        aggregator = AgentAggregator(since=since, until=until, bucket=bucket, tz=tz, agents=agents)
        async for event in self._events(since - self._lookback, until):
            aggregator.feed(event)
        async for score in self._surveys(since, until):
            aggregator.feed_survey(score)
        return aggregator.report(close_at=datetime.now(UTC))

    async def callback_report(
        self,
        since: datetime,
        until: datetime,
        now: datetime,
        queues: Collection[str] | None = None,
    ) -> list[CallbackRow]:
        """Per queue, the callbacks asked for in [since, until) as they stand at `now`
        (`callcenter.reports.callbacks`), from the log's callback entries."""
        return await self._fold(CallbackFold(since, until, now, queues), CALLBACK_KINDS)

    async def voicemail_report(
        self,
        since: datetime,
        until: datetime,
        now: datetime,
        queues: Collection[str] | None = None,
    ) -> list[VoicemailHandling]:
        """Per queue, the messages left in [since, until) as they stand at `now`
        (`callcenter.reports.voicemail`), from the log's voicemail entries."""
        return await self._fold(VoicemailFold(since, until, now, queues), VOICEMAIL_KINDS)

    async def ticket_report(
        self,
        since: datetime,
        until: datetime,
        queues: Collection[str] | None = None,
        *,
        unqueued: bool = True,
    ) -> TicketReport:
        """The tickets of [since, until) (`callcenter.reports.tickets`), from the log's
        ticket entries; `queues` and `unqueued` as `TicketFold` takes them."""
        _check_period(since, until)
        fold = TicketFold(since, until, queues, unqueued=unqueued)
        async for event in lifecycle_events(
            self._sessions, TICKET_KINDS, since, until, page_size=self._page_size
        ):
            fold.feed(event)
        return fold.report()

    async def _fold(self, fold: EntityFold[ItemT, RowT], kinds: Collection[str]) -> list[RowT]:
        """`fold`'s rows from the entries of `kinds` of its period, up to its `now` included."""
        _check_period(fold.since, fold.until)
        end = max(fold.now + timedelta(microseconds=1), fold.since)
        async for event in lifecycle_events(
            self._sessions, kinds, fold.since, end, page_size=self._page_size
        ):
            fold.feed(event)
        return fold.rows()

    async def _events(self, since: datetime, until: datetime) -> AsyncIterator[CallEvent]:
        after_id = 0
        while True:
            page = await self._log.read(
                after_id=after_id, since=since, until=until, limit=self._page_size
            )
            for event in page:
                yield event
            if len(page) < self._page_size:
                return
            after_id = page[-1].id or after_id

    async def _surveys(self, since: datetime, until: datetime) -> AsyncIterator[SurveyScore]:
        placed_at = func.coalesce(Interaction.queued_at, Interaction.arrived_at)
        query = select(
            Interaction.id,
            placed_at,
            Interaction.queue,
            Interaction.agent,
            Interaction.survey_scores,
        ).where(placed_at >= since, placed_at < until)
        after_id = 0
        while True:
            async with self._sessions() as session:
                result = await session.execute(
                    query.where(Interaction.id > after_id)
                    .order_by(Interaction.id)
                    .limit(self._page_size)
                )
                page = result.all()
            for row_id, at, queue, agent, scores in page:
                after_id = row_id
                average = survey_average(scores or {})
                if average is not None:
                    yield SurveyScore(_aware(at), average, queue, agent)
            if len(page) < self._page_size:
                return


def _aware(at: datetime | str) -> datetime:
    """``coalesce`` loses the column type, so SQLite hands back naive or text UTC times."""
    value = datetime.fromisoformat(at) if isinstance(at, str) else at
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
