"""The simulator's agent legs as Asterisk 22.10.1 treats them: `ChannelId`, Hangup while
ringing, and the ways an Originate fails (a phone not registered, no RTP port).

What these hold the simulator to was checked by hand on the real Asterisk 22.10.1 of
`../shared/asterisk/` (PJSIP, SIPp phones): an Originate with `ChannelId: cc-leg-1` gives
the channel that Uniqueid, and every OriginateResponse (a failed one too, whose `Channel`
is only the dial string) reports it; `Hangup` takes the Uniqueid as well as the name; a
Hangup action sent before the dial thread has created the channel answers "No such
channel"; hung up while ringing, the leg ends with DialEnd NOANSWER, OriginateResponse
Failure Reason 0, and a Hangup whose Cause is 0 (the action gave none) in state Ringing.
To an endpoint without a registered contact, Asterisk makes no channel: only the
OriginateResponse (Reason 0) comes, and `DEVICE_STATE()` reads UNAVAILABLE (INVALID for an
unknown endpoint). With rtp.conf's range used up, the agent's channel is created and hung
up still Down with cause 0 after a HangupRequest (the OriginateResponse, Reason 0, before
the Hangup), and a caller's INVITE is answered 488 with no channel.
"""

from __future__ import annotations

from callcenter.sim import AgentPhone, CallerScript, PhoneMode
from tests.sim.sim_harness import RawAMI, is_event, simulator

RINGS = AgentPhone("agent1001", PhoneMode.NO_ANSWER)


def _originate(channel_id: str, endpoint: str = "agent1001") -> list[tuple[str, str]]:
    return [
        ("Channel", f"PJSIP/{endpoint}"),
        ("Application", "Wait"),
        ("Data", "10"),
        ("Timeout", "30000"),
        ("Async", "true"),
        ("ChannelId", channel_id),
    ]


async def test_given_a_ringing_leg_when_hung_up_by_its_uniqueid_then_the_ring_ends_unanswered() -> (
    None
):
    async with simulator(4573, RINGS) as sim:
        ami = await RawAMI.connect(sim.ami_port)
        queued = await ami.action("Originate", _originate("cc-leg-1"), "o-1")
        assert dict(queued)["Message"] == "Originate successfully queued"
        seen = await ami.until(is_event("DialState", DialStatus="RINGING"))
        new = next(dict(m) for m in seen if dict(m).get("Event") == "Newchannel")
        assert new["Uniqueid"] == "cc-leg-1"
        assert new["Channel"].startswith("PJSIP/agent1001-")
        hung = await ami.action("Hangup", [("Channel", "cc-leg-1")], "h-1")
        assert dict(hung)["Message"] == "Channel Hungup"
        tail = [dict(m) for m in await ami.until(is_event("Hangup", Uniqueid="cc-leg-1"))]
        names = [m.get("Event") for m in tail]
        assert names.index("DialEnd") < names.index("OriginateResponse") < names.index("Hangup")
        dial_end = next(m for m in tail if m.get("Event") == "DialEnd")
        assert dial_end["DialStatus"] == "NOANSWER"
        response = next(m for m in tail if m.get("Event") == "OriginateResponse")
        assert (response["Response"], response["Reason"]) == ("Failure", "0")
        assert (response["Channel"], response["Uniqueid"]) == ("PJSIP/agent1001", "cc-leg-1")
        assert (tail[-1]["Cause"], tail[-1]["ChannelStateDesc"]) == ("0", "Ringing")
        assert [(r.outcome, r.hung_up_by) for r in sim.rings("agent1001")] == [("cancelled", "ami")]
        await ami.close()


async def test_given_a_leg_not_yet_created_when_hung_up_then_there_is_no_such_channel() -> None:
    async with simulator(4573, RINGS, originate_setup_s=50.0) as sim:
        ami = await RawAMI.connect(sim.ami_port)
        await ami.action("Originate", _originate("cc-leg-2"), "o-2")
        early = await ami.action("Hangup", [("Channel", "cc-leg-2")], "h-2")
        assert dict(early)["Message"] == "No such channel"
        await ami.until(is_event("Newchannel", Uniqueid="cc-leg-2"))
        late = await ami.action("Hangup", [("Channel", "cc-leg-2")], "h-3")
        assert dict(late)["Message"] == "Channel Hungup"
        await ami.until(is_event("Hangup", Uniqueid="cc-leg-2"))
        await ami.close()


async def test_given_a_phone_not_registered_when_originated_then_only_the_response_fails() -> None:
    away = AgentPhone("agent1009", registered=False)
    async with simulator(4573, RINGS, away) as sim:
        ami = await RawAMI.connect(sim.ami_port)
        await ami.action("Originate", _originate("cc-leg-3", "agent1009"), "o-3")
        seen = [dict(m) for m in await ami.until(is_event("OriginateResponse"))]
        assert [m.get("Event") for m in seen if "Event" in m] == ["OriginateResponse"]
        assert (seen[-1]["Reason"], seen[-1]["Channel"], seen[-1]["Uniqueid"]) == (
            "0",
            "PJSIP/agent1009",
            "cc-leg-3",
        )
        sync = [(k, v) for k, v in _originate("cc-leg-4", "agent1009") if k != "Async"]
        assert dict(await ami.action("Originate", sync, "o-4"))["Message"] == "Originate failed"
        states = {}
        for device in ("PJSIP/agent1009", "PJSIP/agent1001", "PJSIP/nosuch"):
            reply = await ami.action("Getvar", [("Variable", f"DEVICE_STATE({device})")], device)
            states[device] = dict(reply)["Value"]
        assert states == {
            "PJSIP/agent1009": "UNAVAILABLE",
            "PJSIP/agent1001": "NOT_INUSE",
            "PJSIP/nosuch": "INVALID",
        }
        await ami.close()


async def test_given_no_free_rtp_port_then_the_leg_never_rings_and_callers_are_refused() -> None:
    async with simulator(4573, RINGS, rtp_ports=0) as sim:
        ami = await RawAMI.connect(sim.ami_port)
        await ami.action("Originate", _originate("cc-leg-5"), "o-5")
        seen = [dict(m) for m in await ami.until(is_event("Hangup", Uniqueid="cc-leg-5"))]
        names = [m.get("Event") for m in seen if m.get("Uniqueid") == "cc-leg-5"]
        assert names == ["Newchannel", "HangupRequest", "OriginateResponse", "Hangup"]
        assert (seen[-1]["Cause"], seen[-1]["ChannelStateDesc"]) == ("0", "Down")
        response = next(m for m in seen if m.get("Event") == "OriginateResponse")
        assert (response["Response"], response["Reason"]) == ("Failure", "0")
        assert [r.outcome for r in sim.rings("agent1001")] == ["failed"]
        call = await sim.place_call(CallerScript("+4930555000"))
        record = await call.done
        assert (record.hung_up_by, record.scripts, sim.channels) == ("pbx", [], [])
        await ami.close()
