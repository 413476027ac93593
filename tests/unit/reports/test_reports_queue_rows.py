"""Queue rows on hand-made logs: every measure, attributed to the bucket the call entered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from reports_kit import BERLIN, T0, abandoned_call, answered_call, at, ev

from acd import ServiceLevelFormula
from callcenter.db import CallEvent
from callcenter.reports import (
    Bucket,
    QueueReport,
    QueueRow,
    QueueRules,
    SurveyScore,
    build_queue_report,
)

DAY_END = T0 + timedelta(hours=8)


def report(
    events: list[CallEvent],
    bucket: Bucket = Bucket.HOUR,
    rules: dict[str, QueueRules] | None = None,
    surveys: Sequence[SurveyScore] = (),
    queues: set[str] | None = None,
) -> QueueReport:
    return build_queue_report(
        events,
        since=T0,
        until=DAY_END,
        bucket=bucket,
        tz=BERLIN,
        rules=rules,
        surveys=surveys,
        queues=queues,
    )


def total(
    events: list[CallEvent], queue: str = "sales", rules: dict[str, QueueRules] | None = None
) -> QueueRow:
    (row,) = [r for r in report(events, rules=rules).totals if r.queue == queue]
    return row


def test_answered_calls_give_service_level_asa_aht_talk_and_wrap_up() -> None:
    events = [
        *answered_call("c1", "sales", "a1", enter=0, wait=10, talk=100, wrap_up=20),
        *answered_call("c2", "sales", "a2", enter=5, wait=30, talk=200, wrap_up=40),
    ]
    row = total(events)
    assert (row.offered, row.answered, row.answered_within_threshold) == (2, 2, 1)
    assert row.service_level == 0.5
    assert row.asa == 20
    assert row.handled == 2
    assert row.aht == (120 + 240) / 2
    assert (row.avg_talk, row.avg_wrap_up) == (150, 30)
    assert row.max_wait == 30
    assert row.abandon_rate == 0


def test_a_wait_equal_to_the_threshold_is_within_it() -> None:
    row = total(answered_call("c1", "sales", "a1", enter=0, wait=20, talk=60))
    assert row.answered_within_threshold == 1


def test_short_abandons_leave_the_service_level_and_the_abandon_rate() -> None:
    events = [
        *answered_call("c1", "sales", "a1", enter=0, wait=5, talk=60),
        *abandoned_call("c2", "sales", enter=10, wait=4.9),
        *abandoned_call("c3", "sales", enter=20, wait=5),
        *abandoned_call("c4", "sales", enter=30, wait=50),
    ]
    row = total(events)
    assert (row.offered, row.abandoned, row.short_abandoned) == (4, 2, 1)
    assert row.service_level == pytest.approx(1 / 3)
    assert row.abandon_rate == pytest.approx(2 / 4)
    assert row.max_wait == 50


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        (ServiceLevelFormula.ANSWERED_AND_ABANDONED, 1 / 2),
        (ServiceLevelFormula.OFFERED, 1 / 3),
        (ServiceLevelFormula.ANSWERED, 1 / 1),
    ],
)
def test_the_queue_formula_and_thresholds_apply(
    formula: ServiceLevelFormula, expected: float
) -> None:
    events = [
        *answered_call("c1", "sales", "a1", enter=0, wait=25, talk=60),
        *abandoned_call("c2", "sales", enter=10, wait=8),
        *abandoned_call("c3", "sales", enter=20, wait=30),
    ]
    rules = {"sales": QueueRules(30, 10, formula)}
    row = total(events, rules=rules)
    assert (row.answered_within_threshold, row.abandoned, row.short_abandoned) == (1, 1, 1)
    assert row.service_level == pytest.approx(expected)


def test_an_overflow_counts_in_both_queues_and_its_answer_in_the_second() -> None:
    events = [
        ev(0, "enqueue", "c1", "billing", detail="priority 0"),
        ev(
            120, "overflow", "c1", "billing", wait=120, reason="max-wait", detail="to queue general"
        ),
        ev(120, "enqueue", "c1", "general", detail="overflow from billing"),
        ev(130, "offer", "c1", "general", "a1", wait=10),
        ev(130, "connect", "c1", "general", "a1", wait=10, outcome="answered"),
        ev(200, "complete", "c1", "general", "a1", talk=70),
        ev(200, "handled", None, "general", "a1", talk=70, wrap_up=0),
    ]
    billing, general = total(events, "billing"), total(events, "general")
    assert (billing.offered, billing.overflowed, billing.answered) == (1, 1, 0)
    assert billing.service_level is None
    assert billing.max_wait == 120
    assert (general.offered, general.answered, general.handled, general.asa) == (1, 1, 1, 10)


def test_exits_overflows_to_voicemail_and_callback_requests_are_counted() -> None:
    events = [
        ev(0, "enqueue", "c1", "sales", detail="priority 0"),
        ev(600, "exit", "c1", "sales", wait=600, reason="max-wait", outcome="timed_out"),
        ev(10, "enqueue", "c2", "sales", detail="priority 0"),
        ev(70, "overflow", "c2", "sales", wait=60, detail="to voicemail", outcome="overflowed"),
        ev(20, "enqueue", "c3", "sales", detail="priority 0"),
        ev(50, "callback", "c3", "sales", wait=30, outcome="callback"),
    ]
    row = total(events)
    assert (row.offered, row.timed_out, row.overflowed, row.callbacks) == (3, 1, 1, 1)
    assert row.max_wait == 600


def test_callback_entries_are_agent_work_but_not_offered_calls() -> None:
    events = [
        ev(0, "enqueue", "c1", "sales", detail="priority 0"),
        ev(30, "callback", "c1", "sales", wait=30, outcome="callback"),
        ev(30, "enqueue", "cb1", "sales", detail="callback, keeps the place of c1"),
        ev(300, "offer", "cb1", "sales", "a1", wait=300),
        ev(300, "connect", "cb1", "sales", "a1", wait=300, outcome="answered"),
        ev(400, "complete", "cb1", "sales", "a1", talk=100),
        ev(410, "handled", None, "sales", "a1", talk=100, wrap_up=10),
    ]
    row = total(events)
    assert (row.offered, row.answered, row.callbacks) == (1, 0, 1)
    assert (row.handled, row.aht) == (1, 110)
    assert row.asa is None
    assert row.max_wait == 30


def test_a_call_counts_in_the_bucket_it_entered_even_when_answered_later() -> None:
    # Enters at 09:59:50, answered at 10:00:20, handled at 10:05.
    events = answered_call("c1", "sales", "a1", enter=3590, wait=30, talk=250, wrap_up=20)
    rows = report(events).rows
    assert [(r.start, r.offered, r.answered, r.handled) for r in rows] == [(T0, 1, 1, 1)]
    assert rows[0].end == at(3600)
    assert rows[0].start.tzinfo is BERLIN


def test_calls_entering_outside_the_period_are_left_out_but_late_outcomes_count() -> None:
    before = answered_call("c0", "sales", "a1", enter=-100, wait=150, talk=10)
    late = answered_call("c9", "sales", "a1", enter=8 * 3600 - 10, wait=60, talk=10)
    row = total([*before, *late])
    assert (row.offered, row.answered, row.handled) == (1, 1, 1)
    assert row.asa == 60


def test_handled_belongs_to_the_call_the_agent_completed() -> None:
    events = [
        ev(0, "enqueue", "c1", "sales", detail="priority 0"),
        ev(5, "enqueue", "c2", "support", detail="priority 0"),
        ev(6, "connect", "c1", "sales", "a1", wait=6, outcome="answered"),
        ev(7, "connect", "c2", "support", "a2", wait=2, outcome="answered"),
        ev(50, "complete", "c2", "support", "a2", talk=43),
        ev(60, "complete", "c1", "sales", "a1", talk=54),
        ev(70, "handled", None, "sales", "a1", talk=54, wrap_up=10),
        ev(80, "handled", None, "support", "a2", talk=43, wrap_up=30),
    ]
    assert total(events, "sales").aht == 64
    assert total(events, "support").aht == 73


def test_surveys_average_per_bucket_and_queue_and_the_queue_filter() -> None:
    events = [
        *answered_call("c1", "sales", "a1", enter=0, wait=1, talk=10),
        *answered_call("c2", "support", "a1", enter=4000, wait=1, talk=10),
    ]
    surveys = [SurveyScore(at(0), 4.0, "sales", "a1"), SurveyScore(at(100), 5.0, "sales", "a1")]
    result = report(events, surveys=surveys, queues={"sales"})
    assert [r.queue for r in result.rows] == ["sales"]
    assert (result.totals[0].survey_average, result.totals[0].survey_count) == (4.5, 2)


def test_fifteen_minute_rows_sum_to_the_totals() -> None:
    calls = [
        answered_call(f"c{n}", "sales", "a1", enter=n * 400, wait=n, talk=120) for n in range(30)
    ]
    result = report([e for call in calls for e in call], Bucket.QUARTER_HOUR)
    assert len(result.rows) > 10
    assert sum(r.offered for r in result.rows) == result.totals[0].offered == 30
    assert sum(r.answered_within_threshold for r in result.rows) == 21


def test_a_moved_call_is_offered_again_in_its_new_queue_and_answered_there() -> None:
    events = [
        ev(0, "enqueue", "c1", "sales", detail="priority 0"),
        ev(40, "move", "c1", "sales", wait=40, detail="to queue support"),
        ev(40, "enqueue", "c1", "support", detail="moved from sales"),
        ev(45, "connect", "c1", "support", "a1", wait=5, outcome="answered"),
    ]
    sales, support = total(events, "sales"), total(events, "support")
    assert (sales.offered, sales.answered, sales.max_wait) == (1, 0, 40)
    assert (support.offered, support.answered, support.asa) == (1, 1, 5)
