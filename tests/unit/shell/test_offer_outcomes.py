"""Whose failure a failed Originate was, decided from what Asterisk 22 reports, and the
alert a run of the PBX's failures raises.

The evidence is the one seen on Asterisk 22.10.1 with SIPp phones: every failure below
but a ring timeout answered `Reason: 0`; the leg's Hangup carried the cause (486 -> 17,
603 -> 21, 480 -> 19, 488 -> 58, 503 -> 34), a channel without an RTP port was hung up
Down with cause 0, and an endpoint with no contact made no channel at all.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from structlog.testing import capture_logs

from acd import Event, OfferFailed, OfferRejected, OfferTimedOut
from callcenter.pbx.calls import AgentLeg, PbxCall, PbxCalls
from callcenter.pbx.failures import Blame, from_hangup, from_missing_channel, from_reason
from callcenter.pbx.health import PbxHealth
from callcenter.pbx.outcomes import OfferOutcomes

RINGING, DOWN = 5, 0


@pytest.mark.parametrize(
    ("cause", "state", "blame", "kind"),
    [
        (17, DOWN, Blame.DECLINED, "busy"),  # 486 Busy Here
        (21, DOWN, Blame.DECLINED, "declined"),  # 603 Decline
        (20, DOWN, Blame.DECLINED, "away"),  # subscriber absent
        (19, RINGING, Blame.NO_ANSWER, "no-answer"),  # the dial's timeout, or 480
        (18, RINGING, Blame.NO_ANSWER, "no-answer"),  # 408: the phone did not respond
        (0, DOWN, Blame.PBX, "not-placed"),  # no RTP port: hung up before the INVITE
        (34, DOWN, Blame.PBX, "congestion"),  # 503
        (42, DOWN, Blame.PBX, "congestion"),
        (38, DOWN, Blame.PBX, "network"),
        (41, DOWN, Blame.PBX, "network"),
        (47, DOWN, Blame.PBX, "congestion"),
        (58, DOWN, Blame.PBX, "media"),  # 488: no codec in common
        (127, DOWN, Blame.PBX, "other"),
    ],
)
def test_a_hangup_cause_tells_the_agent_from_the_pbx(
    cause: int, state: int, blame: Blame, kind: str
) -> None:
    verdict = from_hangup(cause, state)
    assert (verdict.blame, verdict.kind) == (blame, kind)
    assert (str(cause) in verdict.cause) or cause == 0


def test_only_the_telling_reasons_decide_alone() -> None:
    blames = {reason: getattr(from_reason(reason), "blame", None) for reason in (3, 5, 8, 0)}
    # Busy, declined, a 488, a 503 and no RTP port all answer 0: it says nothing alone.
    assert blames == {3: Blame.NO_ANSWER, 5: Blame.DECLINED, 8: Blame.PBX, 0: None}
    assert from_reason(None) is None


def test_a_missing_channel_is_the_phones_when_it_is_not_registered() -> None:
    assert from_missing_channel("UNAVAILABLE").blame is Blame.DECLINED
    assert from_missing_channel("INVALID").blame is Blame.DECLINED
    assert from_missing_channel("NOT_INUSE").blame is Blame.PBX
    assert from_missing_channel(None).blame is Blame.PBX


@dataclass
class Host:
    """The ACD host's side the outcomes use: a clock and the facts submitted."""

    facts: list[Event] = field(default_factory=list)

    def now(self) -> float:
        return 100.0

    def submit(self, fact: Event) -> None:
        self.facts.append(fact)


@dataclass
class Phone:
    """DEVICE_STATE answers, and how often they were asked."""

    state: str | None = "NOT_INUSE"
    asked: list[str] = field(default_factory=list)

    async def __call__(self, endpoint: str) -> str | None:
        self.asked.append(endpoint)
        return self.state


def _offer(calls: PbxCalls, agent: str = "agent1", call_id: str = "c1") -> AgentLeg:
    call = calls.get(call_id) or PbxCall(call_id, f"PJSIP/caller-{call_id}", None, "general")
    calls.add(call)
    leg = AgentLeg(agent, f"PJSIP/{agent}", uniqueid=f"cc-{call_id}-{agent}")
    calls.start_leg(call, leg)
    return leg


def _outcomes(phone: Phone | None = None) -> tuple[OfferOutcomes, Host, PbxCalls]:
    host, calls = Host(), PbxCalls()
    health = PbxHealth(host.now, alert_after=3)
    outcomes = OfferOutcomes(host, calls, health, device_state=phone or Phone(), settle_s=0.01)
    return outcomes, host, calls


async def test_given_reason_0_then_the_legs_hangup_decides_busy_is_the_agents() -> None:
    outcomes, host, calls = _outcomes()
    leg = _offer(calls)
    leg.channel = "PJSIP/agent1-00000001"
    outcomes.originate_failed(leg, 0)
    assert host.facts == []  # Reason 0 says nothing yet
    outcomes.leg_hung_up(leg, 17, DOWN)
    assert host.facts == [OfferRejected(100.0, "c1", "agent1")]
    await asyncio.sleep(0.05)
    assert len(host.facts) == 1  # the settle timer was disarmed


async def test_given_the_hangup_first_then_a_leg_that_never_rang_is_the_pbxs() -> None:
    outcomes, host, calls = _outcomes()
    leg = _offer(calls)
    outcomes.leg_hung_up(leg, 0, DOWN)
    assert len(host.facts) == 1
    fact = host.facts[0]
    assert isinstance(fact, OfferFailed)
    assert (fact.call_id, fact.agent_id) == ("c1", "agent1")
    assert "never rang" in fact.cause
    call = calls.get("c1")
    assert call is not None
    assert call.leg is None


async def test_given_a_ring_timeout_then_it_is_ring_no_answer_at_once() -> None:
    outcomes, host, calls = _outcomes()
    outcomes.originate_failed(_offer(calls), 3)
    assert host.facts == [OfferTimedOut(100.0, "c1", "agent1")]


@pytest.mark.parametrize(
    ("state", "fact"), [("UNAVAILABLE", OfferRejected), ("NOT_INUSE", OfferFailed)]
)
async def test_given_no_channel_at_all_then_the_device_state_decides(
    state: str, fact: type[Event]
) -> None:
    phone = Phone(state)
    outcomes, host, calls = _outcomes(phone)
    outcomes.originate_failed(_offer(calls), 0)
    for _ in range(50):
        if host.facts:
            break
        await asyncio.sleep(0.01)
    assert phone.asked == ["PJSIP/agent1"]
    assert [type(f) for f in host.facts] == [fact]
    assert calls.leg("cc-c1-agent1") is None


async def test_given_a_withdrawn_leg_then_its_failure_decides_nothing() -> None:
    outcomes, host, calls = _outcomes()
    leg = _offer(calls)
    leg.withdrawn = True
    outcomes.leg_hung_up(leg, 0, RINGING)
    assert host.facts == []
    assert not outcomes.health.in_a_row


async def test_given_three_pbx_failures_in_a_row_then_the_alert_is_raised_and_cleared() -> None:
    outcomes, _, calls = _outcomes()
    health = outcomes.health
    with capture_logs() as logs:
        for agent in ("agent1", "agent2"):
            outcomes.leg_hung_up(_offer(calls, agent), 0, DOWN)
        assert not health.failing
        assert health.alerts() == []
        outcomes.not_sent("c1", "agent3", "Asterisk refused the Originate: Originate failed")
        assert health.failing
        outcomes.leg_hung_up(_offer(calls, "agent1", "c2"), 34, DOWN)
        (alert,) = health.alerts()
        assert (alert["queue"], alert["kind"], alert["since"]) == (None, "pbx_failing", 100.0)
        assert "4 offers in a row failed" in alert["message"]
        assert "congestion" in alert["message"]
        outcomes.leg_hung_up(_offer(calls, "agent2", "c2"), 17, DOWN)  # the PBX reached a phone
    assert not health.failing
    assert health.alerts() == []
    assert health.figures().by_kind == {"not-placed": 2, "refused": 1, "congestion": 1}
    levels = [(entry["log_level"], entry["event"]) for entry in logs]
    assert levels.count(("warning", "pbx.offer_not_placed")) == 4
    assert levels.count(("error", "pbx.originates_failing")) == 1
    assert ("warning", "pbx.originates_recovered") in levels


async def test_given_a_phone_not_registered_then_the_alert_neither_rises_nor_clears() -> None:
    outcomes, _, calls = _outcomes()
    for agent in ("agent1", "agent2", "agent3"):
        outcomes.leg_hung_up(_offer(calls, agent), 0, DOWN)
    assert outcomes.health.failing
    outcomes.leg_hung_up(_offer(calls, "agent1", "c2"), 20, DOWN)  # says nothing of the PBX
    assert outcomes.health.failing
