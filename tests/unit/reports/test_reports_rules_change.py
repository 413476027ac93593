"""A queue's rules change mid-day (issue 16): each call keeps the rules of its entry.

Hand-made logs with a ``config`` record between calls, a property over random calls and
change times, and a day through the real ACD core with changes of threshold, short-abandon
threshold, formula and target: the live figures and the report of its log agree.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from reports_kit import BERLIN, T0, abandoned_call, answered_call, ev
from reports_simulation import QUEUES, Day, center, simulate, with_rules

from acd import AcdSettings, QueueSettings, ServiceLevelFormula
from callcenter.db import CallEvent
from callcenter.live.recorder import log_entry
from callcenter.reports import Bucket, QueueRow, QueueRules, build_queue_report
from callcenter.reports.types import rules_from_document, rules_from_settings

DAY_END = T0 + timedelta(hours=8)
HOUR = 3600.0


def acd(**rules: Any) -> dict[str, Any]:
    """An ACD document (as a config record carries it) with one queue, sales."""
    settings = AcdSettings(queues=(QueueSettings(name="sales", **rules),))
    return settings.model_dump(mode="json")


def change(seconds: float, before: dict[str, Any], after: dict[str, Any]) -> CallEvent:
    """The config record the core writes when a version takes effect."""
    return ev(seconds, "config", detail="2", settings=after, settings_before=before)


OLD = acd(service_level_seconds=20, service_level_target=0.8)
NEW = acd(service_level_seconds=10, service_level_target=0.9)


def rows(events: list[CallEvent], rules: dict[str, QueueRules] | None = None) -> list[QueueRow]:
    report = build_queue_report(
        events,
        since=T0,
        until=DAY_END,
        bucket=Bucket.HOUR,
        tz=BERLIN,
        rules=rules if rules is not None else rules_from_document(OLD),
    )
    return [*report.rows, *report.totals]


def test_given_a_threshold_cut_at_noon_then_calls_before_keep_20_s_and_calls_after_get_10_s():
    events = [
        # Morning (09:00-10:00): 15 s is within the 20 s in force.
        *answered_call("m1", "sales", "a1", enter=60, wait=15, talk=60),
        *answered_call("m2", "sales", "a2", enter=120, wait=25, talk=60),
        change(1.5 * HOUR, OLD, NEW),
        # Afternoon (10:00-11:00): the same 15 s is over the new 10 s.
        *answered_call("n1", "sales", "a1", enter=2 * HOUR, wait=15, talk=60),
        *answered_call("n2", "sales", "a2", enter=2 * HOUR + 60, wait=5, talk=60),
    ]
    nine, eleven, day = rows(events)
    assert (nine.start.hour, eleven.start.hour) == (9, 11)
    assert (nine.answered, nine.answered_within_threshold, nine.service_level) == (2, 1, 0.5)
    assert (eleven.answered, eleven.answered_within_threshold, eleven.service_level) == (2, 1, 0.5)
    assert (day.answered, day.answered_within_threshold, day.service_level) == (4, 2, 0.5)
    # Were the new threshold applied to the morning too, m1 would be over it: 1 of 4.
    assert (nine.service_level_target, eleven.service_level_target) == (0.8, 0.9)
    assert day.service_level_target == pytest.approx(0.85)


def test_given_a_call_waiting_when_the_threshold_changes_then_it_keeps_the_rules_it_entered_with():
    events = [
        ev(0, "enqueue", "c1", "sales", detail="priority 0"),
        change(5, OLD, NEW),
        ev(15, "offer", "c1", "sales", "a1", wait=15),
        ev(15, "connect", "c1", "sales", "a1", wait=15, outcome="answered"),
        ev(75, "complete", "c1", "sales", "a1", talk=60),
    ]
    (_, day) = rows(events)
    assert (day.answered, day.answered_within_threshold) == (1, 1)


def test_given_the_short_abandon_threshold_raised_then_earlier_abandons_keep_the_old_one():
    before = acd(short_abandon_seconds=5)
    after = acd(short_abandon_seconds=10)
    events = [
        *abandoned_call("m1", "sales", enter=0, wait=7),
        change(HOUR, before, after),
        *abandoned_call("n1", "sales", enter=2 * HOUR, wait=7),
    ]
    day = rows(events, rules_from_document(before))[-1]
    assert (day.abandoned, day.short_abandoned) == (1, 1)


def test_given_the_formula_changed_then_each_call_counts_in_the_denominator_by_its_own():
    before = acd(service_level_formula="answered_and_abandoned")
    after = acd(service_level_formula="answered")
    events = [
        *answered_call("m1", "sales", "a1", enter=0, wait=5, talk=60),
        *abandoned_call("m2", "sales", enter=10, wait=30),
        change(HOUR, before, after),
        *answered_call("n1", "sales", "a1", enter=2 * HOUR, wait=5, talk=60),
        *abandoned_call("n2", "sales", enter=2 * HOUR + 10, wait=30),
    ]
    day = rows(events, rules_from_document(before))[-1]
    # m1 and m2 count (answered + abandoned), n1 counts, n2 does not (answered only).
    assert (day.answered_within_threshold, day.service_level_calls) == (2, 3)
    assert day.service_level == pytest.approx(2 / 3)


def test_given_no_config_record_then_the_rules_given_apply_to_every_call():
    events = [*answered_call("c1", "sales", "a1", enter=0, wait=15, talk=60)]
    strict = {"sales": QueueRules(service_level_seconds=10, service_level_target=0.95)}
    day = rows(events, strict)[-1]
    assert (day.answered_within_threshold, day.service_level_target) == (0, 0.95)


def test_given_a_record_without_its_document_then_the_rules_so_far_stay():
    events = [
        ev(0, "config", detail="2"),
        *answered_call("c1", "sales", "a1", enter=60, wait=15, talk=60),
    ]
    assert rows(events)[-1].answered_within_threshold == 1  # still 20 s, not a default


def test_rules_are_read_from_a_document_an_older_service_wrote():
    document = {
        "queues": [
            {"name": "sales", "service_level_seconds": 30, "retired_key": True},
            {"name": "support", "service_level_formula": "no-such-formula"},
            {"service_level_seconds": 5},  # no name: not a queue
        ]
    }
    rules = rules_from_document(document)
    assert rules == {
        "sales": QueueRules(service_level_seconds=30),
        "support": QueueRules(),
    }
    assert rules_from_document({"agents": []}) is None
    assert rules_from_document(None) is None
    formula = ServiceLevelFormula.ANSWERED_AND_ABANDONED
    assert rules_from_document(NEW) == {"sales": QueueRules(10, 5, formula, 0.9)}


calls = st.lists(
    st.tuples(
        st.integers(0, 6 * 3600),  # entry, seconds after T0 (whole: times compare exactly)
        st.floats(0, 60, allow_nan=False),  # wait
        st.booleans(),  # answered (else abandoned)
    ),
    max_size=30,
)


@given(
    calls=calls,
    at=st.integers(0, 6 * 3600),
    old=st.integers(1, 60),
    new=st.integers(1, 60),
)
def test_property_each_call_is_judged_by_the_threshold_in_force_at_its_entry(
    calls: list[tuple[int, float, bool]], at: int, old: int, new: int
) -> None:
    before, after = acd(service_level_seconds=old), acd(service_level_seconds=new)
    events = [change(at, before, after)]
    for n, (enter, wait, answered) in enumerate(calls):
        if answered:
            events += answered_call(f"c{n}", "sales", "a1", enter=enter, wait=wait, talk=1)
        else:
            events += abandoned_call(f"c{n}", "sales", enter=enter, wait=wait)
    # The log in time order (a stable sort: the change comes before a call entering with it).
    log = sorted(events, key=lambda e: e.at)
    expected = sum(
        1 for enter, wait, answered in calls if answered and wait <= (old if enter < at else new)
    )
    for bucket in (Bucket.QUARTER_HOUR, Bucket.DAY):
        report = build_queue_report(
            log,
            since=T0,
            until=DAY_END,
            bucket=bucket,
            tz=BERLIN,
            rules=rules_from_document(before),
        )
        assert sum(r.answered_within_threshold for r in report.rows) == expected
        assert sum(r.answered_within_threshold for r in report.totals) == expected


# --- a day through the real core --------------------------------------------------------

START = datetime(2026, 3, 2, 7, 0, tzinfo=BERLIN)
SINCE, UNTIL = START.replace(hour=0), START.replace(hour=0) + timedelta(days=1)
FIRST = center()
NOON = with_rules(
    FIRST,
    service_level_seconds=8,
    short_abandon_seconds=12,
    service_level_formula="answered_and_abandoned",
    service_level_target=0.95,
)
EVENING = with_rules(FIRST, service_level_seconds=45, service_level_formula="offered")


@pytest.fixture(scope="module")
def changed_day() -> Day:
    return simulate(seed=2, changes=[(3 * HOUR, NOON), (7 * HOUR, EVENING)])


def stored_log(day: Day) -> list[CallEvent]:
    """The day's records as the service stores them (config records with their documents)."""
    return [replace(log_entry(r), at=START + timedelta(seconds=r.at)) for r in day.records]


def test_given_a_day_with_two_changes_then_history_and_the_live_figures_agree(
    changed_day: Day,
) -> None:
    log = stored_log(changed_day)
    assert sum(e.kind == "config" for e in log) == 2
    report = build_queue_report(
        log,
        since=SINCE,
        until=UNTIL,
        bucket=Bucket.HOUR,
        tz=BERLIN,
        rules=rules_from_settings(FIRST),  # what was in force when the day began
    )
    totals = {row.queue: row for row in report.totals}
    for queue in QUEUES:
        live = changed_day.acd.queue_stats(queue, changed_day.end)
        history = totals[queue]
        assert live.offered > 100, "the day exercised the queue"
        for name in ("offered", "answered", "abandoned", "short_abandoned"):
            assert getattr(history, name) == getattr(live, name), (queue, name)
        assert history.service_level == pytest.approx(live.service_level, rel=1e-12), queue
        (in_force,) = [q for q in EVENING.queues if q.name == queue]
        assert live.service_level_target == in_force.service_level_target


def test_given_a_day_with_two_changes_then_judging_it_all_by_the_last_rules_differs(
    changed_day: Day,
) -> None:
    """The test above can fail: the rules of the day's end give other figures."""
    log = stored_log(changed_day)
    last_rules_only = [e for e in log if e.kind != "config"]
    wrong = build_queue_report(
        last_rules_only,
        since=SINCE,
        until=UNTIL,
        bucket=Bucket.DAY,
        tz=BERLIN,
        rules=rules_from_settings(EVENING),
    )
    right = build_queue_report(
        log,
        since=SINCE,
        until=UNTIL,
        bucket=Bucket.DAY,
        tz=BERLIN,
        rules=rules_from_settings(FIRST),
    )
    judged = {row.queue: row.answered_within_threshold for row in right.totals}
    misjudged = {row.queue: row.answered_within_threshold for row in wrong.totals}
    assert set(judged) == set(QUEUES)
    assert all(judged[queue] != misjudged[queue] for queue in QUEUES), (judged, misjudged)
