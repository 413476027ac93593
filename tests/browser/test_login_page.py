"""The login page: wrong passwords, rate limiting, and the way back to the page asked for."""

import re

from tests.browser.helpers import assert_no_js_errors, chromium, expect, login, screenshot


async def test_given_a_wrong_password_when_logging_in_then_the_page_says_so(site):
    async with chromium() as browser:
        page = await browser.new_page(base_url=site.base_url)
        await page.goto("/")
        await page.get_by_label("Username").fill("nobody")
        await page.get_by_label("Password").fill("wrong")
        await page.get_by_role("button", name="Log in").click()

        await expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
        await expect(page).to_have_url(re.compile(r"/$"))
        await screenshot(page, "login")


async def test_given_repeated_failures_when_logging_in_then_the_rate_limit_is_explained(site):
    async with chromium() as browser:
        page = await browser.new_page(base_url=site.base_url)
        await page.goto("/")
        alert = page.get_by_role("alert")
        for _ in range(7):
            await page.get_by_label("Username").fill("nobody")
            await page.get_by_label("Password").fill("wrong")
            await page.get_by_role("button", name="Log in").click()
            await expect(alert).to_be_visible()
            if "Too many" in await alert.text_content():
                break
        await expect(alert).to_contain_text("Too many failed attempts")


async def test_given_no_session_when_opening_the_desktop_then_login_leads_back_to_it(site):
    async with chromium() as browser:
        page = await browser.new_page(base_url=site.base_url)
        await page.goto("/agent")
        await expect(page).to_have_url(re.compile(r"/\?next=%2Fagent$"))

        page = await login(browser, site.base_url, site.agent)
        await expect(page).to_have_url(re.compile(r"/agent$"))
        await expect(page.locator("#who")).to_contain_text("agent")
        assert_no_js_errors(page)
