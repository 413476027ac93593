"""Migration 0013: the callbacks, voicemails and tickets stored before the event log held
their lifecycle get its entries from their rows, so the reports of the days before the
upgrade say what they would have said had the entries been written then (issue 17)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db import (
    CallbackRepository,
    CustomerRepository,
    NewCustomer,
    RecordVoicemail,
    TicketRepository,
    VoicemailRepository,
    make_engine,
    make_sessions,
    upgrade,
)
from callcenter.reports import ReportRepository
from cti.complaint import Actor
from tests.pg import PostgresServer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TABLES = (
    "customers",
    "callbacks",
    "callback_attempts",
    "voicemails",
    "tickets",
    "ticket_history",
    "ticket_followups",
)


@pytest.fixture(params=["sqlite", "postgresql"])
async def two(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two empty databases of one kind: the one the entries were written to as things
    happened, and the one upgraded from before them."""
    if request.param == "sqlite":
        urls = [f"sqlite+aiosqlite:///{tmp_path / name}.db" for name in ("now", "before")]
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        urls = [server.new_database(), server.new_database()]
    engines = (make_engine(urls[0]), make_engine(urls[1]))
    yield engines
    for engine in engines:
        await engine.dispose()


async def _a_day(engine: AsyncEngine) -> None:
    sessions = make_sessions(engine)
    customer = await CustomerRepository(sessions).add(NewCustomer(name="Carl", account="7"), now=T0)
    callbacks = CallbackRepository(sessions, max_attempts=2)

    async def ask(minutes: int, channel: str = "ivr") -> int:
        at = T0 + timedelta(minutes=minutes)
        stored = await callbacks.request(
            number="+4930555123",
            now=at,
            queue="general",
            window_start=at,
            window_end=at + timedelta(hours=2),
            channel=channel,
        )
        return stored.id

    reached = await ask(0, channel="web")
    await callbacks.record_attempt(
        reached, reached=False, now=T0 + timedelta(minutes=5), result="busy"
    )
    await callbacks.record_attempt(
        reached, reached=True, now=T0 + timedelta(minutes=20), agent="anna"
    )
    failed = await ask(30)
    for minutes in (35, 50):
        await callbacks.record_attempt(failed, reached=False, now=T0 + timedelta(minutes=minutes))
    await callbacks.cancel(await ask(60), now=T0 + timedelta(minutes=70))
    await ask(90)  # still pending, its window long over

    async with sessions() as session, session.begin():
        for n, minutes in enumerate((0, 10, 20), start=1):
            at = T0 + timedelta(minutes=minutes)
            await RecordVoicemail(f"c{n}", "general", "+4930111", customer, 5.0, at).apply(session)
    inbox = VoicemailRepository(sessions)
    first, second, _open = sorted(await inbox.messages(), key=lambda v: v.call_id)
    await inbox.take(first.id, "anna", T0 + timedelta(minutes=15))
    await inbox.called_back(first.id, reached, now=T0 + timedelta(minutes=16))
    await inbox.close(first.id, "anna", "order", "", T0 + timedelta(minutes=40))
    await inbox.close(second.id, None, "spam", "", T0 + timedelta(minutes=45))

    tickets = TicketRepository(sessions, {"complaint": 48})
    anna = Actor("anna", supervises=False)
    ticket = await tickets.open(
        customer_id=customer, category="complaint", subject="late", now=T0, queue="general"
    )
    await tickets.assign(ticket.id, "anna", now=T0, actor=Actor("sup", supervises=True))
    for hours, step in ((5, "acknowledged"), (6, "investigated"), (7, "proposed")):
        await tickets.advance(ticket.id, step, now=T0 + timedelta(hours=hours), actor=anna)
    await tickets.note(ticket.id, "called the depot", now=T0 + timedelta(hours=7), actor="anna")
    [followup] = await tickets.followups(visible_queues=None)
    await tickets.answer_followup(followup.id, False, now=T0 + timedelta(hours=8), actor="ben")
    await tickets.open(customer_id=customer, category="complaint", subject="rude", now=T0)


async def _reports(engine: AsyncEngine) -> tuple[object, ...]:
    reports = ReportRepository(make_sessions(engine))
    since, until = T0.replace(hour=0), T0.replace(hour=0) + timedelta(days=1)
    now = datetime.now(UTC) + timedelta(days=1)
    return (
        await reports.callback_report(since, until, now),
        await reports.voicemail_report(since, until, now),
        await reports.ticket_report(since, until),
    )


async def test_given_rows_from_before_the_lifecycle_entries_when_upgraded_then_the_reports_are_as_if_written_then(  # noqa: E501
    two: tuple[AsyncEngine, AsyncEngine],
) -> None:
    written, before = two
    await upgrade(written)
    await _a_day(written)
    await VoicemailRepository(make_sessions(written)).expire_before(T0 + timedelta(minutes=5))
    await upgrade(before, "0012")
    async with written.connect() as source, before.begin() as target:
        for name in TABLES:
            rows = (await source.execute(sa.text(f"SELECT * FROM {name}"))).mappings().all()
            if rows:
                columns = ", ".join(rows[0].keys())
                values = ", ".join(f":{key}" for key in rows[0])
                await target.execute(
                    sa.text(f"INSERT INTO {name} ({columns}) VALUES ({values})"),
                    [dict(row) for row in rows],
                )

    await upgrade(before)
    await upgrade(before)  # a second run appends nothing

    expected = await _reports(written)
    assert await _reports(before) == expected
    callbacks, voicemail, tickets = expected
    assert [(r.requests, r.reached, r.failed, r.cancelled, r.pending) for r in callbacks] == [  # type: ignore[attr-defined]
        (4, 1, 1, 1, 1)
    ]
    assert [(r.left, r.closed, r.open, r.expired) for r in voicemail] == [(3, 1, 1, 1)]  # type: ignore[attr-defined]
    assert (tickets.opened, tickets.resolved, tickets.reopened) == (2, 1, 1)  # type: ignore[attr-defined]
