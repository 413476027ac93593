"""The configuration page (/config): queues, agents, skills and versions (issue 16).

A bad change is refused with the field named next to its input and nothing changes; a
rollback restores the version before; a supervisor sees and changes only their queues.
The admin who makes an agent who then takes a simulator call: test_config_page_agent.py.
"""

import re

import aiohttp

from tests.browser.helpers import assert_no_js_errors, chromium, expect, login, screenshot
from tests.web_site import SCOPED_SUPERVISOR


async def site_get(site, change=None) -> dict:
    """GET /api/config/acd outside the browser (as the admin; a login ends the same user's
    other sessions); with `change`, the supervisor of every queue PUTs the document changed
    by it first (someone else's change)."""
    user = site.admin if change is None else site.supervisor
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        login_body = {"username": user[0], "password": user[1]}
        async with http.post(f"{site.base_url}/api/login", json=login_body) as response:
            response.raise_for_status()
            csrf = {"X-CSRF-Token": (await response.json())["csrf_token"]}
        if change is not None:
            async with http.get(f"{site.base_url}/api/config/acd") as response:
                document = (await response.json())["document"]
            change(document)
            body = {"document": document, "comment": "elsewhere"}
            async with http.put(
                f"{site.base_url}/api/config/acd", json=body, headers=csrf
            ) as response:
                response.raise_for_status()
        async with http.get(f"{site.base_url}/api/config/acd") as response:
            response.raise_for_status()
            current: dict = await response.json()
            return current


def _queue(current: dict, name: str) -> dict:
    return next(q for q in current["document"]["queues"] if q["name"] == name)


async def test_given_a_negative_ring_timeout_when_saved_then_the_field_says_why_and_nothing_changes(
    site,
):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.admin)
        await page.goto("/config")
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        await page.get_by_role("button", name="Edit queue billing").click()
        timeout = page.get_by_label("Ring timeout (s)")
        await timeout.fill("-1")
        await page.get_by_role("button", name="Save queue").click()

        await expect(timeout).to_have_attribute("aria-invalid", "true")
        await expect(timeout).to_be_focused()
        await expect(page.locator("#queue-ring_timeout_seconds-error")).to_contain_text(
            "greater than 0"
        )
        await expect(page.locator("#version")).to_have_text("1")
        assert (await site_get(site))["version"] == 1
        assert _queue(await site_get(site), "billing")["ring_timeout_seconds"] == 15
        await screenshot(page, "config-refused")
        await page.keyboard.press("Escape")  # the form goes, focus back where it was
        await expect(page.locator("#queue-form")).to_be_hidden()
        await expect(page.get_by_role("button", name="Edit queue billing")).to_be_focused()
        assert_no_js_errors(page)


async def test_given_an_unsafe_phone_when_an_agent_is_saved_then_the_phone_field_is_named(site):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.admin)
        await page.goto("/config")
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        await page.get_by_role("button", name="Edit agent agent2").click()
        phone = page.get_by_label("Phone (channel)")
        await phone.fill("PJSIP/agent2&PJSIP/agent3")
        await page.keyboard.press("Enter")

        await expect(phone).to_have_attribute("aria-invalid", "true")
        await expect(phone).to_be_focused()
        await expect(page.locator("#agent-endpoint-error")).to_contain_text("technology")
        current = await site_get(site)
        assert current["version"] == 1
        agent2 = next(a for a in current["document"]["agents"] if a["id"] == "agent2")
        assert agent2["endpoint"] is None
        assert_no_js_errors(page)


async def test_given_a_changed_wrap_up_when_rolled_back_then_the_page_and_the_api_show_it_before(
    site,
):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.admin)
        await page.goto("/config")
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        await page.get_by_role("button", name="Edit queue general").click()
        await page.get_by_label("Wrap-up (s)").fill("45")
        await page.get_by_label("Comment (why, stored with the version)").first.fill("longer notes")
        await page.get_by_role("button", name="Save queue").click()
        await expect(page.locator("#version")).to_have_text("2")
        await expect(page.get_by_role("button", name="Edit queue general")).to_be_focused()
        general = page.locator('#queues tr[data-queue="general"]')
        await expect(general).to_contain_text("45 s")
        newest = page.locator('#versions tr[data-version="2"]')
        await expect(newest).to_contain_text("queues[general].wrap_up_seconds: 30 -> 45")
        await expect(newest).to_contain_text("longer notes")
        await expect(newest).to_contain_text("admin")

        await page.get_by_role("button", name="Roll back to version 1").click()
        await expect(page.locator("#version")).to_have_text("3")
        await expect(general).to_contain_text("30 s")
        await expect(page.locator("#flash")).to_contain_text("Version 1 restored as version 3")
        current = await site_get(site)
        assert current["version"] == 3
        assert _queue(current, "general")["wrap_up_seconds"] == 30
        await screenshot(page, "config-rolled-back")
        assert_no_js_errors(page)


async def test_given_a_billing_supervisor_then_they_see_billing_only_and_change_its_service_level(
    site,
):
    async with chromium() as browser:
        page = await login(browser, site.base_url, SCOPED_SUPERVISOR)
        await page.goto("/config")
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        await expect(page.locator("#scope-rule")).to_contain_text("billing")
        queues = page.locator("#queues tbody tr")
        await expect(queues).to_have_count(1)
        await expect(queues.first).to_have_attribute("data-queue", "billing")
        await expect(page.locator('#agents tr[data-agent="agent2"]')).to_have_count(0)
        await expect(page.get_by_role("button", name="New agent")).to_be_hidden()

        await page.get_by_role("button", name="Edit queue billing").click()
        await page.get_by_label("Service-level target (0 to 1)").fill("0.9")
        await page.get_by_role("button", name="Save queue").click()
        await expect(page.locator("#version")).to_have_text("2")
        assert _queue(await site_get(site), "billing")["service_level_target"] == 0.9

        await page.get_by_role("button", name="Edit agent agent1").click()
        await expect(page.get_by_label("Phone (channel)")).to_be_disabled()
        await expect(page.get_by_label("general", exact=True)).to_be_disabled()
        await page.get_by_role("textbox", name="Skills").fill("billing:4")
        await page.get_by_role("button", name="Save agent").click()
        await expect(page.locator('#agents tr[data-agent="agent1"]')).to_contain_text("billing:4")
        assert re.search(r"^Configuration", await page.title()) is not None
        assert_no_js_errors(page)


async def test_given_a_skill_renamed_then_every_queue_and_agent_has_the_new_name(site):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.admin)
        await page.goto("/config")
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        await page.get_by_label("Skill", exact=True).select_option("billing")
        await page.get_by_label("New name").fill("invoices")
        await page.get_by_role("button", name="Rename skill").click()

        await expect(page.locator("#version")).to_have_text("2")
        await expect(page.locator('#skills tr[data-skill="invoices"]')).to_contain_text(
            "agent1 (2), agent3 (3)"
        )
        await expect(page.locator('#skills tr[data-skill="billing"]')).to_have_count(0)
        current = await site_get(site)
        assert _queue(current, "billing")["skills"] == {"invoices": 1}
        assert [a["skills"] for a in current["document"]["agents"]] == [
            {"invoices": 2},
            {},
            {"invoices": 3},
        ]
        assert_no_js_errors(page)


async def test_given_a_change_made_elsewhere_meanwhile_when_saved_then_409_says_so_and_keeps_it(
    site,
):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.admin)
        await page.goto("/config")
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        await page.get_by_role("button", name="Edit queue general").click()
        await page.get_by_label("Wrap-up (s)").fill("50")
        await site_get(site, lambda d: d["queues"][0].update(ring_timeout_seconds=12))

        await page.get_by_role("button", name="Save queue").click()
        refusal = page.locator("#queue-form .form-error")
        await expect(refusal).to_be_focused()
        await expect(refusal).to_contain_text("version 2 is current now")
        await expect(refusal).to_contain_text("reload the page")
        current = await site_get(site)
        assert current["version"] == 2
        assert _queue(current, "general")["wrap_up_seconds"] == 30
        assert _queue(current, "general")["ring_timeout_seconds"] == 12
        assert_no_js_errors(page)
