"""Reading reports from the database: the event log in pages, survey scores, the folds.

Strategy: the call event log is the one source (docs/ARCHITECTURE.md, "Persistence"), read
through `EventLog.read` in pages of ``page_size`` rows in log order, each page folded into
a `QueueAggregator` or `AgentAggregator` and dropped, so memory holds the report, never the
period's events. Around [since, until) the read reaches a little further: forward by
``lookahead`` for queue reports (the answers and handling of calls that entered just before
``until``), and back by ``lookback`` for agent reports (the login and state of an agent at
``since``). Survey scores come from the interactions table, each interaction's answers
averaged and counted once for its queue and agent, placed by the time it was queued.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from acd import AcdSettings
from callcenter.db.events import CallEvent, EventLog
from callcenter.db.models import Interaction
from callcenter.reports.agent_rows import AgentAggregator
from callcenter.reports.queue_rows import QueueAggregator
from callcenter.reports.types import (
    AgentReport,
    Bucket,
    QueueReport,
    QueueRules,
    SurveyScore,
    rules_from_settings,
)


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
        """Reads through ``sessions``; ``rules`` are the queues' thresholds and formulas.

        Build ``rules`` with `rules_from_settings(acd_settings)`; a queue without rules gets
        the defaults (20 s, 5 s short abandons, answered + abandoned).
        """
        self._sessions = sessions
        self._log = EventLog(sessions)
        self._rules = dict(rules or {})
        self._lookback, self._lookahead = lookback, lookahead
        self._page_size = page_size

    def use_acd(self, settings: AcdSettings) -> None:
        """Report with the queues' thresholds and formulas of `settings` from now on (a new
        version of the ACD configuration is in force)."""
        self._rules = rules_from_settings(settings)

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
        aggregator = QueueAggregator(
            since=since, until=until, bucket=bucket, tz=tz, rules=self._rules, queues=queues
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
