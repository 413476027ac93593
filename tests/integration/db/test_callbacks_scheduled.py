"""Callbacks made for later and duplicates, as the web channel reads them, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db import CallbackRepository

T0 = datetime(2026, 12, 4, 18, 30, tzinfo=UTC)
NEXT_MORNING = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


async def test_a_request_for_later_is_due_at_its_time_and_one_for_now_never_is(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    callbacks = CallbackRepository(sessions)
    now = await callbacks.request(
        number="+49305551234", window_start=T0, window_end=T0 + timedelta(hours=4), now=T0
    )
    later = await callbacks.request(
        number="+49305551235",
        window_start=NEXT_MORNING,
        window_end=NEXT_MORNING + timedelta(hours=4),
        now=T0,
    )

    assert await callbacks.scheduled_due(T0 + timedelta(hours=1)) == []
    due = await callbacks.scheduled_due(NEXT_MORNING + timedelta(seconds=1))
    assert [c.id for c in due] == [later.id]
    # Once tried, the retries are the dialler's, not the schedule's.
    await callbacks.record_attempt(later.id, reached=False, now=NEXT_MORNING)
    assert await callbacks.scheduled_due(NEXT_MORNING + timedelta(hours=1)) == []
    assert now.id not in [c.id for c in await callbacks.scheduled_due(NEXT_MORNING)]


async def test_the_pending_request_of_a_number_is_found_and_a_done_one_is_not(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    callbacks = CallbackRepository(sessions)
    first = await callbacks.request(
        number="030 5551234", window_start=T0, window_end=T0 + timedelta(hours=4), now=T0
    )

    found = await callbacks.pending_for("+49305551234")
    assert found is not None
    assert found.id == first.id
    assert await callbacks.pending_for("+49305551299") is None
    await callbacks.record_attempt(first.id, reached=True, now=T0)
    assert await callbacks.pending_for("+49305551234") is None
