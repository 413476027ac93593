"""An agent-first callback on the simulator: the agent's leg, answered, dials the customer.

The product originates the agent's phone into `callbacks,<number>,1`; its dialplan Dials
`PJSIP/<number>@trunk` when the number is `+` and digits, and otherwise hangs the agent's
leg up without dialling. The simulator plays that Dial as s2 recorded a Dial from a
channel: the customer's leg is a new channel linked to the agent's (its Linkedid), both
enter one bridge when the customer answers (dialled channel first); a busy customer is
Hangup cause 17, one who does not answer is DialEnd NOANSWER and cause 19; after a Dial
that did not connect the dialplan's Hangup() ends the agent's leg.
"""

from __future__ import annotations

import pytest

from callcenter.sim import AgentPhone, Callee, PhoneMode
from tests.sim.sim_harness import Pairs, RawAMI, is_event, simulator

AGENT = AgentPhone("agent1001", answer_after_s=0.5)


def _originate(number: str) -> Pairs:
    return [
        ("Channel", "PJSIP/agent1001"),
        ("Context", "callbacks"),
        ("Exten", number),
        ("Priority", "1"),
        ("Timeout", "20000"),
        ("Async", "true"),
        ("ChannelId", "cc-cb-1"),
        ("Variable", "CC_CALL_ID=cb-7"),
    ]


def _events(seen: list[Pairs], *names: str) -> list[dict[str, str]]:
    return [dict(m) for m in seen if dict(m).get("Event") in names]


async def test_given_a_customer_who_answers_then_both_legs_enter_one_bridge() -> None:
    async with simulator(4573, AGENT) as sim:
        sim.add_callee(Callee("+49305550100", answer_after_s=2.0, talk_s=30.0))
        ami = await RawAMI.connect(sim.ami_port)
        await ami.action("Originate", _originate("+49305550100"), "o-1")
        seen = await ami.until(is_event("Hangup", Uniqueid="cc-cb-1"), timeout=10)

        news = _events(seen, "Newchannel")
        assert news[0]["Uniqueid"] == "cc-cb-1"
        [customer] = [n for n in news if n["Uniqueid"] != "cc-cb-1"]
        assert customer["Channel"].startswith("PJSIP/trunk-")
        assert customer["Linkedid"] == "cc-cb-1"
        steps = [
            (d["Context"], d["Application"], d["AppData"])
            for d in _events(seen, "Newexten")
            if d["Uniqueid"] == "cc-cb-1"
        ]
        check = "$[${LEN(${FILTER(0123456789,${EXTEN:1})})} != ${LEN(${EXTEN:1})}]?refused,1"
        assert steps[1:] == [
            ("callbacks", "NoOp", "callback cb-7 by "),
            ("callbacks", "GotoIf", check),
            ("callbacks", "Goto", "outbound,+49305550100,1"),
            ("outbound", "GotoIf", check),
            ("outbound", "Dial", "PJSIP/+49305550100@trunk,60"),
            ("outbound", "Hangup", ""),  # the customer hung up first: the dialplan goes on
        ]
        response = _events(seen, "OriginateResponse")[0]
        assert (response["Response"], response["Context"], response["Exten"]) == (
            "Success",
            "callbacks",
            "+49305550100",
        )
        enters = _events(seen, "BridgeEnter")
        assert [(e["Uniqueid"], e["BridgeNumChannels"]) for e in enters] == [
            (customer["Uniqueid"], "1"),
            ("cc-cb-1", "2"),
        ]
        assert enters[0]["BridgeUniqueid"] == enters[1]["BridgeUniqueid"]
        assert _events(seen, "DialEnd")[-1]["DialStatus"] == "ANSWER"
        # The customer hangs up after talking: their leg goes first, then the agent's.
        hangups = _events(seen, "Hangup")
        assert [(h["Uniqueid"], h["Cause"]) for h in hangups] == [
            (customer["Uniqueid"], "16"),
            ("cc-cb-1", "16"),
        ]
        assert sim.channels == []
        assert sim.dialled == ["+49305550100"]
        await ami.close()


async def test_given_a_busy_customer_then_the_customer_leg_ends_with_cause_17() -> None:
    async with simulator(4573, AGENT) as sim:
        sim.add_callee(Callee("+49305550101", PhoneMode.BUSY, then=Callee("+49305550101")))
        ami = await RawAMI.connect(sim.ami_port)
        await ami.action("Originate", _originate("+49305550101"), "o-2")
        seen = await ami.until(is_event("Hangup", Uniqueid="cc-cb-1"), timeout=10)

        assert _events(seen, "BridgeEnter") == []
        assert _events(seen, "DialEnd")[-1]["DialStatus"] == "BUSY"
        [customer, agent] = _events(seen, "Hangup")
        assert customer["Channel"].startswith("PJSIP/trunk-")
        assert (customer["Cause"], customer["Linkedid"]) == ("17", "cc-cb-1")
        assert agent["Uniqueid"] == "cc-cb-1"
        assert sim.pbx.callees["+49305550101"] == Callee(
            "+49305550101"
        )  # free from the next call on
        await ami.close()


async def test_given_a_customer_who_does_not_answer_then_the_dial_times_out() -> None:
    async with simulator(4573, AGENT, dial_timeout_s=5.0) as sim:
        sim.add_callee(Callee("+49305550102", PhoneMode.NO_ANSWER))
        ami = await RawAMI.connect(sim.ami_port)
        await ami.action("Originate", _originate("+49305550102"), "o-3")
        seen = await ami.until(is_event("Hangup", Uniqueid="cc-cb-1"), timeout=10)

        assert _events(seen, "BridgeEnter") == []
        assert _events(seen, "DialEnd")[-1]["DialStatus"] == "NOANSWER"
        assert [h["Cause"] for h in _events(seen, "Hangup")] == ["19", "16"]
        await ami.close()


async def test_given_the_agent_hangs_up_in_the_talk_then_the_customer_leg_ends_too() -> None:
    async with simulator(4573, AGENT) as sim:
        sim.add_callee(Callee("+49305550103", answer_after_s=0.5))  # talks until hung up
        ami = await RawAMI.connect(sim.ami_port)
        await ami.action("Originate", _originate("+49305550103"), "o-4")
        await ami.until(is_event("BridgeEnter", Uniqueid="cc-cb-1"), timeout=10)
        assert sim.hangup(next(c for c in sim.channels if c.startswith("PJSIP/agent1001-")))
        seen = await ami.until(is_event("Hangup", Uniqueid="cc-cb-1"), timeout=10)

        assert [e["Event"] for e in _events(seen, "HangupRequest", "BridgeLeave")][:2] == [
            "HangupRequest",
            "BridgeLeave",
        ]
        assert _events(seen, "HangupRequest")[0]["Uniqueid"] == "cc-cb-1"
        [customer, agent] = _events(seen, "Hangup")
        assert customer["Channel"].startswith("PJSIP/trunk-")
        assert agent["Uniqueid"] == "cc-cb-1"
        assert sim.channels == []
        await ami.close()


@pytest.mark.parametrize("number", ["+4930555,U(evil)", "+4930555&PJSIP/999", "123&PJSIP/999"])
async def test_given_a_number_with_more_than_digits_then_nothing_is_dialled(number: str) -> None:
    async with simulator(4573, AGENT) as sim:
        ami = await RawAMI.connect(sim.ami_port)
        await ami.action("Originate", _originate(number), "o-5")
        seen = await ami.until(is_event("Hangup", Uniqueid="cc-cb-1"), timeout=10)

        trunk = [d for d in _events(seen, "DialBegin") if "trunk" in d["DestChannel"]]
        assert trunk == []
        assert [n["Uniqueid"] for n in _events(seen, "Newchannel")] == ["cc-cb-1"]
        steps = [
            (d["Exten"], d["Application"])
            for d in _events(seen, "Newexten")
            if d["Uniqueid"] == "cc-cb-1"
        ][1:]
        if number.startswith("+"):  # [callbacks] _+X.: the check sends it to `refused`
            assert steps == [
                (number, "NoOp"),
                (number, "GotoIf"),
                ("refused", "NoOp"),
                ("refused", "Hangup"),
            ]
        else:  # no extension of [callbacks] takes it
            assert steps == []
        assert sim.dialled == []
        assert sim.channels == []
        await ami.close()
