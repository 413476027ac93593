"""Recovery across configuration changes (issue 16): a config entry in the event log is
replayed after a restart, and the restarted center runs with the changed settings."""

from __future__ import annotations

from collections.abc import Sequence

from structlog.testing import capture_logs

from acd import (
    AcdSettings,
    AgentLoggedIn,
    Command,
    ConfigurationChanged,
    Event,
    OfferCall,
    Record,
    RecordKind,
)
from callcenter.live.host import AcdHost
from callcenter.live.recorder import SETTINGS, SETTINGS_BEFORE
from callcenter.live.recovery import period_start, recover
from tests.unit.acd.acd_testkit import Center, offers, only
from tests.unit.live.test_recovery import NINE, ZONE, StoredLog, picture, ringing
from tests.unit.live.test_replay import log_of

BEFORE = AcdSettings.model_validate(
    {
        "queues": [
            {"name": "support", "wrap_up_seconds": 20, "ring_timeout_seconds": 10},
            {"name": "sales", "wrap_up_seconds": 0, "skills": {"sales": 3}},
        ],
        "agents": [
            {"id": "a1", "queues": ["support", "sales"], "skills": {"sales": 3}},
            {"id": "a2", "queues": ["support"]},
        ],
    }
)
AFTER = AcdSettings.model_validate(
    {
        "queues": [
            {"name": "support", "wrap_up_seconds": 5, "ring_timeout_seconds": 20},
            {"name": "sales", "wrap_up_seconds": 0, "skills": {"sales": 2}},
        ],
        "agents": [
            {"id": "a1", "queues": ["support", "sales"], "skills": {"sales": 3}},
            {"id": "a2", "queues": ["sales"], "skills": {"sales": 2}},
            {"id": "a3", "queues": ["support"]},
        ],
    }
)


def a_morning_with_a_change() -> Center:
    """a2 serves support until 10:00, when version 2 moves them to sales (where a call
    waits for them) and adds a3; calls before and after the change."""
    center = Center(BEFORE, period_start(NINE, ZONE))
    center.advance(NINE)
    center.login("a1", "a2")
    center.call("s1", "sales")  # only a1 has the skill before the change
    assert ringing(center, "s1") == "a1"
    center.answer("s1", "a1")
    center.call("c1")
    center.answer("c1", ringing(center, "c1"))  # a2
    center.wait(60)
    center.end("c1")
    center.wait(30)  # a2's wrap-up (20 s) ended by its timer
    center.call("s2", "sales")  # a1 talks, a2 lacks the skill: s2 waits
    center.wait(45)
    assert [v.call_id for v in center.acd.waiting_calls("sales", center.now)] == ["s2"]

    commands = center.send(ConfigurationChanged(center.now, AFTER, 2))

    assert offers(commands) == [("s2", "a2")]  # a2 now qualifies: s2 is offered at once
    center.wait(2)
    center.answer("s2", "a2")
    center.call("c2")  # support: a1 talks, a2 left it, a3 logged out: c2 waits
    center.wait(20)
    return center


def test_the_config_entry_in_the_log_carries_both_configurations() -> None:
    center = a_morning_with_a_change()
    entries = [e for e in log_of(only(center.log, Record)) if e.kind == RecordKind.CONFIG]
    assert len(entries) == 1
    assert entries[0].data["detail"] == "2"
    assert AcdSettings.model_validate(entries[0].data[SETTINGS]) == AFTER
    assert AcdSettings.model_validate(entries[0].data[SETTINGS_BEFORE]) == BEFORE


async def test_given_a_change_in_the_log_when_restarted_then_the_same_state_and_the_new_rules() -> (
    None
):
    center = a_morning_with_a_change()
    stored = StoredLog(log_of(only(center.log, Record)))
    restarted_at = center.now + 30
    center.advance(restarted_at)
    # The service starts with the version in force now; the replay starts from the one
    # the log's first config entry replaced, so the morning before 10:00 replays as it was.
    host = AcdHost(AFTER, clock=lambda: restarted_at)

    with capture_logs() as logs:
        await recover(host, AFTER, stored, ZONE, version=2)  # type: ignore[arg-type]

    assert [e for e in logs if e["log_level"] not in ("debug", "info")] == []
    core = host.acd
    assert (core.settings, core.configuration_version) == (AFTER, 2)
    assert picture(core, restarted_at) == picture(center.acd, restarted_at)
    assert [c.call_id for c in core.waiting_calls("support", restarted_at)] == ["c2"]
    # The restarted center runs the new rules: a3, new in version 2, takes the waiting call.
    host.start()
    commands = await host.request(lambda now: AgentLoggedIn(now, "a3", ready=True))
    await host.stop()
    assert [(o.call_id, o.agent_id, o.ring_timeout) for o in only(commands, OfferCall)] == [
        ("c2", "a3", 20)
    ]


async def test_given_a_newer_version_than_the_log_shows_when_restarted_then_it_is_applied() -> None:
    center = a_morning_with_a_change()  # the log ends with version 2 in force
    stored = StoredLog(log_of(only(center.log, Record)))
    restarted_at = center.now + 30
    # Version 3 was stored while the service was down (or its config entry was lost).
    third = AFTER.model_copy(update={"pbx_retry_seconds": 2.0})
    host = AcdHost(third, clock=lambda: restarted_at)
    seen: list[Record] = []
    host.add_listener(_Records(seen))

    with capture_logs() as logs:
        await recover(host, third, stored, ZONE, version=3)  # type: ignore[arg-type]
    assert host.acd.configuration_version == 2  # the log knows version 2 only ...
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == [
        "acd.recovered_config_differs"
    ]
    host.start()
    await host.drain()
    await host.stop()

    # ... and version 3 is applied, and logged, first thing once the host runs.
    assert (host.acd.settings, host.acd.configuration_version) == (third, 3)
    assert [(r.kind, r.detail) for r in seen][:1] == [(RecordKind.CONFIG, "3")]


class _Records:
    """A listener keeping the records of every batch, as the recorder would see them."""

    def __init__(self, seen: list[Record]) -> None:
        self.seen = seen

    def on_commands(self, commands: Sequence[Command], event: Event) -> None:
        self.seen.extend(c for c in commands if isinstance(c, Record))
