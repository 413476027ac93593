"""A callback's window end and its attempts as interactions, on both databases (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db import CallbackRepository, InteractionRepository

T0 = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)
END = T0 + timedelta(hours=2)  # "today 14:00-16:00"


async def test_a_request_still_pending_at_its_window_end_fails_as_window_missed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    callbacks = CallbackRepository(sessions)
    missed = await callbacks.request(number="+49305551234", window_start=T0, window_end=END, now=T0)
    dialling = await callbacks.request(
        number="+49305551235", window_start=T0, window_end=END, now=T0
    )
    later = await callbacks.request(
        number="+49305551236", window_start=T0, window_end=END + timedelta(hours=1), now=T0
    )
    tomorrow = await callbacks.request(
        number="+49305551237",
        window_start=T0 + timedelta(days=1),
        window_end=END + timedelta(days=1),
        now=T0,
    )

    assert await callbacks.next_window_end() == END
    assert await callbacks.expire_missed(END - timedelta(seconds=1)) == []
    failed = await callbacks.expire_missed(END, keep=lambda request: request == dialling.id)

    assert [(c.id, str(c.status), c.reason) for c in failed] == [
        (missed.id, "failed", "window missed")
    ]
    assert [c.id for c in await callbacks.list(status="pending")] == [
        dialling.id,
        later.id,
        tomorrow.id,
    ]
    # A window over is not put in line by the schedule either, even one never tried.
    assert await callbacks.scheduled_due(END + timedelta(days=1, seconds=1)) == []
    # The attempt under way as the window ended still counts.
    done = await callbacks.record_attempt(
        dialling.id, reached=True, now=END - timedelta(minutes=1), agent="agent1"
    )
    assert (str(done.status), done.reason) == ("done", None)
    assert await callbacks.next_window_end() == END + timedelta(hours=1)


async def test_each_attempt_is_an_interaction_closed_with_its_result(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    callbacks = CallbackRepository(sessions, max_attempts=2)
    interactions = InteractionRepository(sessions)
    request = await callbacks.request(
        number="+49305551234", window_start=T0, window_end=END, now=T0, queue="general"
    )
    at = T0 + timedelta(minutes=1)

    opened = await callbacks.start_attempt(request.id, agent="agent1", at=at)
    under_way = await interactions.record(opened)
    await interactions.annotate(opened, notes="no answer, left no message")
    await callbacks.record_attempt(
        request.id, reached=False, now=at, agent="agent1", result="no-answer",
        ended_at=at + timedelta(seconds=40),
    )  # fmt: skip
    # The second attempt's interaction is made with the count when nothing opened it.
    failed = await callbacks.record_attempt(
        request.id, reached=False, now=at + timedelta(minutes=5), agent="agent2", result="busy"
    )

    first = await interactions.record(f"cb-{request.id}-1")
    second = await interactions.record(f"cb-{request.id}-2")
    assert under_way is not None
    assert (under_way.uniqueid, under_way.outcome, under_way.ended_at) == (opened, None, None)
    assert first is not None
    assert second is not None
    assert (first.outcome, first.agent, first.notes, first.queue) == (
        "no-answer",
        "agent1",
        "no answer, left no message",
        "general",
    )
    assert first.ended_at == at + timedelta(seconds=40)
    assert (second.outcome, second.agent, second.caller_number) == (
        "busy",
        "agent2",
        "+49305551234",
    )
    assert (str(failed.status), failed.reason) == ("failed", "attempts used up")
    assert await interactions.latest_attempt(request.id) == f"cb-{request.id}-2"
    assert await interactions.latest_attempt(request.id, agent="agent1") == f"cb-{request.id}-1"
