"""The voicemail inbox's records: recorded once per call, taken, closed, expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db import (
    CustomerRepository,
    NewCustomer,
    RecordVoicemail,
    VoicemailNotFound,
    VoicemailRepository,
    VoicemailStateError,
    VoicemailStatus,
)
from callcenter.db.interactions import InteractionData, SaveInteraction

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _record(sessions: async_sessionmaker[AsyncSession], *ops: object) -> None:
    async with sessions() as session, session.begin():
        for op in ops:
            await op.apply(session)  # type: ignore[attr-defined]


async def test_given_a_recorded_message_then_the_inbox_lists_it_with_the_callers_name(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    (carl,) = await CustomerRepository(sessions).add_many(
        [NewCustomer(name="Carl", account="7", phones=["+4930111"])], now=T0
    )
    await _record(
        sessions,
        RecordVoicemail("c1", "support", "+4930111", carl, 12.0, T0),
        RecordVoicemail("c2", "sales", "+4930222", None, 5.0, T0 + timedelta(minutes=1)),
        # The same call recorded again (an IVR retry) is one message.
        RecordVoicemail("c1", "support", "+4930111", carl, 30.0, T0),
    )
    inbox = VoicemailRepository(sessions)
    everything = await inbox.messages()
    assert [(v.call_id, v.queue, v.customer_name, v.seconds) for v in everything] == [
        ("c2", "sales", None, 5.0),
        ("c1", "support", "Carl", 12.0),
    ]
    assert [v.call_id for v in await inbox.messages(queues=["support"])] == ["c1"]
    assert all(v.status is VoicemailStatus.NEW for v in everything)


async def test_given_no_customer_known_when_the_call_has_one_then_the_message_takes_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    (dora,) = await CustomerRepository(sessions).add_many(
        [NewCustomer(name="Dora", account="8")], now=T0
    )
    call = InteractionData(
        uniqueid="c9", arrived_at=T0, caller_number="+4930999", customer_id=dora, queue="support"
    )
    await _record(sessions, SaveInteraction(call))
    await _record(sessions, RecordVoicemail("c9", "support", None, None, 3.0, T0))
    (message,) = await VoicemailRepository(sessions).messages()
    assert (message.customer_name, message.caller_number) == ("Dora", "+4930999")


async def test_a_message_is_taken_by_one_agent_closed_once_and_refused_to_others(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _record(sessions, RecordVoicemail("c1", "support", "+4930111", None, 12.0, T0))
    inbox = VoicemailRepository(sessions)
    (message,) = await inbox.messages()
    taken = await inbox.take(message.id, "1001", T0 + timedelta(minutes=5))
    assert (taken.status, taken.agent) == (VoicemailStatus.IN_PROGRESS, "1001")
    with pytest.raises(VoicemailStateError, match="1001's"):
        await inbox.take(message.id, "1002", T0)
    with pytest.raises(VoicemailStateError, match="1001's"):
        await inbox.close(message.id, "1002", "resolved", "", T0)
    closed = await inbox.close(
        message.id, "1001", "resolved", "called, sorted", T0 + timedelta(minutes=9)
    )
    assert (closed.status, closed.disposition, closed.note) == (
        VoicemailStatus.CLOSED,
        "resolved",
        "called, sorted",
    )
    assert closed.closed_at == T0 + timedelta(minutes=9)
    with pytest.raises(VoicemailStateError, match="already closed"):
        await inbox.close(message.id, None, "resolved", "", T0)
    with pytest.raises(VoicemailNotFound):
        await inbox.get(message.id + 100)


async def test_messages_older_than_the_cutoff_expire_and_stay_listed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _record(
        sessions,
        RecordVoicemail("old", "support", "+4930111", None, 12.0, T0),
        RecordVoicemail("new", "support", "+4930111", None, 12.0, T0 + timedelta(days=40)),
    )
    inbox = VoicemailRepository(sessions)
    expired = await inbox.expire_before(T0 + timedelta(days=30))
    assert [v.call_id for v in expired] == ["old"]
    assert await inbox.expire_before(T0 + timedelta(days=30)) == []
    states = {v.call_id: v.status for v in await inbox.messages()}
    assert states == {"old": VoicemailStatus.EXPIRED, "new": VoicemailStatus.NEW}
    (old,) = [v for v in await inbox.messages() if v.call_id == "old"]
    with pytest.raises(VoicemailStateError, match="expired"):
        await inbox.take(old.id, "1001", T0)
