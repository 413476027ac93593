"""One call per path on a real Asterisk 22: SIPp callers and phones, the real service."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from acd import AcdSettings, AgentSettings, AgentState, QueueSettings
from tests.e2e.harness import KNOWN
from tests.real_asterisk.harness import center
from tests.real_asterisk.sipp import Answer, Press, Wait

GENERAL = QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=1)
SKILLS = {"lang-de": 3, "lang-en": 3}


def one_agent() -> AcdSettings:
    return AcdSettings(
        queues=(GENERAL,),
        agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
    )


async def test_given_a_known_caller_when_the_agent_answers_then_the_pop_rings_with_the_phone(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    async with (
        center(tmp_path, one_agent(), sounds=sounds, phones={"agent1": Answer(1.0, 2.0)}) as pbx,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        await pbx.add_user("agent1", "agent")
        await pbx.web_login(http, "agent1")
        ws = await http.ws_connect(f"{pbx.web_url}/ws/agent")
        assert json.loads((await ws.receive()).data)["type"] == "snapshot"
        # "0" at the menu (the operator queue), then a 5 every second: ignored on hold and
        # while talking, they rate the call once the agent has hung up (the survey).
        steps = [Wait(1), Press("0"), *[s for _ in range(25) for s in (Wait(1), Press("5"))]]
        caller = await pbx.call(KNOWN, steps)
        while (message := json.loads((await ws.receive(timeout=30)).data))["type"] != "offer":
            pass
        assert message["pop"]["customer"]["name"] == "Jonas Richter"
        phone = pbx.phones["agent1"]
        await phone.wait_for("answer")
        await phone.wait_for("hangup")
        await pbx.until(lambda: pbx.state("agent1") in (AgentState.WRAP_UP, AgentState.READY))
        assert await caller.finished(60) == 0
        assert caller.did("remote_bye"), "Asterisk, not the caller, ends the call after the survey"
        row = await pbx.interaction(message["call_id"])
        assert (row.outcome, row.agent, row.customer_name) == (
            "answered",
            "agent1",
            "Jonas Richter",
        )
        assert row.answered_at is not None
        assert row.ended_at is not None
        assert row.survey_scores == {"satisfaction": 5, "resolved": 5, "recommend": 5}
        kinds = [event.kind for event in await pbx.events(message["call_id"])]
        assert kinds[:1] == ["enqueue"]
        assert {"offer", "connect", "complete"} <= set(kinds)
