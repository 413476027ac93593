"""The simulator's agent legs as Asterisk 22.10.1 treats them: `ChannelId`, Hangup while
ringing, and the ways an Originate fails.

What these hold the simulator to was checked by hand on the real Asterisk 22.10.1 of
`../shared/asterisk/` (PJSIP, SIPp phones): an Originate with `ChannelId: cc-leg-1` gives
the channel that Uniqueid, and every OriginateResponse (a failed one too, whose `Channel`
is only the dial string) reports it; `Hangup` takes the Uniqueid as well as the name; a
Hangup action sent before the dial thread has created the channel answers "No such
channel"; hung up while ringing, the leg ends with DialEnd NOANSWER, OriginateResponse
Failure Reason 0, and a Hangup whose Cause is 0 (the action gave none) in state Ringing.
"""

from __future__ import annotations

from callcenter.sim import AgentPhone, PhoneMode
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
