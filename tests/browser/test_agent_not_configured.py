"""An agent login made before its agent is configured: the admin is told, the desk says why."""

from tests.browser.helpers import assert_no_js_errors, chromium, expect, login, screenshot

FIRST_RETRY_MS = 1500
"""Longer than the socket's first reconnect delay (at most 0.5 s) with room to spare."""


async def test_given_an_agent_login_without_an_agent_then_admin_is_warned_and_the_desk_says_why(
    site,
):
    async with chromium() as browser:
        admin = await login(browser, site.base_url, site.admin)
        await expect(admin.locator("#agent-ids")).to_have_text("agent1, agent2, agent3")
        await expect(admin.locator("#agent-hint")).to_contain_text("acd.agents")

        await admin.get_by_label("Username").fill("agent7")
        await admin.get_by_label("Display name").fill("Agent Seven")
        await admin.get_by_label("Role", exact=True).select_option("agent")
        await admin.get_by_label("Password", exact=True).fill("agent7-pass-long")
        await admin.get_by_role("button", name="Create user").click()

        warning = admin.locator("#flash .message.warn")
        await expect(warning).to_contain_text("User agent7 created, but no agent 'agent7'")
        await expect(warning).to_contain_text("config/callcenter.yaml")
        row = admin.locator('#users tr[data-username="agent7"]')
        await expect(row).to_contain_text("no agent configured")
        await expect(admin.locator('#users tr[data-username="agent1"]')).not_to_contain_text(
            "no agent configured"
        )
        await screenshot(admin, "admin-agent-not-configured")

        desk = await login(browser, site.base_url, ("agent7", "agent7-pass-long"))
        notice = desk.get_by_role("alert").filter(has_text="cannot take calls")
        await expect(notice).to_contain_text("no agent 'agent7' is configured")
        await expect(notice).to_contain_text("acd.agents")
        await expect(desk.locator("#connection")).to_have_text("Not set up")
        opened = []  # from the refusal on: no new socket
        desk.on("websocket", lambda ws: opened.append(ws.url))
        await desk.wait_for_timeout(FIRST_RETRY_MS)
        assert opened == [], f"the desk reconnected: {opened}"
        await screenshot(desk, "agent-not-configured")
        assert_no_js_errors(admin)
        assert_no_js_errors(desk)
