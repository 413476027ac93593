"""Several Asterisk servers: a caller can only be bridged to an agent whose phone is on the
caller's server, so the core offers a call only to agents there. An agent with no server
set is on the default server (the first configured); a call bound to no server (a
callback, a voicemail) goes to anyone."""

from __future__ import annotations

from acd_testkit import Center, agent, offers, only, queue, settings

from acd import (
    AgentLoggedOut,
    AgentSettings,
    CallbackRequested,
    CallQueued,
    Command,
    ConfigurationChanged,
    Overflow,
    OverflowReason,
    Record,
)

EAST = ("east", True)
"""The default server: agents with no server set are there."""
WEST = ("west", False)


def _floor() -> Center:
    config = settings(
        [queue("support")],
        [
            AgentSettings(id="e1", queues=("support",), server="east"),
            agent("nobody-set"),
            AgentSettings(id="w1", queues=("support",), server="west"),
        ],
    )
    return Center(config)


def _call(center: Center, call_id: str, home: tuple[str, bool] | None) -> list[Command]:
    server, default = home if home is not None else (None, False)
    return list(
        center.send(
            CallQueued(center.now, call_id, "support", server=server, default_server=default)
        )
    )


def test_given_agents_on_two_servers_when_a_west_call_arrives_then_the_west_agent_rings() -> None:
    center = _floor()
    center.login("e1", "nobody-set")  # ready longest
    center.wait(10)
    center.login("w1")

    assert offers(center.send(CallQueued(center.now, "c1", "support", server="west"))) == [
        ("c1", "w1")
    ]


def test_given_only_east_agents_ready_when_a_west_call_arrives_then_it_waits_for_a_west_agent() -> (
    None
):
    center = _floor()
    center.login("e1", "nobody-set")

    assert offers(_call(center, "c1", WEST)) == []
    waiting = center.acd.waiting_calls("support", center.now)
    assert [(c.call_id, c.server) for c in waiting] == [("c1", "west")]

    center.wait(30)
    assert offers(center.login("w1")) == [("c1", "w1")]


def test_given_an_agent_with_no_server_when_calls_arrive_then_they_take_the_default_servers() -> (
    None
):
    center = _floor()
    center.login("nobody-set")

    assert offers(_call(center, "west-call", WEST)) == []
    assert offers(_call(center, "east-call", EAST)) == [("east-call", "nobody-set")]


def test_given_a_west_call_first_in_line_when_an_east_agent_is_ready_then_the_east_call_goes() -> (
    None
):
    center = _floor()
    _call(center, "west-first", WEST)
    center.wait(5)
    _call(center, "east-second", EAST)

    assert offers(center.login("e1")) == [("east-second", "e1")]


def test_given_a_callback_bound_to_no_server_when_any_agent_is_ready_then_it_is_offered() -> None:
    center = _floor()
    center.login("w1")

    commands = center.send(CallbackRequested(center.now, "cb1", "support"))

    assert offers(commands) == [("cb1", "w1")]


def test_given_the_admission_record_when_a_call_arrives_then_it_names_the_callers_server() -> None:
    center = _floor()

    commands = _call(center, "c1", WEST)

    enqueue = next(c for c in commands if isinstance(c, Record) and c.call_id == "c1")
    assert (enqueue.server, enqueue.default_server) == ("west", False)


def test_given_a_west_call_waiting_when_an_east_agent_moves_to_west_then_they_are_offered_it() -> (
    None
):
    center = _floor()
    center.login("e1")
    _call(center, "c1", WEST)
    moved = center.acd.settings.model_copy(
        update={
            "agents": (
                AgentSettings(id="e1", queues=("support",), server="west"),
                *center.acd.settings.agents[1:],
            )
        }
    )

    commands = center.send(ConfigurationChanged(center.now, moved, 2))

    assert offers(commands) == [("c1", "e1")]


def _overflowing_floor() -> Center:
    config = settings(
        [queue("support", overflow="voicemail:1", overflow_when_no_agents=True)],
        [
            AgentSettings(id="e1", queues=("support",), server="east"),
            AgentSettings(id="w1", queues=("support",), server="west"),
        ],
    )
    return Center(config)


def test_given_only_east_agents_logged_in_when_a_west_call_arrives_then_it_overflows() -> None:
    center = _overflowing_floor()
    center.login("e1", ready=False)

    west = only(_call(center, "w", WEST), Overflow)
    east = only(_call(center, "e", EAST), Overflow)

    assert [(o.call_id, o.reason) for o in west] == [("w", OverflowReason.NO_AGENTS)]
    assert east == []


def test_given_calls_on_both_servers_when_the_last_west_agent_leaves_then_only_west_overflows() -> (
    None
):
    center = _overflowing_floor()
    center.login("e1", "w1", ready=False)
    _call(center, "w", WEST)
    _call(center, "e", EAST)

    commands = center.send(AgentLoggedOut(center.now, "w1"))

    assert [(o.call_id, o.reason) for o in only(commands, Overflow)] == [
        ("w", OverflowReason.NO_AGENTS)
    ]
    assert [c.call_id for c in center.acd.waiting_calls("support", center.now)] == ["e"]
