"""FastAGI cannot be starved, nor fed phantom calls (issue 14, item 4), end to end.

The whole service against the simulator. 1,000 connections to the FastAGI port that send
nothing, from the simulated Asterisk's own address, while a caller dials in: the call is
answered, and the attack holds no call slot (the numbers are printed: slots held, silent
connections waiting, time to an answer with and without the attack). A queued caller whose
FastAGI connection closes without a hang-up while Asterisk has no channel for them (a
phantom: `PbxSimulator.vanish`) is ended as an abandon with the reason on its record and
offered to nobody, and a ringing agent is released unblamed; one whose connection breaks
while the channel lives on (`PbxSimulator.cut_agi`: the dialplan's fail-over opens FastAGI
again) keeps its place and is answered.
"""

from __future__ import annotations

import asyncio
import resource
import time
from pathlib import Path

from structlog.testing import capture_logs

from acd import AcdSettings, AgentSettings, AgentState, QueueSettings, RecordKind
from callcenter.pbx.lost_sessions import ENDED_BY
from callcenter.sim import AgentPhone, CallerScript, Press
from tests.e2e.harness import E2E, KNOWN, STANDARD, running

GENERAL = QueueSettings(name="general", ring_timeout_seconds=30, wrap_up_seconds=1)
ACD = AcdSettings(
    queues=(GENERAL,),
    agents=(AgentSettings(id="agent1", queues=("general",), skills={"lang-de": 3}),),
)
ATTACKERS = 1_000


def waiting(e2e: E2E) -> list[str]:
    return [view.call_id for view in e2e.acd.waiting_calls("general", e2e.now)]


async def answered_in(e2e: E2E, number: str) -> float:
    """Seconds from dialling in to agent1 talking (through IVR, queue, offer, answer)."""
    started = time.monotonic()
    call = await e2e.sim.place_call(CallerScript(number, steps=(Press("0"),), talk_s=0.2))
    await e2e.until(lambda: e2e.state("agent1") is AgentState.ON_CALL, timeout=30)
    seconds = time.monotonic() - started
    record = await call.done
    assert record.bridged_to is not None
    assert "agent1" in record.bridged_to
    await e2e.until(lambda: e2e.state("agent1") is AgentState.READY, timeout=10)
    return seconds


def enough_files(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


async def test_given_1000_silent_connections_when_a_caller_dials_in_then_answered_and_no_slot_held(
    tmp_path: Path,
) -> None:
    enough_files(4 * ATTACKERS)
    phone = AgentPhone("agent1", answer_after_s=0.2)
    async with running(tmp_path, ACD, [phone]) as e2e:
        agi, fastagi = e2e.service.agi, e2e.settings.fastagi
        baseline = await answered_in(e2e, STANDARD[0])
        peak = {"calls": 0, "waiting": 0}

        async def sample() -> None:
            while True:
                peak["calls"] = max(peak["calls"], agi.active_sessions)
                peak["waiting"] = max(peak["waiting"], agi.waiting_connections)
                await asyncio.sleep(0.005)

        sampler = asyncio.create_task(sample())
        connects = [asyncio.open_connection("127.0.0.1", fastagi.port) for _ in range(ATTACKERS)]
        attack = asyncio.ensure_future(asyncio.gather(*connects, return_exceptions=True))
        await asyncio.sleep(0.05)  # the flood is under way: the caller dials in meanwhile
        opened: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        try:
            during = await answered_in(e2e, KNOWN)
            opened = [c for c in await attack if isinstance(c, tuple)]
            await e2e.until(
                lambda: agi.counters.refused["silent"] >= ATTACKERS - fastagi.max_silent
            )
        finally:
            sampler.cancel()
            for _, writer in opened:
                writer.close()
        refused = dict(agi.counters.refused)
        held = peak["calls"] - 1  # the caller's own IVR session is the one call
        print(  # the numbers the issue asks for (run with -s to see them)
            f"\nFastAGI starvation: {len(opened)} silent connections; call slots they held at "
            f"peak: {held} of {fastagi.max_sessions}; connections waiting for an environment "
            f"at peak: {peak['waiting']} (max_silent {fastagi.max_silent}); closed to make "
            f"room: {refused.get('silent', 0)}; a normal call answered in {during:.2f} s "
            f"during the attack ({baseline:.2f} s without)"
        )
        assert len(opened) == ATTACKERS
        assert held == 0
        assert peak["waiting"] <= fastagi.max_silent


async def test_given_a_queued_phantom_call_when_its_session_closes_then_abandoned_offered_to_none(
    tmp_path: Path,
) -> None:
    phone = AgentPhone("agent1", answer_after_s=0.2)
    async with running(tmp_path, ACD, [phone], ready=()) as e2e:
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Press("0"),)))
        await e2e.until(lambda: waiting(e2e) == [call.uniqueid], timeout=15)
        with capture_logs() as logs:
            assert e2e.sim.vanish(call.channel)  # no Hangup event, no HANGUP line
            await e2e.until(lambda: waiting(e2e) == [])
        await e2e.log_in("agent1", ready=True)
        await e2e.service.backend.center.host.drain()
        assert e2e.state("agent1") is AgentState.READY
        assert e2e.sim.rings("agent1") == []
        await e2e.flush()
        kinds = [event.kind for event in await e2e.events(call.uniqueid)]
        assert kinds == [RecordKind.ENQUEUE, RecordKind.ABANDON]
        record = await e2e.service.backend.context.interactions.record(call.uniqueid)
        assert record is not None
        assert record.outcome == "abandoned"
        assert "without a hang-up" in record.ivr_data[ENDED_BY]
        [gone] = [e for e in logs if e["event"] == "pbx.caller_gone"]
        assert gone["call_id"] == call.uniqueid
        assert "Asterisk has no channel" in gone["reason"]


async def test_given_a_phantom_call_ringing_an_agent_when_its_session_closes_then_agent_unblamed(
    tmp_path: Path,
) -> None:
    phone = AgentPhone("agent1", answer_after_s=20.0)  # rings well past the check
    async with running(tmp_path, ACD, [phone]) as e2e:
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Press("0"),)))
        await e2e.until(lambda: e2e.state("agent1") is AgentState.RESERVED, timeout=15)
        assert e2e.sim.vanish(call.channel)
        await e2e.until(lambda: e2e.state("agent1") is AgentState.READY)
        await e2e.flush()
        kinds = [event.kind for event in await e2e.events(call.uniqueid)]
        assert RecordKind.ABANDON in kinds
        assert RecordKind.RING_NO_ANSWER not in kinds
        assert e2e.reason("agent1") is None  # not paused
        await e2e.until(lambda: [r for r in e2e.sim.rings("agent1") if r.outcome != "ringing"])


async def test_given_a_caller_whose_session_breaks_but_channel_lives_then_kept_and_answered(
    tmp_path: Path,
) -> None:
    phone = AgentPhone("agent1", answer_after_s=0.2)
    async with running(tmp_path, ACD, [phone], ready=()) as e2e:
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Press("0"),), talk_s=0.2))
        await e2e.until(lambda: waiting(e2e) == [call.uniqueid], timeout=15)
        with capture_logs() as logs:
            assert e2e.sim.cut_agi(call.channel)  # the dialplan's fail-over: FastAGI again
            # Asked of Asterisk (still there), or already back on a new session.
            kept = {"pbx.caller_still_waiting", "pbx.call_rejoined"}
            await e2e.until(lambda: any(e["event"] in kept for e in logs))
        assert waiting(e2e) == [call.uniqueid]
        await e2e.log_in("agent1", ready=True)
        record = await call.done
        assert record.bridged_to is not None
        assert "agent1" in record.bridged_to
        await e2e.until(lambda: e2e.state("agent1") is AgentState.READY)
        await e2e.flush()
        kinds = [event.kind for event in await e2e.events(call.uniqueid)]
        assert RecordKind.CONNECT in kinds
        assert RecordKind.ABANDON not in kinds
