"""Replaying calls of several Asterisk servers: the event log keeps the server each caller
was on, so the core rebuilt after a restart, and a what-if replay of the day, offer each
call to the same agents as the live core did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from acd import AcdSettings, CallQueued, OfferCall, Record, RecordKind
from acd.whatif import replay_day
from callcenter.live.replay import in_flight, inputs_from_log, rebuild
from callcenter.reports.day_from_log import day_from_events
from tests.unit.acd.acd_testkit import Center, only
from tests.unit.live.test_replay import EPOCH, log_of, wall

CONFIG = AcdSettings.model_validate(
    {
        "queues": [{"name": "support", "wrap_up_seconds": 0}],
        "agents": [
            {"id": "east1", "queues": ["support"]},
            {"id": "west1", "queues": ["support"], "server": "west"},
        ],
    }
)


def test_given_calls_on_two_servers_when_read_back_then_each_admission_names_its_server() -> None:
    center = Center(CONFIG, EPOCH)
    center.send(CallQueued(center.now, "w-call", "support", server="west"))
    center.send(CallQueued(center.now, "e-call", "support", server="east", default_server=True))

    inputs = inputs_from_log(log_of(only(center.log, Record)))

    assert [
        (i.call_id, i.server, i.default_server) for i in inputs if isinstance(i, CallQueued)
    ] == [
        ("w-call", "west", False),
        ("e-call", "east", True),
    ]


def test_given_a_west_call_ringing_the_west_agent_when_rebuilt_then_the_same_agent_has_it() -> None:
    center = Center(CONFIG, EPOCH)
    center.login("east1", "west1")
    center.advance(wall(1))
    offers = only(
        center.send(CallQueued(center.now, "w-call", "support", server="west")), OfferCall
    )
    assert [(o.call_id, o.agent_id) for o in offers] == [("w-call", "west1")]

    rebuilt = rebuild(CONFIG, log_of(only(center.log, Record)), now=wall(3))

    assert [(o.call_id, o.agent_id) for o in in_flight(rebuilt).offered] == [("w-call", "west1")]
    assert rebuilt.agent_view("east1", wall(3)) == center.acd.agent_view("east1", wall(3))


def test_given_a_day_on_two_servers_when_replayed_as_what_if_then_no_call_crosses() -> None:
    center = Center(CONFIG, EPOCH)
    center.login("east1", "west1")
    center.advance(wall(1))
    for n in range(3):
        center.send(CallQueued(center.now, f"w{n}", "support", server="west"))
    center.send(CallQueued(center.now, "e0", "support", server="east", default_server=True))
    since = datetime.fromtimestamp(EPOCH, UTC)

    day = day_from_events(
        log_of(only(center.log, Record)), since=since, until=since + timedelta(hours=1)
    )
    offered: list[tuple[str | None, str | None]] = []
    replay_day(
        day,
        CONFIG,
        on_record=lambda r: (
            offered.append((r.call_id, r.agent_id)) if r.kind is RecordKind.OFFER else None
        ),
    )

    assert {(c.call_id, c.server) for c in day.calls} == {
        ("w0", "west"),
        ("w1", "west"),
        ("w2", "west"),
        ("e0", "east"),
    }
    # east1 is free most of the day, yet the west callers wait for west1, one by one.
    assert sorted(offered) == [("e0", "east1"), ("w0", "west1"), ("w1", "west1"), ("w2", "west1")]
