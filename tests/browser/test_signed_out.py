"""An open desktop whose session ends says it is signed out and stops (issue 14, items 3, 5)."""

from tests.browser.helpers import assert_no_js_errors, chromium, expect, go_ready, login, screenshot

FIRST_RETRY_MS = 1500
"""Longer than the socket's first reconnect delay (at most 0.5 s) with room to spare."""


async def _assert_signed_out(page, reason, opened):
    notice = page.locator("#signed-out")
    await expect(notice).to_contain_text("Signed out")
    await expect(notice).to_contain_text(reason)
    await expect(page.locator("#connection")).to_have_text("Signed out")
    # The pop and the rest of the desk are no longer on screen.
    await expect(page.locator("main")).to_be_hidden()
    await expect(notice.get_by_role("link", name="Log in again")).to_be_visible()
    await page.wait_for_timeout(FIRST_RETRY_MS)
    assert opened == [], f"the page reconnected: {opened}"
    await expect(page.locator("#connection")).to_have_text("Signed out")


async def test_given_an_admin_deactivates_an_agent_then_their_desktop_shows_signed_out(site):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.agent)
        await go_ready(page)
        opened = []
        page.on("websocket", lambda ws: opened.append(ws.url))
        admin = await login(browser, site.base_url, site.admin)
        csrf = (await (await admin.request.get("/api/me")).json())["csrf_token"]
        response = await admin.request.patch(
            "/api/users/agent1", data={"active": False}, headers={"X-CSRF-Token": csrf}
        )
        assert response.ok, await response.text()

        await _assert_signed_out(page, "your account was deactivated", opened)
        await site.queue_call()  # rings the agent's phone; the page shows nothing of it
        await expect(page.locator("#pop-name")).not_to_have_text("Erika Mustermann")
        await screenshot(page, "agent-signed-out")
        await page.get_by_role("link", name="Log in again").click()
        await expect(page.get_by_label("Username")).to_be_visible()
        assert_no_js_errors(page)


async def test_given_an_agent_logs_in_again_in_another_browser_then_the_first_desktop_signs_out(
    site,
):
    async with chromium() as browser:
        first = await login(browser, site.base_url, site.agent)
        await expect(first.locator("#connection")).to_have_text("Live")
        opened = []
        first.on("websocket", lambda ws: opened.append(ws.url))
        second = await login(browser, site.base_url, site.agent)
        await expect(second.locator("#connection")).to_have_text("Live")

        await _assert_signed_out(first, "you logged in again", opened)
        assert_no_js_errors(first)
        assert_no_js_errors(second)
