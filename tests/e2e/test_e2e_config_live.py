"""The ACD configuration changed through the API while the center runs (issue 16).

An admin adds an agent to a queue on the running service; the agent logs in and takes a
call from the simulated Asterisk with no restart. After a restart the service runs the
stored version (the settings file still names only the first agent).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from acd import AcdSettings, AgentSettings, QueueSettings
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

SKILLS = {"lang-de": 3, "lang-en": 3}
SEED = AcdSettings(
    queues=(QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=1),),
    agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
)


async def _add_agent(e2e: E2E, agent: dict[str, Any]) -> dict[str, Any]:
    await e2e.add_user("admin", "admin")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        csrf = await e2e.web_login(http, "admin")
        async with http.get(f"{e2e.web_url}/api/config/acd") as response:
            current = await response.json()
        document = current["document"]
        document["agents"].append(agent)
        async with http.put(
            f"{e2e.web_url}/api/config/acd",
            json={"document": document, "comment": "Gert starts today"},
            headers=csrf,
        ) as response:
            body: dict[str, Any] = await response.json()
            assert response.status == 200, body
            return body


async def test_given_an_agent_added_live_then_they_take_a_call_and_a_restart_keeps_them(
    tmp_path: Path,
) -> None:
    agi_port = await free_port()
    sim = PbxSimulator(
        agi_port=agi_port, secret=SECRET, options=SimOptions(prompt_s=0.05, agi_close_timeout_s=5)
    )
    await sim.start()
    for agent in ("agent1", "agent2"):
        sim.add_phone(AgentPhone(agent, answer_after_s=0.2, talk_s=0.3))
    settings = e2e_settings(tmp_path, SEED, agi_port, sim.ami_port)
    try:
        first = await start_service(settings)
        try:
            await seed_customers(first)
            e2e = E2E(sim, first, settings)
            stored = await _add_agent(
                e2e, {"id": "agent2", "name": "Gert", "skills": SKILLS, "queues": ["general"]}
            )
            assert (stored["version"], stored["summary"]) == (2, "agents[agent2] added")

            await e2e.log_in("agent2", ready=True)
            call = await sim.place_call(CallerScript(KNOWN, steps=(Press("0"),)))
            await e2e.until(lambda: call.record.bridged_to is not None)
            assert "agent2" in (call.record.bridged_to or "")
            await e2e.flush()
        finally:
            await first.stop()

        second = await start_service(settings)
        try:
            running = second.backend.center.host.settings
            assert [(a.id, a.queues) for a in running.agents] == [
                ("agent1", ("general",)),
                ("agent2", ("general",)),
            ]
            current = await second.backend.context.config_versions.current()
            assert current is not None
            assert current.version == 2
            assert "agent2" in {a.id for a in second.backend.context.settings.acd.agents}
        finally:
            await second.stop()
    finally:
        await sim.close()
