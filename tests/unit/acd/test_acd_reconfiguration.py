"""The configuration changes while the center runs (issue 16): `ConfigurationChanged`."""

from __future__ import annotations

import pytest
from acd_testkit import Center, agent, offers, only, queue, settings

from acd import (
    AcdSettings,
    AgentState,
    CallQueued,
    ConfigurationChanged,
    ConfigurationRefused,
    OverflowKind,
    Record,
    RecordKind,
    StaleFact,
    StartTimer,
    TimerKind,
    UnknownAgent,
)


def _change(center: Center, config: AcdSettings, version: int = 2) -> list[object]:
    return list(center.send(ConfigurationChanged(center.now, config, version)))


def _waiting(center: Center, name: str = "support") -> list[str]:
    return [view.call_id for view in center.acd.waiting_calls(name, center.now)]


def test_a_queue_asking_less_skill_offers_the_first_waiting_call_to_who_now_qualifies() -> None:
    strict = settings([queue(skills={"billing": 4})], [agent("a1", billing=2)])
    center = Center(strict)
    center.login("a1")
    center.call("c1")
    center.wait(10)
    center.call("c2", priority=5)
    center.call("c3")
    assert _waiting(center) == ["c2", "c1", "c3"]

    relaxed = settings([queue(skills={"billing": 2})], [agent("a1", billing=2)])
    commands = _change(center, relaxed)

    # The highest priority first, then the oldest: each keeps its place in line.
    assert offers(commands) == [("c2", "a1")]
    assert _waiting(center) == ["c1", "c3"]
    view = center.acd.call_view("c1", center.now)
    assert view is not None
    assert (view.position, view.waited) == (1, 10)
    assert center.acd.settings == relaxed


def test_a_new_max_wait_is_armed_for_waiting_calls_and_one_already_passed_overflows() -> None:
    center = Center(settings([queue(), queue("backup")], [agent("a1", ("backup",))]))
    center.call("old")
    center.wait(50)
    center.call("young")
    center.wait(10)

    stricter = settings(
        [queue(max_wait_seconds=30, overflow="queue:backup"), queue("backup")],
        [agent("a1", ("backup",))],
    )
    commands = _change(center, stricter)

    # The call that already waited 60 s leaves for the overflow target at once, not lost.
    overflow = [r for r in only(commands, Record) if r.kind is RecordKind.OVERFLOW]
    assert [(r.call_id, r.detail) for r in overflow] == [("old", "to queue backup")]
    assert _waiting(center, "backup") == ["old"]
    # The younger one gets a max-wait timer at its entry time + the new maximum.
    timers = [t for t in only(commands, StartTimer) if t.key.kind is TimerKind.MAX_WAIT]
    assert [(t.key.subject, t.at) for t in timers] == [("young", 50 + 30)]
    center.wait(20)
    assert _waiting(center, "backup") == ["old", "young"]


def test_an_agent_added_to_a_queue_is_offered_its_waiting_call_at_once() -> None:
    before = settings([queue(), queue("other")], [agent("a1", ("other",))])
    center = Center(before)
    center.login("a1")
    center.call("c1")

    after = settings([queue(), queue("other")], [agent("a1", ("other", "support"))])
    commands = _change(center, after)

    assert offers(commands) == [("c1", "a1")]
    assert center.acd.agent_view("a1", center.now).queues == ("other", "support")


def test_a_ready_agent_removed_from_a_queue_gets_none_of_its_calls_any_more() -> None:
    both = settings([queue(), queue("other")], [agent("a1", ("support", "other"))])
    center = Center(both)
    center.login("a1")

    only_other = settings([queue(), queue("other")], [agent("a1", ("other",))])
    assert offers(_change(center, only_other)) == []
    assert offers(center.call("c1")) == []
    assert _waiting(center) == ["c1"]
    assert center.acd.queue_stats("support", center.now).staffed == 0
    assert offers(center.call("c2", "other")) == [("c2", "a1")]


def test_a_higher_skill_level_makes_the_agent_eligible_for_the_waiting_call() -> None:
    center = Center(settings([queue(skills={"billing": 4})], [agent("a1", billing=3)]))
    center.login("a1")
    center.call("c1")

    commands = _change(center, settings([queue(skills={"billing": 4})], [agent("a1", billing=4)]))

    assert offers(commands) == [("c1", "a1")]


def test_a_ringing_or_talking_agent_keeps_the_call_when_removed_from_its_queue() -> None:
    center = Center(settings([queue(), queue("other")], [agent("a1"), agent("a2")]))
    center.login("a1", "a2")
    center.call("c1")  # rings a1 (longest idle)
    center.call("c2")  # rings a2
    center.answer("c2", "a2")

    moved = settings([queue(), queue("other")], [agent("a1", ("other",)), agent("a2", ("other",))])
    _change(center, moved)

    assert center.acd.agent_view("a1", center.now).call_id == "c1"
    assert only(center.answer("c1", "a1"), StaleFact) == []
    assert center.acd.agent_view("a1", center.now).state is AgentState.ON_CALL
    assert only(center.end("c2"), StaleFact) == []


def test_a_new_agent_appears_logged_out_and_takes_calls_once_logged_in() -> None:
    center = Center(settings([queue()], [agent("a1")]))
    center.call("c1")

    commands = _change(center, settings([queue()], [agent("a1"), agent("new")]))

    assert offers(commands) == []
    assert center.acd.agent_view("new", center.now).state is AgentState.LOGGED_OUT
    assert offers(center.login("new")) == [("c1", "new")]


def test_removing_a_logged_out_agent_forgets_them() -> None:
    center = Center(settings([queue()], [agent("a1"), agent("gone")]))
    center.login("a1")
    _change(center, settings([queue()], [agent("a1")]))
    with pytest.raises(UnknownAgent):
        center.acd.agent_view("gone", center.now)
    assert [v.agent_id for v in center.acd.agent_views(center.now)] == ["a1"]


def test_removing_a_logged_in_agent_is_refused_naming_them_and_changes_nothing() -> None:
    config = settings([queue()], [agent("a1"), agent("a2")])
    center = Center(config)
    center.login("a1")
    center.call("c1")
    center.answer("c1", "a1")

    with pytest.raises(ConfigurationRefused, match=r"agent 'a1' is removed but is logged in"):
        _change(center, settings([queue()], [agent("a2")]), version=7)

    assert center.acd.settings == config
    assert center.acd.configuration_version is None
    assert center.acd.agent_view("a1", center.now).call_id == "c1"


def test_removing_a_queue_with_calls_in_it_is_refused_naming_the_queue_and_the_calls() -> None:
    config = settings([queue(), queue("old")], [agent("a1", ("old",)), agent("a2", ("old",))])
    center = Center(config)
    center.login("a1")
    center.call("c1", "old")  # rings a1
    center.call("c2", "old")
    center.call("c3", "old")

    with pytest.raises(ConfigurationRefused) as refused:
        _change(center, settings([queue()], [agent("a1"), agent("a2")]), version=3)

    assert "queue 'old' is removed but 3 calls are in it (2 waiting, 1 ringing)" in str(
        refused.value
    )
    assert "version 3" in str(refused.value)
    assert center.acd.settings == config
    assert _waiting(center, "old") == ["c2", "c3"]


def test_a_queue_added_takes_calls_and_an_empty_queue_removed_takes_none() -> None:
    center = Center(settings([queue(), queue("old")], [agent("a1")]))
    center.login("a1")

    _change(center, settings([queue(), queue("new")], [agent("a1", ("support", "new"))]))

    assert offers(center.call("c1", "new")) == [("c1", "a1")]
    stale = only(center.send(CallQueued(center.now, "c2", "old")), StaleFact)
    assert [s.reason for s in stale] == ["unknown queue 'old'"]
    assert [s.queue for s in center.acd.all_queue_stats(center.now)] == ["support", "new"]


def test_counters_and_metrics_of_the_day_survive_a_change() -> None:
    center = Center(settings([queue()], [agent("a1"), agent("a2")]))
    center.login("a1")
    center.call("c1")
    center.answer("c1", "a1")
    center.wait(60)
    center.end("c1")
    before = center.acd.queue_stats("support", center.now)

    _change(center, settings([queue(service_level_seconds=10)], [agent("a1"), agent("a2")]))

    after = center.acd.queue_stats("support", center.now)
    assert (after.offered, after.answered, after.aht) == (before.offered, 1, 60)
    assert center.acd.agent_view("a1", center.now).calls_today == 1
    assert center.acd.agent_view("a1", center.now).handled == 1


def test_the_event_log_shows_when_each_version_took_effect() -> None:
    original = settings([queue()], [agent("a1")])
    center = Center(original)
    center.wait(30)
    changed = settings([queue(ring_timeout_seconds=25)], [agent("a1")])

    commands = _change(center, changed, version=12)

    records = only(commands, Record)
    assert [(r.kind, r.detail, r.at) for r in records[:1]] == [(RecordKind.CONFIG, "12", 30)]
    assert (records[0].settings, records[0].settings_before) == (changed, original)
    assert center.acd.configuration_version == 12
    center.login("a1")
    offer = center.call("c1")
    ring = [t for t in only(offer, StartTimer) if t.key.kind is TimerKind.RING]
    assert [t.at for t in ring] == [30 + 25 + 5]


def test_overflow_when_nobody_is_logged_in_applies_to_calls_already_waiting() -> None:
    center = Center(settings([queue(), queue("backup")], [agent("a1", ("backup",))]))
    center.call("c1")

    commands = _change(
        center,
        settings(
            [queue(overflow="voicemail:100", overflow_when_no_agents=True), queue("backup")],
            [agent("a1", ("backup",))],
        ),
    )

    overflow = [r for r in only(commands, Record) if r.kind is RecordKind.OVERFLOW]
    assert [(r.call_id, r.outcome is not None) for r in overflow] == [("c1", True)]
    assert OverflowKind.VOICEMAIL.value in str(overflow[0].detail)
    assert center.acd.call_view("c1", center.now) is None
