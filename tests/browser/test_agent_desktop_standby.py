"""The agent desktop opened on the STANDBY of a two-node cluster (issue 18): the page, the
API and the live feed all come through the standby (the feed from the leader through the
relay); a call rings with its pop and is talked; the leader killed, the desktop reconnects
by itself and is live again on the node that leads now, the agent still logged in."""

import re

from acd import AcdSettings, AgentSettings, QueueSettings
from callcenter.sim import AgentPhone, CallerScript, Press
from tests.browser.helpers import assert_no_js_errors, chromium, expect, go_ready, login, screenshot
from tests.cluster.harness import cluster
from tests.e2e.harness import STANDARD
from tests.pg import postgres

__all__ = ["postgres"]

ACD = AcdSettings(
    queues=(QueueSettings(name="general", ring_timeout_seconds=15, wrap_up_seconds=5),),
    agents=(AgentSettings(id="agent1", queues=("general",), skills={"lang-de": 3, "lang-en": 3}),),
)
PHONES = [AgentPhone("agent1", answer_after_s=2.0, talk_s=None)]


async def test_given_the_desktop_on_the_standby_then_it_rings_there_and_outlives_the_leader(
    tmp_path, postgres
):
    async with cluster(tmp_path, postgres, ACD, PHONES) as c:
        leader = await c.leader()
        standby = next(n for n in c.nodes if n is not leader)
        await c.until(lambda: _is_standby(c, standby.name), 30)
        await c.add_agent_login("agent1")
        async with chromium() as browser:
            page = await login(browser, standby.url, ("agent1", "agent1-pass"))
            await expect(page).to_have_url(re.compile(r"/agent$"))
            await go_ready(page)

            script = CallerScript(STANDARD[0], steps=(Press("0"),), talk_s=2.0)
            await c.sim.place_call(script)
            banner = page.locator("#call-banner")
            await expect(banner).to_contain_text("Incoming call")
            await expect(page.locator("#pop-number")).to_contain_text(STANDARD[0][-4:])
            await expect(page.locator("#state")).to_have_text("Talking")
            await expect(banner).to_contain_text("On call")
            await screenshot(page, "agent-desktop-on-standby")
            assert_no_js_errors(page)

            leader.kill()
            connection = page.locator("#connection")
            await expect(connection).not_to_have_text("Live", timeout=30_000)
            assert await c.leader(timeout=30) is standby
            await expect(connection).to_have_text("Live", timeout=30_000)
            await expect(page.locator("#state")).not_to_have_text("Logged out")


async def _is_standby(c, name):
    return (await c.roles()).get(name) == "standby"
