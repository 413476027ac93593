"""Which callers the leader sends on from a frozen node (callcenter/pbx/stuck_agi.py): only
channels in the fail-over whose session is on the FastAGI address of a node silent past the
lease (by the AGI's data, or by CC_AGI_NODE when the channel shows the last application
the node ran), never one in a bridge, one with an offer of its own, or one on a live
node's address."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.ami import LocalProtocolError
from callcenter.ami import actions as ami
from callcenter.pbx.stuck_agi import (
    NodeSeen,
    address_key,
    agi_address,
    silent_addresses,
    stuck_channels,
    to_look_up,
)

LEASE_S = 3.0


def channel(
    uniqueid: str,
    data: str,
    *,
    application: str = "AGI",
    context: str = "fastagi",
    bridge: str = "",
    caller: str = "4930123456",
) -> dict[str, str]:
    """A CoreShowChannel event's headers, as a real Asterisk 22 sends them
    (tests/fixtures/asterisk/ami/ami-s4-ami-actions-actions.txt)."""
    return {
        "Channel": f"PJSIP/caller-{uniqueid}",
        "ChannelState": "6",
        "ChannelStateDesc": "Up",
        "CallerIDNum": caller,
        "Context": context,
        "Exten": "s",
        "Priority": "3",
        "Uniqueid": uniqueid,
        "Linkedid": uniqueid,
        "Application": application,
        "ApplicationData": data,
        "Duration": "00:00:07",
        "BridgeId": bridge,
    }


NODES = [
    NodeSeen("node1", "127.0.0.1:4573", age_s=9.0),  # frozen
    NodeSeen("node2", "127.0.0.1:4574", age_s=0.2),  # this node, the leader
    NodeSeen("node3", "Backend3:4573", age_s=1.0),  # a live standby
]


def test_given_a_frozen_node_then_only_its_address_counts_as_silent() -> None:
    assert silent_addresses(NODES, lease_s=LEASE_S, me="node2") == {"127.0.0.1:4573": "node1"}


def test_given_a_live_node_on_the_frozen_nodes_address_then_nothing_is_silent() -> None:
    # node1 froze and was replaced by node4 on the same machine and port: that FastAGI
    # answers, so a caller there is not stuck.
    nodes = [*NODES, NodeSeen("node4", "127.0.0.1:4573", age_s=0.5)]
    assert silent_addresses(nodes, lease_s=LEASE_S, me="node2") == {}


def test_given_a_node_silent_for_longer_than_the_horizon_then_it_is_taken_for_removed() -> None:
    nodes = [*NODES, NodeSeen("old", "10.0.0.9:4573", age_s=7200.0)]
    silent = silent_addresses(nodes, lease_s=LEASE_S, me="node2", forget_after_s=3600.0)
    assert silent == {"127.0.0.1:4573": "node1"}


def test_given_this_nodes_own_row_is_old_then_its_address_is_never_silent() -> None:
    nodes = [NodeSeen("node2", "127.0.0.1:4574", age_s=60.0), NodeSeen("x", None, 60.0)]
    assert silent_addresses(nodes, lease_s=LEASE_S, me="node2") == {}


def test_addresses_are_compared_as_the_dialplan_writes_them() -> None:
    assert address_key("Backend:4573") == address_key("backend") == "backend:4573"
    assert address_key("[::1]:4600") == "::1:4600"
    assert address_key("host:port") is None
    assert agi_address("agi://127.0.0.1:4573/ivr") == ("127.0.0.1:4573", "ivr")
    assert agi_address("agi://backend2/survey,x") == ("backend2:4573", "survey")
    assert agi_address("/usr/share/agi/script.sh") is None
    assert agi_address("hagi://backend/ivr") is None


def test_given_callers_everywhere_then_only_those_stuck_on_the_frozen_node_are_chosen() -> None:
    silent = silent_addresses(NODES, lease_s=LEASE_S, me="node2")
    offered = {"6.1"}
    channels = [
        channel("1.1", "agi://127.0.0.1:4573/ivr"),  # stuck in the IVR: chosen
        channel("1.2", "agi://127.0.0.1:4573/survey", caller="5550002"),  # survey: chosen
        channel("2.1", "agi://127.0.0.1:4574/ivr"),  # on the leader itself
        channel("3.1", "agi://backend3:4573/ivr"),  # on a live standby
        channel("4.1", "agi://127.0.0.1:4573/ivr", bridge="10d8f31a"),  # bridged
        channel("5.1", "default", application="MusicOnHold", context="queue-hold"),
        channel("6.1", "agi://127.0.0.1:4573/ivr"),  # an offer of this node rings for it
        channel("7.1", "agi://127.0.0.1:4573/ivr", context="inbound"),  # not the fail-over
        channel("8.1", "(Outgoing Line)", application="AppDial", context="agents"),
        # Held in line by a node: the channel shows the node's last EXEC, not AGI.
        channel("9.1", "default,2", application="MusicOnHold"),  # held by node1: chosen
        channel("9.2", "default,2", application="MusicOnHold"),  # held by the leader
        channel("9.3", "default,2", application="MusicOnHold"),  # no CC_AGI_NODE (yet)
        channel("9.4", "default,2", application="MusicOnHold", bridge="b"),
    ]
    busy = lambda uniqueid: uniqueid in offered  # noqa: E731
    assert to_look_up(channels, busy) == [(u, f"PJSIP/caller-{u}") for u in ("9.1", "9.2", "9.3")]
    named = {"9.1": "127.0.0.1:4573", "9.2": "127.0.0.1:4574", "9.3": ""}
    chosen = stuck_channels(channels, silent, busy, named)
    assert [(c.uniqueid, c.node, c.shows, c.caller) for c in chosen] == [
        ("1.1", "node1", "AGI agi://127.0.0.1:4573/ivr", "4930123456"),
        ("1.2", "node1", "AGI agi://127.0.0.1:4573/survey", "5550002"),
        ("9.1", "node1", "MusicOnHold default,2", "4930123456"),
    ]


_addresses = st.sampled_from(["127.0.0.1:4573", "127.0.0.1:4574", "backend:4573", "b2:9"])


@st.composite
def _channels(draw: st.DrawFn) -> list[dict[str, str]]:
    count = draw(st.integers(0, 12))
    return [
        channel(
            f"{n}.{n}",
            f"agi://{draw(_addresses)}/{draw(st.sampled_from(['ivr', 'survey']))}",
            application=draw(st.sampled_from(["AGI", "agi", "MusicOnHold", "Dial"])),
            context=draw(st.sampled_from(["fastagi", "ivr", "queue-hold"])),
            bridge=draw(st.sampled_from(["", "", "b-1"])),
        )
        for n in range(count)
    ]


@given(
    channels=_channels(),
    ages=st.lists(st.floats(0, 10), min_size=4, max_size=4),
    busy=st.sets(st.integers(0, 12)),
    named=st.dictionaries(st.integers(0, 12).map(lambda n: f"{n}.{n}"), _addresses),
)
def test_no_channel_is_chosen_that_a_live_node_holds_or_an_agent_may_be_bridged_to(
    channels: list[dict[str, str]], ages: list[float], busy: set[int], named: dict[str, str]
) -> None:
    names = ["me", "n1", "n2", "n3"]
    addresses = ["127.0.0.1:4574", "127.0.0.1:4573", "backend:4573", "b2:9"]
    nodes = [NodeSeen(n, a, age) for n, a, age in zip(names, addresses, ages, strict=True)]
    live = {a for n, a, age in zip(names, addresses, ages, strict=True) if n == "me" or age <= 3}
    busy_ids = {f"{n}.{n}" for n in busy}
    silent = silent_addresses(nodes, lease_s=3.0, me="me")
    chosen = stuck_channels(channels, silent, lambda u: u in busy_ids, named)
    by_id = {c["Uniqueid"]: c for c in channels}
    for stuck in chosen:
        item = by_id[stuck.uniqueid]
        assert item["BridgeId"] == ""
        assert stuck.uniqueid not in busy_ids
        assert item["Context"] == "fastagi"
        assert stuck.address not in live
        assert stuck.address in silent

    # ... and every channel that is stuck is chosen.
    def session_node(c: dict[str, str]) -> str | None:
        if c["Application"].lower() == "agi":
            return c["ApplicationData"].split("/")[2]
        return named.get(c["Uniqueid"])

    expected = {
        c["Uniqueid"]
        for c in channels
        if c["Context"] == "fastagi"
        and c["BridgeId"] == ""
        and c["Uniqueid"] not in busy_ids
        and session_node(c) is not None
        and session_node(c) not in live
    }
    assert {s.uniqueid for s in chosen} == expected


def test_a_redirect_may_name_a_priority_label_and_nothing_that_could_inject() -> None:
    action = ami.redirect("PJSIP/caller-00000050", "fastagi", "s", "leader")
    assert action.get("Priority") == "leader"
    with pytest.raises(LocalProtocolError, match="Redirect Priority"):
        ami.redirect("PJSIP/caller-00000050", "fastagi", "s", "leader,1")
