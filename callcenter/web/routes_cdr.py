"""Every contact on record: the call detail records of a period, and a customer's history.

Strategy: `GET /api/cdr` streams one record per call and per callback attempt
(`callcenter.db.call_records`) as CSV or JSON, written a few hundred rows at a time as the
database hands them over, so a month of calls never sits in memory as one string. The
period is read as the reports read it (`routes_reports`): in the center's time zone
(`ivr.timezone`), a date meaning that whole local day; the records' times carry that zone's
offset. A supervisor gets their queues' calls (and those that never reached a queue, as
`/api/interactions` shows them); admins get all. The numbers are the export's purpose
(authorised staff only) and are never logged. `GET /api/customers/{id}/history` lists a
customer's contacts of every kind, newest first (`callcenter.db.contact_history`).

The request and response models live here rather than in `schemas.py`: they belong to
these two routes only.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from callcenter.db.call_records import CallRecords, Period
from callcenter.db.contact_history import ContactHistory
from callcenter.web.cdr_export import csv_header, csv_line, json_item
from callcenter.web.endpoint import EVERYONE, STAFF, Api, ApiRequest
from callcenter.web.errors import ApiError
from callcenter.web.schemas import DayOrMoment

log = structlog.get_logger(__name__)

api = Api()
MAX_DAYS = 400
"""The longest period one export covers."""
FLUSH_BYTES = 64 * 1024
"""Rows are sent in pieces of about this size."""


class _Query(BaseModel):
    # As every request of the API: an unknown or misspelt parameter is a 422 naming it.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CdrQuery(_Query):
    """The period of a call detail record export, a queue, and the format."""

    since: DayOrMoment
    until: DayOrMoment
    queue: str | None = Field(None, max_length=64)
    format: Literal["json", "csv"] = "json"


class CallRecordOut(BaseModel):
    """One call, one attempt at a callback or one automated follow-up call (`record_type`),
    with every field."""

    record_type: Literal["call", "callback_attempt", "followup_call"]
    call_id: str
    callback_id: int | None
    attempt: int | None
    """An attempt's number among its request's attempts (1 for the first)."""
    arrived_at: datetime
    dialled_number: str | None
    caller_number: str | None
    customer_id: int | None
    customer_name: str | None
    customer_account: str | None
    ivr_path: str
    """The IVR's nodes, joined by ` > `."""
    ivr_answers: str
    """What the caller keyed in, `name=value; ...`."""
    ivr_seconds: float | None
    queue: str | None
    queued_at: datetime | None
    wait_seconds: float | None
    agent: str | None
    offered_at: datetime | None
    ring_seconds: float | None
    answered_at: datetime | None
    ended_at: datetime | None
    talk_seconds: float | None
    wrap_up_seconds: float | None
    outcome: str | None
    disposition: str | None
    has_notes: bool
    ticket_ids: str
    """The tickets opened on or linked to the call, `12; 15`."""
    survey_scores: str
    """`question=score; ...`"""
    voicemail_file: str | None
    voicemail_seconds: int | None
    transfer_target: str | None


class CdrOut(BaseModel):
    """The records of a period, calls by arrival and attempts by time, merged in order."""

    since: datetime
    until: datetime
    timezone: str
    records: list[CallRecordOut]


class HistoryQuery(_Query):
    """How many of a customer's contacts."""

    limit: int = Field(100, ge=1, le=500)


class ContactOut(BaseModel):
    """One contact of a customer: a call, a callback request or one attempt at it, or an
    automated follow-up call about a ticket."""

    kind: Literal["call", "callback", "callback_attempt", "followup_call"]
    at: datetime
    call_id: str | None
    outcome: str | None
    """A call's ending (`answered`, `self_service`, `abandoned_in_ivr`, `voicemail`,
    `transferred` ...), a request's status, or an attempt's or follow-up call's result."""
    queue: str | None
    agent: str | None
    number: str | None
    ended_at: datetime | None
    disposition: str | None
    notes: str
    ivr_path: list[str]
    callback_id: int | None
    attempt: int | None
    """An attempt's or a follow-up call's number (1 for the first)."""
    ticket_id: int | None = None
    """The ticket a follow-up call was about."""
    details: dict[str, Any]


def _instant(value: date | datetime, tz: ZoneInfo, *, end: bool) -> datetime:
    # As the reports read a period: a day is the whole local day, `until`'s included.
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(0), tzinfo=tz)


def _period(q: CdrQuery, tz: ZoneInfo) -> Period:
    since = _instant(q.since, tz, end=False)
    until = _instant(q.until, tz, end=True)
    if until <= since:
        problem = "must come after since"
        raise ApiError(
            422,
            "invalid_request",
            f"invalid query: until: {problem}",
            [{"field": "until", "problem": problem, "in": "query"}],
        )
    if until - since > timedelta(days=MAX_DAYS):
        problem = f"a period covers at most {MAX_DAYS} days"
        raise ApiError(
            422,
            "invalid_request",
            f"invalid query: until: {problem}",
            [{"field": "until", "problem": problem, "in": "query"}],
        )
    return Period(since, until, tz)


def _last_day(period: Period) -> date:
    return (period.until - timedelta(microseconds=1)).astimezone(period.tz).date()


@api.route(
    "GET",
    "/api/cdr",
    roles=STAFF,
    query=CdrQuery,
    response=CdrOut,
    summary="Call detail records of a period, one per call and per callback attempt "
    "(format=csv to download; streamed)",
    tag="reports",
)
async def call_records(req: ApiRequest) -> web.StreamResponse:
    q = req.query(CdrQuery)
    tz = ZoneInfo(req.ctx.settings.ivr.timezone)
    period = _period(q, tz)
    user = req.user
    if q.queue is not None and not user.sees_queue(q.queue):
        raise ApiError(403, "forbidden", f"queue {q.queue!r} is not one of yours")
    queues = {q.queue} if q.queue is not None else user.queues
    since_text, until_text = period.since.astimezone(tz), period.until.astimezone(tz)
    name = f"call-records-{since_text.date()}-{_last_day(period)}"
    if q.format == "csv":
        content_type = "text/csv"
        head, tail, separator = csv_header(), "", ""
        disposition = f'attachment; filename="{name}.csv"'
    else:
        content_type = "application/json"
        opening = {
            "since": since_text.isoformat(),
            "until": until_text.isoformat(),
            "timezone": str(tz),
        }
        head = _json_opening(opening)
        tail, separator = "]}", ","
        disposition = f'inline; filename="{name}.json"'
    response = web.StreamResponse(
        headers={
            "Content-Type": f"{content_type}; charset=utf-8",
            "Content-Disposition": disposition,
            "Cache-Control": "no-store",
        }
    )
    response.enable_chunked_encoding()
    await response.prepare(req.request)
    records = CallRecords(req.ctx.interactions.sessions)
    pending: list[str] = [head]
    size = len(head)
    count = 0
    try:
        async for row in records.rows(period, queues=queues, unqueued=q.queue is None):
            text = csv_line(row, tz) if q.format == "csv" else json_item(row, tz)
            if count and separator:
                text = separator + text
            pending.append(text)
            size += len(text)
            count += 1
            if size >= FLUSH_BYTES:
                await response.write("".join(pending).encode())
                pending, size = [], 0
        pending.append(tail)
        await response.write("".join(pending).encode())
    except Exception:
        # The status line is gone: all that is left to say is to cut the transfer short,
        # so that the client sees an incomplete download rather than a short file.
        log.exception("cdr.export_failed", rows=count, user=user.username)
        transport = req.request.transport
        if transport is not None:
            transport.close()
        return response
    await response.write_eof()
    log.info("cdr.exported", rows=count, user=user.username, format=q.format)
    return response


def _json_opening(fields: dict[str, str]) -> str:
    return json.dumps(fields)[:-1] + ',"records":['


@api.route(
    "GET",
    "/api/customers/{customer_id}/history",
    roles=EVERYONE,
    query=HistoryQuery,
    response=list[ContactOut],
    summary="A customer's contacts, newest first: calls of every ending (the IVR's "
    "included), voicemails, transfers, callback requests and each attempt",
    tag="customers",
)
async def customer_history(req: ApiRequest) -> list[dict[str, Any]]:
    raw = req.path("customer_id")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise ApiError(
            422, "invalid_request", f"customer_id must be a positive whole number, got {raw!r}"
        )
    customer_id = int(raw)
    if await req.ctx.customers.get(customer_id) is None:
        raise ApiError(404, "not_found", f"no customer {customer_id}")
    limit = req.query(HistoryQuery).limit
    contacts = await ContactHistory(req.ctx.interactions.sessions).of_customer(
        customer_id, limit=limit
    )
    return [
        {
            "kind": c.kind,
            "at": c.at,
            "call_id": c.call_id,
            "outcome": c.outcome,
            "queue": c.queue,
            "agent": c.agent,
            "number": c.number,
            "ended_at": c.ended_at,
            "disposition": c.disposition,
            "notes": c.notes,
            "ivr_path": list(c.ivr_path),
            "callback_id": c.callback_id,
            "attempt": c.attempt,
            "ticket_id": c.ticket_id,
            "details": c.details,
        }
        for c in contacts
    ]
