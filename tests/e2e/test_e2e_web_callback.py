"""The web channel end to end: a "call me back" form becomes a callback an agent is offered
and the trunk dials; abuse of the public endpoint is refused; a callback for a later window
waits for it (the service's schedule task puts it in line at its time).

The simulator plays Asterisk and the customer's phone; the service runs whole. The form is
sent as the /callme page sends it (GET the form token, POST the JSON), with the form's
minimum fill time lowered to one second so the test waits little.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from acd import AcdSettings, AgentSettings, QueueSettings
from callcenter.app.settings import PublicCallbackSettings, Settings
from callcenter.sim import AgentPhone, Callee, PbxSimulator, SimOptions
from tests.e2e.harness import E2E, SECRET, e2e_settings, free_port, start_service
from tests.e2e.test_e2e_callbacks import stored_attempts

ACD = AcdSettings(
    queues=(QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=0.3),),
    agents=(AgentSettings(id="agent1", queues=("general",)),),
)
CUSTOMER = "+49305559999"
TYPED = "030 555 9999"
"""The customer's number as typed into the form (read in the center's region, DE)."""


def with_public_form(settings: Settings) -> Settings:
    public = PublicCallbackSettings(min_fill_s=1.0)
    return settings.model_copy(
        update={"web": settings.web.model_copy(update={"public_callback": public})}
    )


async def form_token(http: aiohttp.ClientSession, base: str) -> str:
    async with http.get(f"{base}/api/public/callback/form") as response:
        assert response.status == 200, await response.text()
        token: str = (await response.json())["token"]
        return token


async def post_form(http: aiohttp.ClientSession, base: str, fields: dict[str, Any]) -> Any:
    async with http.post(f"{base}/api/public/callback", json=fields) as response:
        return response.status, await response.json()


async def test_given_a_web_request_then_an_agent_is_offered_the_callback_and_the_trunk_dials(
    tmp_path: Path,
) -> None:
    agi_port = await free_port()
    sim = PbxSimulator(agi_port=agi_port, secret=SECRET, options=SimOptions(prompt_s=0.05))
    await sim.start()
    sim.add_phone(AgentPhone("agent1", answer_after_s=0.2))
    sim.add_callee(Callee(CUSTOMER, answer_after_s=0.2, talk_s=0.3))
    settings = with_public_form(
        e2e_settings(tmp_path, ACD, agi_port, sim.ami_port, telephony={"callback_retry_s": 0.5})
    )
    try:
        service = await start_service(settings)
        e2e = E2E(sim, service, settings)
        try:
            await e2e.log_in("agent1", ready=True)
            base = e2e.web_url
            fields = {"number": TYPED, "name": "Erika Muster", "topic": "general"}
            async with aiohttp.ClientSession() as http:
                # A script posting the form the moment it has it: refused, nothing stored.
                too_fast = await post_form(
                    http, base, {**fields, "token": await form_token(http, base)}
                )
                token = await form_token(http, base)
                await asyncio.sleep(1.1)  # a person filling the form in
                # A robot filling the field people do not see: refused, nothing stored.
                robot = await post_form(
                    http, base, {**fields, "token": token, "website": "http://x.example"}
                )
                status, answer = await post_form(http, base, {**fields, "token": token})

            assert (too_fast[0], too_fast[1]["error"]["code"]) == (429, "too_fast")
            assert (robot[0], robot[1]["error"]["code"]) == (422, "refused")
            assert status == 201, answer
            assert answer["status"] == "queued"
            assert answer["message"].startswith("Thank you. We will call you back ")
            # The agent was offered the callback, answered, and the trunk dialled the customer.
            done = await stored_attempts(e2e, answer["id"], 1)
            assert (str(done.status), done.number) == ("done", CUSTOMER)
            assert [(a.agent, a.result) for a in done.history] == [("agent1", "reached")]
            assert sim.dialled == [CUSTOMER]
            await e2e.flush()
            kinds = [(ev.kind, ev.agent) for ev in await e2e.events(f"cb-{answer['id']}")]
            assert ("offer", "agent1") in kinds
            repo = service.backend.context.callbacks
            assert [c.id for c in await repo.list()] == [answer["id"]]
        finally:
            await service.stop()
    finally:
        await sim.close()


async def test_given_a_window_later_then_the_callback_waits_for_it_and_is_dialled_then(
    tmp_path: Path,
) -> None:
    agi_port = await free_port()
    sim = PbxSimulator(agi_port=agi_port, secret=SECRET, options=SimOptions(prompt_s=0.05))
    await sim.start()
    sim.add_phone(AgentPhone("agent1", answer_after_s=0.2))
    sim.add_callee(Callee(CUSTOMER, answer_after_s=0.2, talk_s=0.3))
    telephony = {"callback_retry_s": 0.5, "callback_schedule_s": 0.2}
    settings = with_public_form(
        e2e_settings(tmp_path, ACD, agi_port, sim.ami_port, telephony=telephony)
    )
    try:
        service = await start_service(settings)
        e2e = E2E(sim, service, settings)
        try:
            await e2e.log_in("agent1", ready=True)
            base = e2e.web_url
            async with aiohttp.ClientSession() as http:
                token = await form_token(http, base)
                await asyncio.sleep(1.1)  # a person filling the form in
                start = datetime.now(UTC) + timedelta(seconds=3)
                fields = {
                    "number": TYPED,
                    "name": "Erika Muster",
                    "topic": "general",
                    "when": "window",
                    "window_start": start.isoformat(),
                    "window_end": (start + timedelta(hours=1)).isoformat(),
                    "token": token,
                }
                status, answer = await post_form(http, base, fields)

            assert status == 201, answer
            assert answer["status"] == "scheduled"
            assert datetime.fromisoformat(answer["expected_at"]) == start
            # Not in line before its time: nobody is offered it, nothing is dialled.
            call_id = f"cb-{answer['id']}"
            assert e2e.acd.call_view(call_id, e2e.now) is None
            assert sim.dialled == []
            # At its time the schedule puts it in line; the agent is offered it, the trunk dials.
            done = await stored_attempts(e2e, answer["id"], 1)
            assert (str(done.status), done.number) == ("done", CUSTOMER)
            assert sim.dialled == [CUSTOMER]
            [attempt] = done.history
            assert attempt.at >= start
        finally:
            await service.stop()
    finally:
        await sim.close()
