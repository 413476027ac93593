"""A supervisor joins a live call from the web API, end to end, onto their own phone."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from acd import AcdSettings, AgentSettings, AgentState, QueueSettings
from callcenter.sim import AgentPhone, CallerScript, Press
from callcenter.sim.originate import AgentLeg
from tests.e2e.harness import E2E, KNOWN, running

SUPERVISOR_PHONE = "supervisor9001"
"""The harness configures supervisor `sup1` on PJSIP/supervisor9001."""


def spy_leg(e2e: E2E) -> AgentLeg | None:
    """The simulator's channel on the supervisor's phone, once it has answered."""
    legs = [leg for leg in e2e.sim.pbx.legs.values() if leg.phone.endpoint == SUPERVISOR_PHONE]
    return next((leg for leg in legs if leg.spying is not None), None)


async def test_given_a_connected_call_when_a_supervisor_barges_then_their_phone_joins_it(
    tmp_path: Path,
) -> None:
    acd = AcdSettings(
        queues=(QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=1),),
        agents=(AgentSettings(id="agent1", queues=("general",), skills={"lang-de": 3}),),
    )
    phones = [
        AgentPhone("agent1", answer_after_s=0.2),
        AgentPhone(SUPERVISOR_PHONE, answer_after_s=0.2),
    ]
    async with (
        running(tmp_path, acd, phones) as e2e,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        await e2e.add_user("sup1", "supervisor")
        csrf = await e2e.web_login(http, "sup1")
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Press("0"),)))
        await e2e.until(lambda: e2e.state("agent1") is AgentState.ON_CALL)
        url = f"{e2e.web_url}/api/calls/{call.uniqueid}/spy"
        response = await http.post(url, json={"mode": "barge"}, headers=csrf)
        assert response.status == 200
        assert await response.json() == {"status": "ringing", "endpoint": "PJSIP/supervisor9001"}
        leg = await e2e.until(lambda: spy_leg(e2e))
        request = leg.request
        assert (request.dial, request.application, request.data) == (
            "PJSIP/supervisor9001",
            "ChanSpy",
            "PJSIP/agent1,qBE",
        )
        assert leg.spying is not None
        assert leg.spying.name.startswith("PJSIP/agent1-")
        # The call itself goes on untouched; when it ends, the supervisor leaves with it (E).
        assert e2e.state("agent1") is AgentState.ON_CALL
        assert e2e.sim.hangup(call.channel)
        record = await call.done
        assert record.bridged_to is not None
        assert "agent1" in record.bridged_to
        await e2e.until(lambda: not e2e.sim.channels)
        await e2e.until(lambda: e2e.state("agent1") in (AgentState.WRAP_UP, AgentState.READY))
