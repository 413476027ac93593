"""Replaying voicemail work from the event log: a message waiting, offered on a desktop or
being handled when the service stopped is there again after the restart, with its kind,
priority and skills."""

from __future__ import annotations

from acd import (
    Acd,
    AcdSettings,
    AgentState,
    CallKind,
    Record,
    VoicemailQueued,
)
from callcenter.live.replay import InFlight, Offer, in_flight, inputs_from_log, rebuild
from tests.unit.acd.acd_testkit import Center, only
from tests.unit.live.test_replay import EPOCH, log_of, wall

CONFIG = AcdSettings.model_validate(
    {
        "queues": [{"name": "support", "wrap_up_seconds": 0}],
        "agents": [
            {"id": "a1", "queues": ["support"]},
            {"id": "a2", "queues": ["support"], "skills": {"billing": 4}},
        ],
    }
)


def _rebuilt(center: Center, now: float) -> Acd:
    return rebuild(CONFIG, log_of(only(center.log, Record)), now=now)


def test_given_a_waiting_voicemail_when_rebuilt_then_it_waits_with_its_priority_and_skills() -> (
    None
):
    center = Center(CONFIG, EPOCH)
    center.call("c1")
    center.send(VoicemailQueued(center.now, "vm-1", "support", 3, {"billing": 2}))

    inputs = inputs_from_log(log_of(only(center.log, Record)))
    assert VoicemailQueued(EPOCH, "vm-1", "support", 3, {"billing": 2}) in inputs
    rebuilt = _rebuilt(center, wall(30))

    waiting = rebuilt.waiting_calls("support", wall(30))
    assert [(c.call_id, c.kind, c.priority) for c in waiting] == [
        ("vm-1", CallKind.VOICEMAIL, 3),
        ("c1", CallKind.VOICE, 0),
    ]
    assert waiting == center.acd.waiting_calls("support", wall(30))


def test_given_an_agent_handling_a_voicemail_when_rebuilt_then_still_on_it() -> None:
    center = Center(CONFIG, EPOCH)
    center.login("a2")
    center.send(VoicemailQueued(center.now, "vm-1", "support", 0, {"billing": 2}))
    center.advance(wall(5))
    center.answer("vm-1", "a2")

    rebuilt = _rebuilt(center, wall(60))

    view = rebuilt.agent_view("a2", wall(60))
    assert (view.state, view.call_id) == (AgentState.ON_CALL, "vm-1")
    assert in_flight(rebuilt) == InFlight(offered=(), connected=(Offer("vm-1", "a2", "support"),))
