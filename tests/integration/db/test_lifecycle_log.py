"""Each lifecycle change of a callback, a voicemail or a ticket is in the event log with its
own kind, written with the table change: a change refused writes no entry (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from acd import RecordKind
from callcenter.db import (
    CallbackRepository,
    CustomerRepository,
    EventLog,
    NewCustomer,
    RecordVoicemail,
    TicketRepository,
    VoicemailRepository,
    VoicemailStateError,
    make_sessions,
)
from callcenter.db.lifecycle import LIFECYCLE_KINDS
from cti import IllegalTransition
from cti.complaint import STEP_PROMISES_H, Actor, Step

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_every_lifecycle_kind_fits_the_log_and_is_no_acd_record() -> None:
    assert all(len(kind) <= 32 for kind in LIFECYCLE_KINDS)
    assert not LIFECYCLE_KINDS & {kind.value for kind in RecordKind}


async def _entries(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, dict[str, Any]]]:
    return [(e.kind, e.data) for e in await EventLog(sessions).read()]


async def test_a_callback_request_its_attempts_and_its_end_are_logged_in_order(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    callbacks = CallbackRepository(sessions, max_attempts=3)
    start, end = T0, T0 + timedelta(hours=2)
    first = await callbacks.request(
        number="+4930555123", now=T0, queue="general", window_start=start, window_end=end
    )
    await callbacks.record_attempt(
        first.id, reached=False, now=T0 + timedelta(minutes=5), agent="anna", result="busy"
    )
    await callbacks.record_attempt(first.id, reached=True, now=T0 + timedelta(minutes=9))
    with pytest.raises(ValueError, match="not pending"):
        await callbacks.record_attempt(first.id, reached=True, now=T0 + timedelta(minutes=10))
    second = await callbacks.request(
        number="+4930555124",
        now=T0,
        queue="billing",
        channel="web",
        window_start=T0 + timedelta(days=1),
        window_end=T0 + timedelta(days=1, hours=1),
    )
    await callbacks.reschedule(
        second.id, now=T0 + timedelta(hours=1), window_start=start, window_end=end
    )
    await callbacks.cancel(second.id, now=T0 + timedelta(hours=2))

    log = await EventLog(sessions).read()

    assert [(e.kind, e.queue, e.call_id, e.agent) for e in log] == [
        ("callback-requested", "general", None, None),
        ("callback-attempt", "general", None, None),
        ("callback-attempt", "general", None, None),
        ("callback-done", "general", None, None),
        ("callback-requested", "billing", None, None),
        ("callback-moved", "billing", None, None),
        ("callback-cancelled", "billing", None, None),
    ]
    assert log[0].data == {
        "callback": first.id,
        "channel": "ivr",
        "window_start": T0.isoformat(),
        "window_end": (T0 + timedelta(hours=2)).isoformat(),
        "scheduled": False,
    }
    assert [(e.at, e.data["agent"], e.data["result"]) for e in log[1:3]] == [
        (T0 + timedelta(minutes=5), "anna", "busy"),
        (T0 + timedelta(minutes=9), None, "reached"),
    ]
    assert log[4].data["scheduled"] is True
    assert log[6].at == T0 + timedelta(hours=2)


async def test_a_message_left_taken_called_back_closed_and_expired_is_logged(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await RecordVoicemail("c1", "support", "+4930111", None, 12.0, T0).apply(session)
        await RecordVoicemail("c1", "support", "+4930111", None, 12.0, T0).apply(session)
    inbox = VoicemailRepository(sessions)
    [message] = await inbox.messages()
    await inbox.take(message.id, "anna", T0 + timedelta(minutes=1))
    await inbox.take(message.id, "anna", T0 + timedelta(minutes=2))  # hers already: no change
    with pytest.raises(VoicemailStateError):
        await inbox.take(message.id, "ben", T0 + timedelta(minutes=2))
    await inbox.called_back(message.id, 42, now=T0 + timedelta(minutes=3))
    await inbox.close(message.id, "anna", "order", "", T0 + timedelta(minutes=4))
    await inbox.expire_before(T0 + timedelta(days=30), now=T0 + timedelta(days=31))

    entries = await _entries(sessions)

    assert [kind for kind, _ in entries] == [
        "voicemail-left",
        "voicemail-taken",
        "voicemail-called-back",
        "voicemail-closed",
        "voicemail-expired",
    ]
    assert entries[0][1] == {"voicemail": message.id, "call": "c1", "seconds": 12.0}
    assert entries[1][1] == {"voicemail": message.id, "agent": "anna"}
    assert entries[2][1] == {"voicemail": message.id, "callback": 42}
    assert entries[3][1] == {"voicemail": message.id, "agent": "anna", "disposition": "order"}


async def test_a_ticket_opened_and_moved_logs_each_step_with_its_promise_kept_or_not(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    customer = await CustomerRepository(sessions).add(NewCustomer(name="Carl", account="7"), now=T0)
    tickets = TicketRepository(sessions, {"complaint": 48})
    anna = Actor("anna", supervises=False)
    ticket = await tickets.open(
        customer_id=customer, category="complaint", subject="late", now=T0, queue="general"
    )
    late = T0 + timedelta(hours=STEP_PROMISES_H[Step.ACKNOWLEDGED], minutes=1)
    await tickets.advance(ticket.id, "acknowledged", now=late, actor=anna)
    with pytest.raises(IllegalTransition):
        await tickets.advance(ticket.id, "confirmed", now=late, actor=anna)
    await tickets.advance(ticket.id, "investigated", now=late, actor=anna)

    log = await EventLog(sessions).read()

    assert [(e.kind, e.queue, e.data["step"]) for e in log] == [
        ("ticket-opened", "general", "received"),
        ("ticket-step", "general", "acknowledged"),
        ("ticket-step", "general", "investigated"),
    ]
    acknowledged = log[1].data
    assert (acknowledged["from_step"], acknowledged["from_status"]) == ("received", "open")
    assert acknowledged["promised"] == log[0].data["promise"]
    assert (acknowledged["kept"], log[2].data["kept"]) == (False, True)
    assert acknowledged["actor"] == "anna"


class _OldTerm:
    """A node's fence whose term the cluster has moved past (the state starts at term 0)."""

    term = 7


async def test_given_a_node_whose_term_is_over_then_its_change_and_its_entry_are_refused(
    db_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the fence is PostgreSQL's (several nodes share one)")
    fenced = make_sessions(sessions.kw["bind"], fence=_OldTerm())
    with pytest.raises(DBAPIError, match="fenced"):
        await CallbackRepository(fenced).request(
            number="+4930555123", now=T0, window_start=T0, window_end=T0 + timedelta(hours=2)
        )

    assert await CallbackRepository(sessions).list() == []
    assert await EventLog(sessions).read() == []
