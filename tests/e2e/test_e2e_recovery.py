"""Recovery: the AMI link drops, the service restarts, the database goes away for a while."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from acd import (
    AcdSettings,
    AgentLoggedIn,
    AgentPaused,
    AgentReady,
    AgentSettings,
    AgentState,
    QueueSettings,
)
from callcenter.sim import AgentPhone, CallerScript, Press
from tests.e2e.harness import (
    KNOWN,
    STANDARD,
    replaceable,
    running,
    start_service,
)

SKILLS = {"lang-de": 3, "lang-en": 3}
ONE_AGENT = AcdSettings(
    queues=(QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=1),),
    agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
)
TO_OPERATOR = (Press("0"),)


def waiting(e2e_acd: object, now: float) -> list[str]:
    return [v.call_id for v in e2e_acd.waiting_calls("general", now)]  # type: ignore[attr-defined]


async def test_given_calls_when_the_ami_link_drops_then_the_resync_leaves_nothing_stuck(
    tmp_path: Path,
) -> None:
    phone = AgentPhone("agent1", answer_after_s=0.2)  # talks until the test hangs it up
    async with running(tmp_path, ONE_AGENT, [phone]) as e2e:
        talking = await e2e.sim.place_call(CallerScript(KNOWN, steps=TO_OPERATOR))
        await e2e.until(lambda: e2e.state("agent1") is AgentState.ON_CALL)
        queued = await e2e.sim.place_call(CallerScript(STANDARD[0], steps=TO_OPERATOR))
        await e2e.until(lambda: waiting(e2e.acd, e2e.now) == [queued.uniqueid])
        facts = e2e.service.telephony.facts
        resyncs = facts.resyncs

        e2e.sim.refuse_ami(1.0)
        assert await e2e.sim.drop_ami() == 1
        # While nobody listens: the waiting caller gives up, the agent hangs up.
        assert e2e.sim.hangup(queued.channel)
        agent_leg = next(c for c in e2e.sim.channels if c.startswith("PJSIP/agent1-"))
        assert e2e.sim.hangup(agent_leg)

        await e2e.until(lambda: facts.resyncs > resyncs, timeout=10)
        await e2e.until(lambda: e2e.state("agent1") in (AgentState.WRAP_UP, AgentState.READY))
        stats = e2e.acd.queue_stats("general", e2e.now)
        gave_up = stats.abandoned + stats.short_abandoned  # under 5 s it is a short abandon
        assert (stats.answered, gave_up, stats.calls_waiting) == (1, 1, 0)
        assert e2e.acd.call_view(talking.uniqueid, e2e.now) is None  # ended, not stuck
        # The link works again: a new call is answered.
        await e2e.until(lambda: e2e.state("agent1") is AgentState.READY, timeout=5)
        after = await e2e.sim.place_call(CallerScript(KNOWN, steps=TO_OPERATOR, talk_s=0.2))
        record = await asyncio.wait_for(after.done, 15)
        assert record.bridged_to is not None


async def test_given_calls_waiting_when_the_service_restarts_then_they_keep_place_and_wait(
    tmp_path: Path,
) -> None:
    async with replaceable(
        tmp_path, ONE_AGENT, [AgentPhone("agent1", answer_after_s=0.2, talk_s=0.3)]
    ) as (sim, settings, first):
        host = first.backend.center.host
        await host.request(lambda now: AgentLoggedIn(now, "agent1", ready=False))
        await host.request(lambda now: AgentPaused(now, "agent1", "lunch"))
        early = await sim.place_call(CallerScript(KNOWN, steps=TO_OPERATOR))
        late = await sim.place_call(CallerScript(STANDARD[1], steps=TO_OPERATOR))
        async with asyncio.timeout(10):
            while len(waiting(host.acd, host.now())) < 2:  # noqa: ASYNC110 - polling the ACD
                await asyncio.sleep(0.02)
        waited_before = host.acd.call_view(early.uniqueid, host.now()).waited
        await first.stop()  # the callers stay on hold in the dialplan

        await asyncio.sleep(0.5)
        second = await start_service(settings)
        try:
            host = second.backend.center.host
            now = host.now()
            assert waiting(host.acd, now) == [early.uniqueid, late.uniqueid]
            assert host.acd.call_view(early.uniqueid, now).waited > waited_before + 0.4
            agent = host.acd.agent_view("agent1", now)
            assert (agent.state, agent.reason) == (AgentState.NOT_READY, "lunch")
            await host.request(lambda now: AgentReady(now, "agent1"))
            async with asyncio.timeout(10):  # bridged by the new process
                while early.record.bridged_to is None:  # noqa: ASYNC110 - polling the sim
                    await asyncio.sleep(0.02)
            assert host.acd.call_view(late.uniqueid, host.now()) is not None
        finally:
            await second.stop()


async def test_given_the_database_locked_for_a_while_then_calls_flow_and_writes_catch_up(
    tmp_path: Path,
) -> None:
    phone = AgentPhone("agent1", answer_after_s=0.2, talk_s=0.2)
    async with running(tmp_path, ONE_AGENT, [phone]) as e2e:
        lock = sqlite3.connect(tmp_path / "e2e.db", timeout=0)
        lock.execute("BEGIN EXCLUSIVE")  # no other connection can write now
        try:
            call = await e2e.sim.place_call(CallerScript(KNOWN, steps=TO_OPERATOR))
            # The call goes through regardless: identified, queued, offered, bridged.
            await e2e.until(lambda: call.record.bridged_to is not None, timeout=10)
            await e2e.until(lambda: e2e.state("agent1") is AgentState.READY)
            assert e2e.service.writer.pending > 0  # its records wait for the database
            await asyncio.sleep(5.5)  # past SQLite's busy timeout: the writer retries
        finally:
            lock.rollback()
            lock.close()
        await e2e.flush()
        interaction = await e2e.service.backend.context.interactions.record(call.uniqueid)
        assert interaction is not None
        assert interaction.outcome == "answered"
        kinds = [e.kind for e in await e2e.service.backend.context.events.read()]
        assert kinds.count("connect") == 1
        assert kinds.count("complete") == 1
        assert e2e.acd.call_view(call.uniqueid, e2e.now) is None


@pytest.mark.parametrize("talked", [False, True], ids=["still-ringing", "talked-meanwhile"])
async def test_given_an_offer_out_when_the_service_is_replaced_then_no_second_agent_is_rung(
    tmp_path: Path, talked: bool
) -> None:
    """Asterisk keeps an Originate ringing whatever became of the process that sent it:
    the next process (a restart, a cluster's new leader) follows that ring instead of
    offering the call to a second agent, whose phone would bridge the same caller; and a
    call answered and over while no process watched (the caller is in the survey) is
    taken as answered, not offered again."""
    two = AcdSettings(
        queues=(QueueSettings(name="general", ring_timeout_seconds=10, wrap_up_seconds=1),),
        agents=tuple(
            AgentSettings(id=a, queues=("general",), skills=SKILLS) for a in ("agent1", "agent2")
        ),
    )
    phones = [
        AgentPhone("agent1", answer_after_s=0.2 if talked else 2.5, talk_s=0.3),
        AgentPhone("agent2", answer_after_s=0.2, talk_s=0.3),
    ]
    async with replaceable(tmp_path, two, phones) as (sim, settings, first):
        host = first.backend.center.host
        await host.request(lambda now: AgentLoggedIn(now, "agent1", ready=True))
        await host.request(lambda now: AgentLoggedIn(now, "agent2", ready=False))
        survey = ("5", "5", "4", "5")
        call = await sim.place_call(CallerScript(KNOWN, steps=TO_OPERATOR, survey_answers=survey))
        async with asyncio.timeout(10):
            while not sim.rings("agent1"):  # noqa: ASYNC110 - polling the sim
                await asyncio.sleep(0.02)
        await first.stop()  # agent1's phone goes on ringing
        if talked:
            async with asyncio.timeout(10):  # answered, talked, hung up: the caller is surveyed
                while "survey" not in call.record.scripts:  # noqa: ASYNC110 - polling the sim
                    await asyncio.sleep(0.02)

        second = await start_service(settings)
        try:
            host = second.backend.center.host
            await host.request(lambda now: AgentReady(now, "agent2"))  # free, and idle longer
            record = await asyncio.wait_for(call.done, 30)
            assert record.bridged_to is not None
            assert "agent1" in record.bridged_to
            assert sim.rings("agent2") == []  # nobody else was rung for this caller
        finally:
            await second.stop()
