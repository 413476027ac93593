"""An agent made on the configuration page takes a call at once (issue 16).

The whole service runs against the PBX simulator. The admin creates an agent with skills,
a queue and a phone on /config (their login is made with them); the agent logs in on
/agent, goes ready, and the simulator's caller reaches them: the offer rang the phone
entered on the page, not the default PJSIP/<id>. Nothing is restarted.
"""

import re
from pathlib import Path

from acd import AcdSettings, AgentSettings, QueueSettings
from callcenter.sim import AgentPhone, CallerScript, Press
from tests.browser.helpers import assert_no_js_errors, chromium, expect, go_ready, login, screenshot
from tests.e2e.harness import KNOWN, running

SEED = AcdSettings(
    queues=(QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=1),),
    agents=(AgentSettings(id="agent1", queues=("general",), skills={"lang-de": 3}),),
)
PHONE = "agent7001"
"""The simulator's phone of the new agent (their default, PJSIP/agent7, does not exist)."""


async def test_given_an_agent_made_on_the_page_when_a_call_comes_then_their_new_phone_rings(
    tmp_path: Path,
) -> None:
    phones = [AgentPhone("agent1"), AgentPhone(PHONE, answer_after_s=0.2)]
    async with running(tmp_path, SEED, phones, ready=()) as e2e, chromium() as browser:
        await e2e.add_user("admin", "admin")
        admin = await login(browser, e2e.web_url, ("admin", "admin-pass"))
        await admin.goto("/config")
        await expect(admin.locator("body")).to_have_attribute("data-ready", "true")
        await admin.get_by_role("button", name="New agent").click()
        await admin.get_by_label("Agent id (their login)").fill("agent7")
        await admin.get_by_label("Name", exact=True).fill("Greta Sand")
        await admin.get_by_role("textbox", name="Skills").fill("lang-de:4, lang-en:3")
        await admin.get_by_label("general", exact=True).check()
        await admin.get_by_label("Phone (channel)").fill(f"PJSIP/{PHONE}")
        await admin.get_by_label("Password of their login").fill("greta-pass-long")
        await admin.get_by_role("button", name="Save agent").click()

        row = admin.locator('#agents tr[data-agent="agent7"]')
        await expect(row).to_contain_text(f"PJSIP/{PHONE}")
        await expect(row).to_contain_text("lang-de:4")
        await expect(admin.locator("#flash")).to_contain_text("agent7 can log in now")
        await expect(admin.locator('#versions tr[data-version="2"]')).to_contain_text(
            "agents[agent7] added"
        )
        await screenshot(admin, "config-agent-added")

        agent = await login(browser, e2e.web_url, ("agent7", "greta-pass-long"))
        await expect(agent).to_have_url(re.compile(r"/agent$"))
        await go_ready(agent)
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Press("0"),)))
        await expect(agent.locator("#state")).to_have_text("Talking")
        await e2e.until(lambda: call.record.bridged_to is not None)
        assert call.record.bridged_to == PHONE
        assert [ring.endpoint for ring in e2e.sim.rings()] == [PHONE]
        assert_no_js_errors(admin)
        assert_no_js_errors(agent)
