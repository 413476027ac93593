"""`Action: Filter` in the simulator held to the s12 recordings, and the client's own filter.

The recorded session added filters (one good, one that does not compile, one unknown
operation) while another session raised three UserEvents; the answers and the events that
got through are replayed here against the simulator.
"""

from __future__ import annotations

import asyncio

import pytest

from callcenter.ami import AMIClient, AMIClientOptions, AMIServer
from callcenter.ami import actions as act
from callcenter.sim import AgentPhone, CallerScript
from tests.protocol.test_sim_conformance import AMI, recorded_stream
from tests.sim.sim_harness import TIMEOUT, Pairs, RawAMI, agi_server, simulator
from tests.sim.test_simulator import Waiting, next_event

USER_EVENT_FIELDS = ("UserEvent", "QueueName", "Agent", "Waiting", "Note")


def recorded_actions(name: str) -> list[Pairs]:
    """The actions of a `.sent.txt` recording, Login and Logoff left out."""
    text = (AMI / f"ami-{name}.sent.txt").read_text()
    actions = [
        [(k, v) for k, _, v in (line.partition(": ") for line in block.splitlines())]
        for block in text.split("\n\n")
        if block.strip()
    ]
    return [a for a in actions if a[0][1] not in ("Login", "Logoff")]


@pytest.mark.parametrize("recording", ["s12-ami-misc-filter", "s12-ami-misc-filter2"])
async def test_filters_are_answered_and_applied_as_recorded(recording: str) -> None:
    stream = recorded_stream(recording)
    answers = {dict(m)["ActionID"]: dict(m) for m in stream if m[0][0] == "Response"}
    passed = [dict(m) for m in stream if dict(m).get("Event") == "UserEvent"]
    async with simulator(1) as sim:
        filtered = await RawAMI.connect(sim.ami_port)
        for action in recorded_actions(recording):
            fields = dict(action)
            aid = fields.pop("ActionID")
            reply = dict(await filtered.action(fields.pop("Action"), list(fields.items()), aid))
            assert (reply["Response"], reply["Message"]) == (
                answers[aid]["Response"],
                answers[aid]["Message"],
            )
        raiser = await RawAMI.connect(sim.ami_port)
        for event in raised_events():
            fields = [(k, event[k]) for k in USER_EVENT_FIELDS]
            await raiser.action("UserEvent", fields, event["ActionID"])
        filtered.send("Logoff", (), "bye")
        got = await filtered.until(lambda m: dict(m).get("ActionID") == "bye")
        arrived = [dict(m) for m in got if dict(m).get("Event") == "UserEvent"]
        assert [{k: e[k] for k in ("ActionID", *USER_EVENT_FIELDS)} for e in arrived] == [
            {k: e[k] for k in ("ActionID", *USER_EVENT_FIELDS)} for e in passed
        ]
        await raiser.close()
        await filtered.close()


def raised_events() -> list[dict[str, str]]:
    """The three UserEvents raised during the s12 recordings (all passed the first filter)."""
    stream = recorded_stream("s12-ami-misc-filter")
    return [dict(m) for m in stream if dict(m).get("Event") == "UserEvent"]


async def test_the_products_filter_passes_the_names_given_and_not_their_longer_cousins() -> None:
    waiting = Waiting()
    phone = AgentPhone("agent1001", answer_after_s=0.5)
    async with agi_server({"ivr": waiting}) as agi, simulator(agi.port, phone) as sim:
        filtered = await RawAMI.connect(sim.ami_port)
        action = act.filter_events(["Hangup", "BridgeEnter"])
        fields = [(k, v) for k, v in action.fields]
        assert dict(await filtered.action("Filter", fields, "f-1"))["Response"] == "Success"
        everything = await RawAMI.connect(sim.ami_port)
        call = await sim.place_call(CallerScript("5550001", "400", patience_s=2.0))
        await asyncio.wait_for(call.done, TIMEOUT)
        for session in (filtered, everything):
            session.send("Ping", (), "last")
        got = await filtered.until(lambda m: dict(m).get("ActionID") == "last")
        unfiltered = await everything.until(lambda m: dict(m).get("ActionID") == "last")
        events = {dict(m).get("Event") for m in got} - {None}
        assert events == {"Hangup"}
        assert {"Hangup", "HangupRequest", "SoftHangupRequest", "Newchannel", "VarSet"} <= {
            dict(m).get("Event") for m in unfiltered
        }
        await filtered.close()
        await everything.close()


async def test_the_client_asks_for_what_it_subscribed_to_and_still_gets_it() -> None:
    waiting = Waiting()
    phone = AgentPhone("agent1001", answer_after_s=0.5)
    async with agi_server({"ivr": waiting}) as agi, simulator(agi.port, phone) as sim:
        options = AMIClientOptions(ping_interval=60, filter_events=True)
        server = AMIServer("sim", "127.0.0.1", sim.ami_port, "callcenter", "callcenter")
        ami = AMIClient(server, options)
        sub = ami.subscribe(["BridgeEnter", "MusicOnHoldStart"])
        await ami.connect(timeout=TIMEOUT)
        hangups = ami.subscribe(["Hangup"])  # after login: widens the filter
        call = await sim.place_call(CallerScript("5550001", "400"))
        await next_event(sub, "MusicOnHoldStart")
        offer = act.originate("PJSIP/agent1001", application="Bridge", data=call.channel,
                              timeout_ms=15000)  # fmt: skip
        await ami.send_action(offer)
        assert (await next_event(sub, "BridgeEnter")).headers["Channel"] == call.channel
        await asyncio.wait_for(waiting.ended, TIMEOUT)
        assert sim.hangup(call.channel)
        await next_event(hangups, "Hangup", Uniqueid=call.uniqueid)
        (session,) = [s for s in sim.ami.sessions if s.filter.active]
        assert not session.filter.passes("VarSet", {}, "Event: VarSet\r\nPrivilege: dialplan\r\n")
        await ami.close()
