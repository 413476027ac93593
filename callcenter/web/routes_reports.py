"""Historical reports per queue and per agent, as JSON for the charts or as CSV.

Strategy: the period is read in the call center's time zone (`ivr.timezone`, the one its
opening hours use): a date means that whole local day, and `until` as a date includes
that day; a moment (`2024-03-08T00:00`) is taken as it is, `until` excluded. The CSV's
name gives the first and the last day covered. Rows come from the event log through
`callcenter.reports`, the same log the live state is rebuilt from, with the same
thresholds, so history agrees with the wallboard; agent rows carry the agent's name as
the wallboard shows it. A supervisor's report covers only their queues (and the agents of
those queues). The callbacks report folds the log's callback entries the same way
(`callcenter.reports.callbacks`): a period that includes today is today's live figures.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from callcenter.reports import AgentRow, Bucket, to_csv
from callcenter.web.endpoint import STAFF, Api, ApiRequest
from callcenter.web.errors import ApiError
from callcenter.web.schemas import CallbackReportOut, ReportOut, ReportQuery

api = Api()
MAX_DAYS = 400


def _instant(value: date | datetime, tz: ZoneInfo, *, end: bool) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(0), tzinfo=tz)


def _period(q: ReportQuery, tz: ZoneInfo) -> tuple[datetime, datetime]:
    since = _instant(q.since, tz, end=False)
    until = _instant(q.until, tz, end=True)
    if until <= since:
        raise ApiError(422, "invalid_request", "until must come after since")
    if until - since > timedelta(days=MAX_DAYS):
        raise ApiError(422, "invalid_request", f"a report covers at most {MAX_DAYS} days")
    return since, until


def _row_json(row: Any) -> dict[str, Any]:
    data = dataclasses.asdict(row)
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = value.isoformat()
        elif key == "paused_by_reason":
            data[key] = dict(value)
    return data


def _last_day(report: Any) -> date:
    """The last day the report covers: its end is exclusive (the next midnight for days)."""
    until: datetime = report.until
    return (until - timedelta(microseconds=1)).date()


def _respond(req: ApiRequest, report: Any, kind: str, q: ReportQuery) -> Any:
    if q.format == "csv":
        text = to_csv([*report.rows, *report.totals])
        name = f"{kind}-report-{report.since.date()}-{_last_day(report)}-{q.bucket}.csv"
        return web.Response(
            text=text,
            content_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return {
        "since": report.since,
        "until": report.until,
        "bucket": str(report.bucket),
        "timezone": str(report.tz),
        "rows": [_row_json(r) for r in report.rows],
        "totals": [_row_json(r) for r in report.totals],
    }


@api.route(
    "GET",
    "/api/reports/queues",
    roles=STAFF,
    query=ReportQuery,
    response=ReportOut,
    summary="Queue figures per bucket (add format=csv to download)",
    tag="reports",
)
async def queue_report(req: ApiRequest) -> Any:
    q = req.query(ReportQuery)
    tz = ZoneInfo(req.ctx.settings.ivr.timezone)
    since, until = _period(q, tz)
    user = req.user
    if q.queue is not None and not user.sees_queue(q.queue):
        raise ApiError(403, "forbidden", f"queue {q.queue!r} is not one of yours")
    queues: set[str] | None = {q.queue} if q.queue else None
    if queues is None and user.queues is not None:
        queues = set(user.queues)
    report = await req.ctx.reports.queue_report(since, until, Bucket(q.bucket), tz, queues=queues)
    return _respond(req, report, "queue", q)


@api.route(
    "GET",
    "/api/reports/agents",
    roles=STAFF,
    query=ReportQuery,
    response=ReportOut,
    summary="Agent figures per bucket (add format=csv to download)",
    tag="reports",
)
async def agent_report(req: ApiRequest) -> Any:
    q = req.query(ReportQuery)
    tz = ZoneInfo(req.ctx.settings.ivr.timezone)
    since, until = _period(q, tz)
    user = req.user
    visible = {
        a.id
        for a in req.ctx.settings.acd.agents
        if user.queues is None or user.queues.intersection(a.queues)
    }
    if q.agent is not None and q.agent not in visible:
        raise ApiError(403, "forbidden", f"agent {q.agent!r} works none of your queues")
    agents: set[str] | None = {q.agent} if q.agent else None
    if agents is None and user.queues is not None:
        agents = visible
    report = await req.ctx.reports.agent_report(since, until, Bucket(q.bucket), tz, agents=agents)
    # Named as on the wallboard: the event log knows agents by id only.
    names = {a.id: a.name or a.id for a in req.ctx.settings.acd.agents}

    def named(rows: tuple[AgentRow, ...]) -> tuple[AgentRow, ...]:
        return tuple(dataclasses.replace(r, agent_name=names.get(r.agent, r.agent)) for r in rows)

    report = dataclasses.replace(report, rows=named(report.rows), totals=named(report.totals))
    return _respond(req, report, "agent", q)


@api.route(
    "GET",
    "/api/reports/callbacks",
    roles=STAFF,
    query=ReportQuery,
    response=CallbackReportOut,
    summary="Callbacks requested in the period per queue: by channel, attempts, reached, "
    "failed, cancelled, pending and overdue, success rate, time to callback (format=csv too)",
    tag="reports",
)
async def callback_report(req: ApiRequest) -> Any:
    q = req.query(ReportQuery)
    tz = ZoneInfo(req.ctx.settings.ivr.timezone)
    since, until = _period(q, tz)
    user = req.user
    if q.queue is not None and not user.sees_queue(q.queue):
        raise ApiError(403, "forbidden", f"queue {q.queue!r} is not one of yours")
    queues = {q.queue} if q.queue else (set(user.queues) if user.queues is not None else None)
    now = datetime.fromtimestamp(req.ctx.center.host.now(), tz)
    rows = await req.ctx.reports.callback_report(since, until, now, queues)
    if q.format == "csv":
        name = f"callback-report-{since.date()}-{(until - timedelta(microseconds=1)).date()}.csv"
        return web.Response(
            text=to_csv(rows),
            content_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return {
        "since": since,
        "until": until,
        "timezone": str(tz),
        "rows": [dataclasses.asdict(row) for row in rows],
    }
