"""The callbacks, voicemail and tickets reports as folds over the event log's lifecycle
entries (issue 17): what a supervisor reads for a day, the same at any moment whether
the day is read live (its entries so far) or later (its whole log, read up to that
moment), and equal to the counts of the requests, messages and tickets the entries tell of.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.db.events import CallEvent
from callcenter.db.lifecycle import LifecycleKind as K
from callcenter.reports.callbacks import callback_rows
from callcenter.reports.tickets import ticket_report
from callcenter.reports.voicemail import voicemail_rows

DAY = datetime(2026, 3, 2, tzinfo=UTC)
NEXT = DAY + timedelta(days=1)
QUEUES = ("billing", "general")


def entry(kind: K, at: datetime, queue: str | None = "general", **data: Any) -> CallEvent:
    """A log entry as `callcenter.db.lifecycle.log_change` writes it (times as ISO text)."""
    text = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}
    return CallEvent(at=at, kind=kind.value, queue=queue, data=text)


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


# --- examples a supervisor would check by hand ----------------------------------------


def test_given_a_day_of_callbacks_then_each_request_counts_once_with_what_came_of_it() -> None:
    log = [
        entry(K.CALLBACK_REQUESTED, at(-1), callback=9, channel="ivr", window_end=at(1)),
        entry(K.CALLBACK_ATTEMPT, at(0.5), callback=9, result="reached"),  # asked for before
        entry(K.CALLBACK_REQUESTED, at(9), callback=1, channel="ivr", window_end=at(11)),
        entry(K.CALLBACK_ATTEMPT, at(9.2), callback=1, result="busy"),
        entry(K.CALLBACK_ATTEMPT, at(9.5), callback=1, result="reached"),
        entry(K.CALLBACK_DONE, at(9.5), callback=1),
        entry(K.CALLBACK_REQUESTED, at(10), callback=2, channel="web", window_end=at(12)),
        entry(K.CALLBACK_ATTEMPT, at(10.1), callback=2, result="no-answer"),
        entry(K.CALLBACK_FAILED, at(10.1), callback=2, attempts=1),
        entry(K.CALLBACK_REQUESTED, at(11), callback=3, channel="web", window_end=at(12)),
        entry(K.CALLBACK_CANCELLED, at(11.5), callback=3),
        entry(K.CALLBACK_REQUESTED, at(12), "billing", callback=4, window_end=at(13)),
        entry(K.CALLBACK_REQUESTED, at(12), "billing", callback=5, window_end=at(13)),
        entry(K.CALLBACK_MOVED, at(12.5), "billing", callback=5, window_end=at(30)),
        entry(K.CALLBACK_REQUESTED, at(23.5), callback=6, channel="ivr", window_end=at(25)),
        entry(K.CALLBACK_ATTEMPT, at(24.5), callback=6, result="reached"),  # the next morning
        entry(K.CALLBACK_DONE, at(24.5), callback=6),
    ]

    billing, general = callback_rows(log, DAY, NEXT, now=at(26))

    assert (general.requests, general.by_channel) == (4, {"ivr": 2, "web": 2})
    assert (general.attempts, general.reached, general.failed, general.cancelled) == (4, 2, 1, 1)
    assert general.success_rate == 2 / 3
    assert general.avg_time_to_callback_s == (1800 + 3600) / 2
    assert general.max_time_to_callback_s == 3600
    # One waits past its window, the other was moved to a later one.
    assert (billing.requests, billing.pending, billing.overdue) == (2, 2, 1)
    assert billing.success_rate is None
    # Live at 14:00 the same day: the late request is not in yet, nor its morning call.
    _, live = callback_rows(log, DAY, NEXT, now=at(14))
    assert (live.requests, live.reached, live.pending) == (3, 1, 0)


def test_given_messages_left_then_taken_closed_and_expired_then_each_queue_says_how_fast() -> None:
    log = [
        entry(K.VOICEMAIL_LEFT, at(9), voicemail=1, call="1.1", seconds=12.0),
        entry(K.VOICEMAIL_TAKEN, at(9.25), voicemail=1, agent="anna"),
        entry(K.VOICEMAIL_CALLED_BACK, at(9.3), voicemail=1, callback=7),
        entry(K.VOICEMAIL_CLOSED, at(9.5), voicemail=1, agent="anna", disposition="order"),
        entry(K.VOICEMAIL_LEFT, at(10), voicemail=2, call="1.2", seconds=3.0),
        entry(K.VOICEMAIL_CLOSED, at(11), voicemail=2, agent=None, disposition="spam"),
        entry(K.VOICEMAIL_LEFT, at(12), voicemail=3, call="1.3", seconds=5.0),
        entry(K.VOICEMAIL_LEFT, at(13), "billing", voicemail=4, call="1.4", seconds=5.0),
        entry(K.VOICEMAIL_EXPIRED, at(20), "billing", voicemail=4),
    ]

    billing, general = voicemail_rows(log, DAY, NEXT, now=at(30))

    assert (general.left, general.closed, general.open, general.expired) == (3, 2, 1, 0)
    assert general.called_back == 1
    assert general.time_to_take_s == (900 + 3600) / 2  # a close without a take takes it
    assert general.time_to_handle_s == (1800 + 3600) / 2
    assert general.longest_handle_s == 3600
    assert general.longest_open_s == 12 * 3600  # at the day's end, not at `now`
    assert (billing.left, billing.expired, billing.open, billing.longest_open_s) == (1, 1, 0, None)
    [live] = voicemail_rows(log, DAY, NEXT, now=at(12.5))  # billing's message is not in yet
    assert (live.left, live.open, live.longest_open_s) == (3, 1, 1800)


def test_given_a_ticket_through_its_steps_then_promises_kept_and_reopen_rate_are_counted() -> None:
    def step(hours: float, name: str, previous: str, kept: bool | None, **more: Any) -> CallEvent:
        kind = {"reopened": K.TICKET_REOPENED, "confirmed": K.TICKET_CLOSED}.get(
            name, K.TICKET_STEP
        )
        status = "resolved" if previous in ("proposed", "checked") else "in_progress"
        return entry(kind, at(hours), ticket=1, step=name, from_status=status, kept=kept, **more)

    log = [
        entry(K.TICKET_OPENED, at(8), ticket=1, category="complaint", step="received"),
        step(9, "acknowledged", "received", True),
        step(20, "investigated", "acknowledged", True),
        step(21, "proposed", "investigated", True),
        entry(K.TICKET_FOLLOWUP, at(22), ticket=1, followup=1, satisfied=False),
        step(22, "reopened", "proposed", None),
        step(23, "acknowledged", "reopened", False),
        entry(K.TICKET_OPENED, at(8), None, ticket=2, category="request", step="received"),
        entry(K.TICKET_OPENED, at(8), "billing", ticket=3, category="request", step="received"),
    ]

    report = ticket_report(log, DAY, NEXT)

    assert (report.opened, report.resolved, report.reopened, report.reopen_rate) == (3, 1, 1, 1.0)
    assert [(s.step, s.due, s.kept) for s in report.steps] == [
        ("acknowledged", 2, 1),
        ("investigated", 1, 1),
        ("proposed", 1, 1),
        ("checked", 0, 0),
        ("confirmed", 0, 0),
    ]
    assert (report.followups_answered, report.followups_satisfied) == (1, 0)
    assert ticket_report(log, DAY, NEXT, {"general"}).opened == 2  # and the one without a queue
    assert ticket_report(log, DAY, NEXT, {"general"}, unqueued=False).opened == 1


def test_entries_of_other_kinds_are_ignored_by_every_report() -> None:
    acd = CallEvent(at(9), "enqueue", call_id="1.1", queue="general", data={"callback": 1})
    other = CallEvent(at(9), "callback-requested-v2", queue="general", data={"callback": 1})
    assert callback_rows([acd, other], DAY, NEXT, at(30)) == []
    assert voicemail_rows([acd, other], DAY, NEXT, at(30)) == []
    assert ticket_report([acd, other], DAY, NEXT).opened == 0


# --- a random week: the folds against what each item's story says --------------------


@dataclass
class Story:
    """One item's life: its entries and what it came to, as the generator knows it."""

    queue: str
    start: datetime
    entries: list[CallEvent] = field(default_factory=list)
    outcome: str = "pending"
    attempts: int = 0
    reached: datetime | None = None
    channel: str = "ivr"


def callback_story(rng: random.Random, callback: int) -> Story:
    queue = rng.choice(QUEUES)
    start = DAY + timedelta(minutes=rng.randint(-24 * 60, 48 * 60))
    story = Story(queue, start, channel=rng.choice(("ivr", "web", "followup")))
    window_end = start + timedelta(hours=rng.choice((1, 4)))
    story.entries.append(
        entry(
            K.CALLBACK_REQUESTED,
            start,
            queue,
            callback=callback,
            channel=story.channel,
            window_end=window_end,
        )
    )
    now = start
    for _ in range(rng.randint(0, 4)):
        now += timedelta(minutes=rng.randint(0, 300))
        action = rng.choice(("move", "miss", "reach", "cancel", "fail"))
        if action == "move":
            story.entries.append(
                entry(K.CALLBACK_MOVED, now, queue, callback=callback, window_end=now)
            )
            continue
        if action == "cancel":
            story.entries.append(entry(K.CALLBACK_CANCELLED, now, queue, callback=callback))
            story.outcome = "cancelled"
            break
        if action == "fail":
            story.entries.append(entry(K.CALLBACK_FAILED, now, queue, callback=callback))
            story.outcome = "failed"
            break
        story.attempts += 1
        result = "reached" if action == "reach" else rng.choice(("busy", "no-answer"))
        story.entries.append(
            entry(K.CALLBACK_ATTEMPT, now, queue, callback=callback, result=result)
        )
        if result == "reached":
            story.entries.append(entry(K.CALLBACK_DONE, now, queue, callback=callback))
            story.outcome, story.reached = "done", now
            break
    return story


def interleave(stories: list[Story]) -> list[CallEvent]:
    """The stories' entries in the order the log holds them (by time; ties as written)."""
    ordered = [(e.at, n, i, e) for n, s in enumerate(stories) for i, e in enumerate(s.entries)]
    ordered.sort(key=lambda item: (item[0], item[1], item[2]))
    return [event for *_, event in ordered]


def per_queue(stories: list[Story], rows: Iterable[Any]) -> Iterator[tuple[list[Story], Any]]:
    """Each queue's stories begun on DAY, with its row; a queue with none has no row."""
    by_queue = {row.queue: row for row in rows}
    for queue in QUEUES:
        mine = [s for s in stories if s.queue == queue and DAY <= s.start < NEXT]
        row = by_queue.get(queue)
        if not mine:
            assert row is None
            continue
        assert row is not None
        yield mine, row


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(0, 40))
def test_the_callbacks_report_counts_what_each_request_came_to(seed: int, count: int) -> None:
    rng = random.Random(seed)
    stories = [callback_story(rng, n) for n in range(count)]
    log = interleave(stories)
    later = DAY + timedelta(days=10)

    rows = callback_rows(log, DAY, NEXT, later)

    for mine, row in per_queue(stories, rows):
        assert row.requests == len(mine) == sum(row.by_channel.values())
        assert row.attempts == sum(s.attempts for s in mine)
        outcomes = [s.outcome for s in mine]
        assert (row.reached, row.failed, row.cancelled, row.pending) == (
            outcomes.count("done"),
            outcomes.count("failed"),
            outcomes.count("cancelled"),
            outcomes.count("pending"),
        )
        waits = [(s.reached - s.start).total_seconds() for s in mine if s.reached]
        assert row.max_time_to_callback_s == max(waits, default=None)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(0, 30), cut=st.integers(0, 200))
def test_a_day_read_live_equals_the_day_read_later_up_to_that_moment(
    seed: int, count: int, cut: int
) -> None:
    """Live at moment T the log holds the entries up to T; read later it holds more, and the
    report read for T must not see them."""
    rng = random.Random(seed)
    log = interleave(
        [callback_story(rng, n) for n in range(count)]
        + [voicemail_story(rng, n) for n in range(count)]
    )
    moment = log[min(cut, len(log) - 1)].at if log else DAY
    so_far = [e for e in log if e.at <= moment]

    assert callback_rows(so_far, DAY, NEXT, moment) == callback_rows(log, DAY, NEXT, moment)
    assert voicemail_rows(so_far, DAY, NEXT, moment) == voicemail_rows(log, DAY, NEXT, moment)


def voicemail_story(rng: random.Random, voicemail: int) -> Story:
    queue = rng.choice(QUEUES)
    start = DAY + timedelta(minutes=rng.randint(-24 * 60, 48 * 60))
    story = Story(queue, start)
    story.entries.append(entry(K.VOICEMAIL_LEFT, start, queue, voicemail=voicemail))
    now = start
    story.outcome = "open"
    for kind in rng.choice(
        ((), (K.VOICEMAIL_TAKEN,), (K.VOICEMAIL_TAKEN, K.VOICEMAIL_CLOSED), (K.VOICEMAIL_CLOSED,))
    ):
        now += timedelta(minutes=rng.randint(0, 120))
        story.entries.append(entry(kind, now, queue, voicemail=voicemail))
        if kind == K.VOICEMAIL_CLOSED:
            story.outcome, story.reached = "closed", now
    if rng.random() < 0.2:
        now += timedelta(days=1)
        story.entries.append(entry(K.VOICEMAIL_EXPIRED, now, queue, voicemail=voicemail))
        story.outcome = "expired"
    return story


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(0, 40))
def test_the_voicemail_report_counts_where_each_message_stands(seed: int, count: int) -> None:
    rng = random.Random(seed)
    stories = [voicemail_story(rng, n) for n in range(count)]
    log = interleave(stories)

    rows = voicemail_rows(log, DAY, NEXT, DAY + timedelta(days=10))

    for mine, row in per_queue(stories, rows):
        outcomes = [s.outcome for s in mine]
        assert (row.left, row.closed, row.open, row.expired) == (
            len(mine),
            outcomes.count("closed"),
            outcomes.count("open"),
            outcomes.count("expired"),
        )
        handled = [(s.reached - s.start).total_seconds() for s in mine if s.reached]
        assert row.longest_handle_s == max(handled, default=None)
