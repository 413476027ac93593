"""A caller who hangs up while an agent's phone rings: the ring stops, nobody is blamed.

The ring timeout is long (30 s) and the phone would answer after 3 s: a service that
forgot the ringing leg would leave it ringing, and the phone would then answer into a
call with nobody (Bridge to a caller who is gone). Each test waits only until the phone's
ring is over, well inside both.
"""

from __future__ import annotations

from pathlib import Path

from acd import AcdSettings, AgentSettings, AgentState, QueueSettings, RecordKind
from callcenter.sim import AgentPhone, CallerScript, Press, SimOptions
from tests.e2e.harness import E2E, KNOWN, running

GENERAL = QueueSettings(name="general", ring_timeout_seconds=30, wrap_up_seconds=5)
ACD = AcdSettings(
    queues=(GENERAL,),
    agents=(AgentSettings(id="agent1", queues=("general",), skills={"lang-de": 3}),),
)
PHONE = AgentPhone("agent1", answer_after_s=3.0)


async def _ringing(e2e: E2E) -> None:
    await e2e.until(lambda: e2e.state("agent1") is AgentState.RESERVED, timeout=15)


async def _ring_over(e2e: E2E) -> str:
    rings = await e2e.until(lambda: [r for r in e2e.sim.rings("agent1") if r.outcome != "ringing"])
    assert len(rings) == 1
    return f"{rings[0].outcome} by {rings[0].hung_up_by}, bridged to {rings[0].bridged_to}"


async def _nobody_blamed(e2e: E2E, call_id: str) -> None:
    await e2e.until(lambda: e2e.state("agent1") is AgentState.READY)
    await e2e.flush()
    kinds = [event.kind for event in await e2e.events(call_id)]
    assert RecordKind.ABANDON in kinds
    assert RecordKind.RING_NO_ANSWER not in kinds
    assert RecordKind.REJECT not in kinds
    assert e2e.reason("agent1") is None


async def test_given_an_agent_phone_ringing_when_the_caller_hangs_up_then_the_ring_stops(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, ACD, [PHONE]) as e2e:
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Press("0"),)))
        await e2e.until(lambda: e2e.sim.rings("agent1"), timeout=15)
        await _ringing(e2e)
        assert e2e.sim.hangup(call.channel)
        # Cancelled by the service's AMI Hangup: not rung out, never answered into nothing.
        assert await _ring_over(e2e) == "cancelled by ami, bridged to None"
        await _nobody_blamed(e2e, call.uniqueid)
        assert not e2e.sim.channels


async def test_given_the_leg_not_yet_created_when_the_caller_hangs_up_then_it_is_hung_up_once_it_is(
    tmp_path: Path,
) -> None:
    # Asterisk's dial thread creates the agent's channel a moment after "Originate
    # successfully queued": a Hangup sent before then finds no channel.
    options = SimOptions(prompt_s=0.05, agi_close_timeout_s=5.0, originate_setup_s=1.0)
    async with running(tmp_path, ACD, [PHONE], sim_options=options) as e2e:
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Press("0"),)))
        await e2e.until(lambda: e2e.sim.rings("agent1"), timeout=15)  # the Originate is in
        assert e2e.sim.hangup(call.channel)
        assert await _ring_over(e2e) == "cancelled by ami, bridged to None"
        await _nobody_blamed(e2e, call.uniqueid)
        assert not e2e.sim.channels
