"""Voicemail as work, end to end on the simulator: a caller who waited too long leaves a
message; it is routed to a skilled agent's desktop, who accepts it, plays it in the inbox,
calls the customer back (agent-first: the agent's phone, then the customer's) and closes it.
"""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path
from typing import Any

import aiohttp

from acd import AcdSettings, AgentSettings, AgentState, CallKind, CallState, QueueSettings
from callcenter.db import Callback
from callcenter.sim import AgentPhone, Callee, CallerScript, Press
from tests.e2e.harness import E2E, KNOWN, running

SKILLS = {"lang-de": 3, "lang-en": 3}


async def _api(
    e2e: E2E, http: aiohttp.ClientSession, method: str, path: str, csrf: dict[str, str], **kw: Any
) -> Any:
    async with http.request(method, f"{e2e.web_url}{path}", headers=csrf, **kw) as response:
        assert response.status < 300, await response.text()
        return await response.json() if response.status != 204 else None


async def _callback_done(e2e: E2E, request: int) -> Callback:
    repo = e2e.service.backend.context.callbacks
    async with asyncio.timeout(15):
        while True:
            found = await repo.get(request)
            if found is not None and found.attempts >= 1:
                return found
            await asyncio.sleep(0.05)


async def test_given_a_message_left_then_routed_to_an_agent_played_called_back_and_closed(
    tmp_path: Path,
) -> None:
    (tmp_path / "voicemail").mkdir()  # the spool the deployment makes (e2e_settings)
    general = QueueSettings(
        name="general",
        max_wait_seconds=1,
        overflow="voicemail",
        wrap_up_seconds=0.3,
        ring_timeout_seconds=10,
    )
    acd = AcdSettings(
        queues=(general,),
        agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
    )
    phone = AgentPhone("agent1", answer_after_s=0.2)
    async with running(tmp_path, acd, [phone], ready=()) as e2e:
        e2e.sim.add_callee(Callee(KNOWN, answer_after_s=0.2, talk_s=0.5))
        await e2e.add_user("agent1", "agent")
        await e2e.log_in("agent1")  # staffed, not ready: the wait runs out
        steps = (Press("0"), Press("#", after_s=1.0))
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=steps))
        record = await call.done
        assert record.prompts[-1] == "vm-msgsaved"
        entry = f"vm-{call.uniqueid}"

        # Routed: the message waits in line as work, and is offered to the agent who is free.
        waiting = await e2e.until(lambda: e2e.acd.call_view(entry, e2e.now))
        assert (waiting.kind, waiting.queue) == (CallKind.VOICEMAIL, "general")
        await e2e.go_ready("agent1")
        offered = await e2e.until(
            lambda: (v := e2e.acd.call_view(entry, e2e.now)) and v.state is CallState.OFFERED
        )
        assert offered
        assert e2e.state("agent1") is AgentState.RESERVED
        assert e2e.sim.dialled == []  # nothing rang: the offer is on the desktop

        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            csrf = await e2e.web_login(http, "agent1")
            accepted = await _api(e2e, http, "POST", f"/api/voicemail-work/{entry}/accept", csrf)
            assert (accepted["status"], accepted["agent"]) == ("in_progress", "agent1")
            assert accepted["caller_number"] == KNOWN
            assert accepted["customer_name"] == "Jonas Richter"
            await e2e.until(lambda: e2e.state("agent1") is AgentState.ON_CALL)

            # Played: the inbox lists it and serves the file Asterisk wrote.
            [listed] = await _api(e2e, http, "GET", "/api/voicemails", csrf)
            assert listed["id"] == accepted["id"]
            async with http.get(f"{e2e.web_url}{listed['audio']}") as response:
                assert response.status == 200
                sound = await response.read()
            written = tmp_path / "voicemail" / f"general-{call.uniqueid}.wav"
            assert sound == written.read_bytes()
            with wave.open(str(written)) as message:
                assert message.getnframes() / message.getframerate() == listed["seconds"]

            # Called back, then closed: the agent is free again, and the callback rings
            # the agent's phone first, then the customer.
            after = await _api(e2e, http, "POST", f"/api/voicemails/{listed['id']}/callback", csrf)
            closed = await _api(
                e2e,
                http,
                "POST",
                f"/api/voicemails/{listed['id']}/close",
                csrf,
                json={"disposition": "callback-promised", "note": "card blocked, called back"},
            )
            assert closed["status"] == "closed"
            assert e2e.acd.call_view(entry, e2e.now) is None

        done = await _callback_done(e2e, after["callback_id"])
        assert [(a.agent, a.result) for a in done.history] == [("agent1", "reached")]
        assert e2e.sim.dialled == [KNOWN]
        await e2e.flush()
        kinds = [(e.kind, e.agent) for e in await e2e.events(entry)]
        assert ("enqueue", None) in kinds
        assert ("connect", "agent1") in kinds
        assert ("complete", "agent1") in kinds
