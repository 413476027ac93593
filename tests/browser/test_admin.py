"""The admin page: users and the effective configuration."""

import re

from tests.browser.helpers import assert_no_js_errors, chromium, expect, login, screenshot


async def test_given_an_admin_when_creating_a_user_then_the_list_shows_it(site):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.admin)
        await expect(page).to_have_url(re.compile(r"/admin$"))
        users = page.locator("#users tbody")
        await expect(users.locator('tr[data-username="agent1"]')).to_be_visible()
        await expect(page.locator("#config")).not_to_be_empty()

        await page.get_by_label("Username").fill("agent9")
        await page.get_by_label("Display name").fill("Agent Nine")
        await page.get_by_label("Role", exact=True).select_option("agent")
        await page.get_by_label("Password", exact=True).fill("agent9-pass-long")
        await page.get_by_role("button", name="Create user").click()
        row = users.locator('tr[data-username="agent9"]')
        await expect(row).to_contain_text("Agent Nine")
        await expect(row).to_contain_text("Active")

        # The IVR flows are changed on their own page (uploads, versions, rollback).
        await expect(page.locator("#flows-link")).to_have_attribute("href", "/flows")
        await screenshot(page, "admin")
        assert_no_js_errors(page)
