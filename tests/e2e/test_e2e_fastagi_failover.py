"""FastAGI fail-over (issue 18): a queued caller whose backend went away is held in their
place by the next backend that takes the call, not run through the IVR and queued again.

The simulator plays the product's dialplan ([fastagi], config/asterisk/extensions.conf) on
the one FastAGI address it knows; the two-node case runs on the real Asterisk
(tests/real_asterisk/test_real_fastagi_failover.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from structlog.testing import capture_logs

from acd import AcdSettings, AgentLoggedIn, AgentReady, AgentSettings, QueueSettings
from callcenter.sim import AgentPhone, CallerScript, Press
from tests.e2e.harness import KNOWN, replaceable, start_service

SKILLS = {"lang-de": 3, "lang-en": 3}
ONE_AGENT = AcdSettings(
    queues=(QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=1),),
    agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
)


async def test_given_a_queued_caller_when_the_backend_goes_away_then_the_next_holds_them_in_place(
    tmp_path: Path,
) -> None:
    async with replaceable(
        tmp_path, ONE_AGENT, [AgentPhone("agent1", answer_after_s=0.2, talk_s=0.3)]
    ) as (sim, settings, first):
        host = first.backend.center.host
        await host.request(lambda now: AgentLoggedIn(now, "agent1", ready=False))
        caller = await sim.place_call(CallerScript(KNOWN, steps=(Press("0"),)))
        async with asyncio.timeout(10):
            while not host.acd.waiting_calls("general", host.now()):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        await first.stop()  # its FastAGI sessions close: the dialplan looks for a node
        await asyncio.sleep(0.5)  # none answers for a while: the caller hears music
        with capture_logs() as logs:
            second = await start_service(settings)
            try:
                host = second.backend.center.host
                async with asyncio.timeout(10):  # the dialplan's next round reaches it
                    while not any(e["event"] == "pbx.call_rejoined" for e in logs):  # noqa: ASYNC110
                        await asyncio.sleep(0.02)
                [view] = host.acd.waiting_calls("general", host.now())
                assert (view.call_id, view.position) == (caller.uniqueid, 1)
                await host.request(lambda now: AgentReady(now, "agent1"))
                record = caller.record
                async with asyncio.timeout(10):  # bridged by the new process
                    while record.bridged_to is None:  # noqa: ASYNC110 - polling the sim
                        await asyncio.sleep(0.02)
                await second.writer.flush(timeout=5)
                events = await second.backend.context.events.read()
            finally:
                await second.stop()
    assert record.bridged_to is not None
    assert not record.abandoned
    # Both backends held the caller; the IVR ran once, the call was queued once.
    assert record.scripts.count("ivr") >= 2
    assert record.prompts.count(record.prompts[0]) == 1
    kinds = [e.kind for e in events if e.call_id == caller.uniqueid]
    assert kinds.count("enqueue") == 1, kinds
    assert "abandon" not in kinds


async def test_given_a_caller_in_the_ivr_when_the_backend_goes_away_then_the_next_starts_the_flow(
    tmp_path: Path,
) -> None:
    async with replaceable(
        tmp_path, ONE_AGENT, [AgentPhone("agent1", answer_after_s=0.2, talk_s=0.3)]
    ) as (sim, settings, first):
        await first.backend.center.host.request(lambda now: AgentLoggedIn(now, "agent1"))
        # The caller says nothing at the menu (after its time-outs, the operator takes the
        # call: main_hotline's fallback): the backend goes away while they think.
        caller = await sim.place_call(CallerScript(KNOWN))
        async with asyncio.timeout(10):
            while not caller.record.prompts:  # noqa: ASYNC110 - polling the sim
                await asyncio.sleep(0.02)
        await asyncio.sleep(1)
        heard_first = list(caller.record.prompts)
        assert not first.backend.center.host.acd.waiting_calls("general", 0.0), "queued"
        await first.stop()
        await asyncio.sleep(0.5)
        second = await start_service(settings)
        try:
            host = second.backend.center.host
            await host.request(lambda now: AgentReady(now, "agent1"))
            async with asyncio.timeout(40):  # the flow again, then the queue and the agent
                while caller.record.bridged_to is None:  # noqa: ASYNC110 - polling the sim
                    await asyncio.sleep(0.02)
            await second.writer.flush(timeout=5)
            events = await second.backend.context.events.read()
        finally:
            await second.stop()
    record = caller.record
    assert not record.abandoned
    assert record.scripts.count("ivr") == 2
    # The greeting again, from the second backend: the flow started over there.
    assert record.prompts.count(heard_first[0]) == 2
    kinds = [e.kind for e in events if e.call_id == caller.uniqueid]
    assert kinds.count("enqueue") == 1, kinds
