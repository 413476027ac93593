"""Overflow on max wait or when nobody is logged in, and time-outs without a target."""

from __future__ import annotations

from acd_testkit import Center, agent, offers, only, queue, settings

from acd import (
    AgentLoggedOut,
    CallOutcome,
    ExitQueue,
    ExitReason,
    Overflow,
    OverflowKind,
    OverflowReason,
    Record,
)


def _outcomes(center: Center) -> dict[str, CallOutcome]:
    return {r.call_id or "": r.outcome for r in only(center.log, Record) if r.outcome}


def test_max_wait_moves_the_call_to_the_overflow_queue_where_it_is_routed() -> None:
    center = Center(
        settings(
            [queue("first", max_wait_seconds=60, overflow="queue:second"), queue("second")],
            [agent("a2", queues=("second",))],
        )
    )
    center.login("a2")  # ready, but only for the second queue
    assert offers(center.call("c1", "first")) == []
    commands = center.wait(60)

    assert only(commands, Overflow) == [
        Overflow("c1", "first", OverflowKind.QUEUE, "second", OverflowReason.MAX_WAIT)
    ]
    assert offers(commands) == [("c1", "a2")]
    assert center.acd.queue_stats("first", center.now).overflowed == 1
    assert center.acd.queue_stats("second", center.now).offered == 1


def test_max_wait_to_voicemail_ends_the_call_as_overflowed() -> None:
    center = Center(settings([queue(max_wait_seconds=30, overflow="voicemail:100")], []))
    center.call("c1")

    overflow = only(center.wait(30), Overflow)[0]

    assert (overflow.target, overflow.target_name) == (OverflowKind.VOICEMAIL, "100")
    assert _outcomes(center) == {"c1": CallOutcome.OVERFLOWED}
    assert center.acd.call_view("c1", center.now) is None


def test_max_wait_without_a_target_times_the_call_out() -> None:
    center = Center(settings([queue(max_wait_seconds=30)], []))
    center.call("c1")

    assert only(center.wait(30), ExitQueue) == [ExitQueue("c1", "support", ExitReason.MAX_WAIT)]
    assert _outcomes(center) == {"c1": CallOutcome.TIMED_OUT}
    assert center.acd.queue_stats("support", center.now).timed_out == 1


def test_call_overflows_at_once_when_no_agent_is_logged_in() -> None:
    center = Center(
        settings(
            [queue(overflow="callback", overflow_when_no_agents=True)],
            [agent("a1")],
        )
    )

    overflow = only(center.call("c1"), Overflow)[0]

    assert (overflow.target, overflow.reason) == (OverflowKind.CALLBACK, OverflowReason.NO_AGENTS)


def test_paused_agents_still_count_as_logged_in_for_no_agent_overflow() -> None:
    center = Center(
        settings([queue(overflow="voicemail:1", overflow_when_no_agents=True)], [agent("a1")])
    )
    center.login("a1", ready=False)

    assert only(center.call("c1"), Overflow) == []


def test_last_agent_logging_out_overflows_the_calls_still_waiting() -> None:
    center = Center(
        settings([queue(overflow="voicemail:1", overflow_when_no_agents=True)], [agent("a1")])
    )
    center.login("a1", ready=False)
    center.call("c1")
    center.call("c2")

    commands = center.send(AgentLoggedOut(center.now, "a1"))

    assert [o.call_id for o in only(commands, Overflow)] == ["c1", "c2"]
    assert center.acd.queue_stats("support", center.now).calls_waiting == 0


def test_overflow_loop_between_empty_queues_ends_the_call_timed_out() -> None:
    center = Center(
        settings(
            [
                queue("a", overflow="queue:b", overflow_when_no_agents=True),
                queue("b", overflow="queue:a", overflow_when_no_agents=True),
            ],
            [],
        )
    )

    commands = center.call("c1", "a")

    assert [o.queue for o in only(commands, Overflow)] == ["a"]
    assert only(commands, ExitQueue) == [ExitQueue("c1", "b", ExitReason.OVERFLOW_LOOP)]
    assert _outcomes(center) == {"c1": CallOutcome.TIMED_OUT}


def test_overflowed_call_gets_the_target_queues_full_max_wait() -> None:
    center = Center(
        settings(
            [
                queue("a", max_wait_seconds=30, overflow="queue:b"),
                queue("b", max_wait_seconds=30, overflow="voicemail:9"),
            ],
            [],
        )
    )
    center.call("c1", "a")

    assert [o.queue for o in only(center.wait(30), Overflow)] == ["a"]
    assert [o.queue for o in only(center.wait(30), Overflow)] == ["b"]
