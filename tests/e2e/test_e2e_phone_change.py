"""An agent's phone changed in the configuration while they work rings at once (issue 16).

agent1 is logged in and ready on the phone of the settings file (telephony.agent_endpoints);
an admin gives them a new phone through the API; the next call rings the new phone, over
the same AMI link, with no restart and without logging the agent out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from acd import AcdSettings, AgentSettings, QueueSettings
from callcenter.sim import AgentPhone, CallerScript, Press
from tests.e2e.harness import E2E, KNOWN, running

SEED = AcdSettings(
    queues=(QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=0.5),),
    agents=(AgentSettings(id="agent1", queues=("general",), skills={"lang-de": 3}),),
)


async def _new_phone(e2e: E2E, endpoint: str) -> dict[str, Any]:
    await e2e.add_user("admin", "admin")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        csrf = await e2e.web_login(http, "admin")
        async with http.get(f"{e2e.web_url}/api/config/acd") as response:
            current = await response.json()
        document = current["document"]
        document["agents"][0]["endpoint"] = endpoint
        async with http.put(
            f"{e2e.web_url}/api/config/acd",
            json={"document": document, "base_version": current["version"]},
            headers=csrf,
        ) as response:
            body: dict[str, Any] = await response.json()
            assert response.status == 200, body
            return body


async def test_given_a_ready_agent_when_their_phone_changes_then_the_next_call_rings_the_new_one(
    tmp_path: Path,
) -> None:
    phones = [
        AgentPhone("agent1", answer_after_s=0.1, talk_s=0.2),
        AgentPhone("desk42", answer_after_s=0.1, talk_s=0.2),
    ]
    async with running(tmp_path, SEED, phones) as e2e:
        first = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Press("0"),)))
        await e2e.until(lambda: first.record.bridged_to is not None)
        assert first.record.bridged_to == "agent1"

        await _new_phone(e2e, "PJSIP/desk42")
        second = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Press("0"),)))
        await e2e.until(lambda: second.record.bridged_to is not None)
        assert second.record.bridged_to == "desk42"
        assert [ring.endpoint for ring in e2e.sim.rings()] == ["agent1", "desk42"]
