"""One call per path, end to end: the simulator's caller and phones, the real service."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from acd import AcdSettings, AgentSettings, AgentState, QueueSettings
from callcenter.sim import AgentPhone, CallerScript, Press
from tests.e2e.harness import KNOWN, running

GENERAL = QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=2)
SKILLS = {"lang-de": 3, "lang-en": 3}


async def test_given_a_known_caller_when_an_agent_answers_then_the_pop_shows_them_first(
    tmp_path: Path,
) -> None:
    acd = AcdSettings(
        queues=(GENERAL,),
        agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
    )
    phone = AgentPhone("agent1", answer_after_s=0.5, talk_s=0.5)
    async with (
        running(tmp_path, acd, [phone]) as e2e,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        await e2e.add_user("agent1", "agent")
        login = {"username": "agent1", "password": "agent1-pass"}
        assert (await http.post(f"{e2e.web_url}/api/login", json=login)).status == 200
        ws = await http.ws_connect(f"{e2e.web_url}/ws/agent")
        assert json.loads((await ws.receive()).data)["type"] == "snapshot"
        # "0" at the menu: the operator queue; then a key to skip the survey's intro and 5-4-5.
        script = CallerScript(KNOWN, steps=(Press("0"),), survey_answers=("5", "5", "4", "5"))
        call = await e2e.sim.place_call(script)
        while (message := json.loads((await ws.receive(timeout=15)).data))["type"] != "offer":
            pass
        assert message["pop"]["customer"]["name"] == "Jonas Richter"
        assert message["pop"]["ivr_answers"]["reason"] == "operator"
        record = await call.done
        assert record.bridged_to is not None
        assert "agent1" in record.bridged_to
        await e2e.until(lambda: e2e.state("agent1") in (AgentState.WRAP_UP, AgentState.READY))
        await e2e.flush()
        interaction = await e2e.service.backend.context.interactions.record(call.uniqueid)
        assert interaction is not None
        assert (interaction.outcome, interaction.agent, interaction.customer_name) == (
            "answered",
            "agent1",
            "Jonas Richter",
        )
        # Rated after the agent hung up: the Bridge F option sent the caller to the survey.
        assert interaction.survey_scores == {"satisfaction": 5, "resolved": 4, "recommend": 5}
