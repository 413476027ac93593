"""A call that outlives a restart of the service is recorded like any other call.

The service restarts while a caller waits (the dialplan keeps them on hold); the new
process rebuilds the line from the event log and takes the caller over. When an agent
then answers and hangs up, the call's interaction row must be finished exactly as for a
call that never saw a restart (outcome, agent, offered / answered / ended times), and the
agent who took it must be able to write notes and a disposition on it from the desktop.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from acd import AcdSettings, AgentLoggedIn, AgentPaused, AgentSettings, AgentState, QueueSettings
from callcenter.sim import AgentPhone, CallerScript, PbxSimulator, Press, SimOptions
from tests.e2e.harness import (
    E2E,
    KNOWN,
    SECRET,
    e2e_settings,
    free_port,
    seed_customers,
    start_service,
)

ONE_AGENT = AcdSettings(
    queues=(QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=1),),
    agents=(AgentSettings(id="agent1", queues=("general",), skills={"lang-de": 3, "lang-en": 3}),),
)


async def test_given_a_caller_waiting_across_a_restart_when_answered_then_the_row_is_finished_and_the_agent_annotates_it(  # noqa: E501
    tmp_path: Path,
) -> None:
    agi_port = await free_port()
    sim = PbxSimulator(
        agi_port=agi_port, secret=SECRET, options=SimOptions(prompt_s=0.05, agi_close_timeout_s=5)
    )
    await sim.start()
    sim.add_phone(AgentPhone("agent1", answer_after_s=0.2, talk_s=0.3))
    settings = e2e_settings(tmp_path, ONE_AGENT, agi_port, sim.ami_port)
    try:
        first = await start_service(settings)
        await seed_customers(first)
        host = first.backend.center.host
        await host.request(lambda now: AgentLoggedIn(now, "agent1", ready=False))
        await host.request(lambda now: AgentPaused(now, "agent1", "lunch"))
        call = await sim.place_call(CallerScript(KNOWN, steps=(Press("0"),)))
        async with asyncio.timeout(10):
            while not host.acd.waiting_calls("general", host.now()):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        await first.stop()  # the caller stays on hold in the dialplan

        second = await start_service(settings)
        e2e = E2E(sim, second, settings)
        try:
            await e2e.go_ready("agent1")
            await e2e.until(lambda: call.record.bridged_to is not None)
            assert "agent1" in (call.record.bridged_to or "")
            # The agent's phone hangs up after its talk: the call is over for the ACD.
            await e2e.until(lambda: e2e.acd.call_view(call.uniqueid, e2e.now) is None)
            await e2e.flush()

            row = await second.backend.context.interactions.record(call.uniqueid)
            assert row is not None
            assert (row.outcome, row.agent, row.queue, row.customer_name) == (
                "answered",
                "agent1",
                "general",
                "Jonas Richter",
            )
            assert row.queued_at is not None
            assert row.offered_at is not None
            assert row.answered_at is not None
            assert row.ended_at is not None
            assert row.arrived_at <= row.queued_at <= row.offered_at
            assert row.offered_at <= row.answered_at <= row.ended_at
            kinds = [e.kind for e in await e2e.events(call.uniqueid)]
            assert kinds[0] == "enqueue"
            assert kinds[-2:] == ["connect", "complete"]

            await e2e.add_user("agent1", "agent")
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                csrf = await e2e.web_login(http, "agent1")
                patch = {"notes": "asked about the invoice", "disposition": "inquiry"}
                async with http.patch(
                    f"{e2e.web_url}/api/interactions/{call.uniqueid}", json=patch, headers=csrf
                ) as response:
                    assert response.status == 200, await response.text()
                    saved = await response.json()
            assert (saved["notes"], saved["disposition"], saved["outcome"]) == (
                "asked about the invoice",
                "inquiry",
                "answered",
            )
        finally:
            await second.stop()
    finally:
        await sim.close()


async def annotate(e2e: E2E, call_id: str, notes: str) -> int:
    """agent1 writes notes on the call from the desktop; the HTTP status."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        csrf = await e2e.web_login(http, "agent1")
        async with http.patch(
            f"{e2e.web_url}/api/interactions/{call_id}", json={"notes": notes}, headers=csrf
        ) as response:
            return response.status


async def test_given_an_agent_talking_across_a_restart_when_they_hang_up_then_the_row_is_finished_with_their_notes(  # noqa: E501
    tmp_path: Path,
) -> None:
    agi_port = await free_port()
    sim = PbxSimulator(
        agi_port=agi_port, secret=SECRET, options=SimOptions(prompt_s=0.05, agi_close_timeout_s=5)
    )
    await sim.start()
    sim.add_phone(AgentPhone("agent1", answer_after_s=0.2))  # talks until the test hangs up
    settings = e2e_settings(tmp_path, ONE_AGENT, agi_port, sim.ami_port)
    try:
        first = await start_service(settings)
        await seed_customers(first)
        before = E2E(sim, first, settings)
        await before.add_user("agent1", "agent")
        await before.log_in("agent1", ready=True)
        call = await sim.place_call(CallerScript(KNOWN, steps=(Press("0"),)))
        await before.until(lambda: before.state("agent1") is AgentState.ON_CALL)
        await before.flush()
        assert await annotate(before, call.uniqueid, "first draft") == 200
        await first.stop()  # the call goes on in Asterisk

        second = await start_service(settings)
        e2e = E2E(sim, second, settings)
        try:
            assert e2e.state("agent1") is AgentState.ON_CALL
            await e2e.until(lambda: second.telephony.facts.resyncs > 0)
            assert await annotate(e2e, call.uniqueid, "wants a refund") == 200
            agent_leg = next(c for c in sim.channels if c.startswith("PJSIP/agent1-"))
            assert sim.hangup(agent_leg)
            await e2e.until(lambda: e2e.acd.call_view(call.uniqueid, e2e.now) is None)
            await e2e.flush()

            row = await second.backend.context.interactions.record(call.uniqueid)
            assert row is not None
            assert (row.outcome, row.agent, row.notes) == ("answered", "agent1", "wants a refund")
            assert row.answered_at is not None
            assert row.ended_at is not None
            assert row.answered_at <= row.ended_at
        finally:
            await second.stop()
    finally:
        await sim.close()
