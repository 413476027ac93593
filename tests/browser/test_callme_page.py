"""The public "call me back" page (/callme): a customer fills it by keyboard and is told when
to expect the call; a bad number is named at its field; other sites may frame it only when
configured.

No login: the page is opened as a visitor of the company's website would. The service's
clock is moved past the form's minimum fill time once the page has its form token.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from tests.browser.helpers import TIMEOUT_MS, chromium, expect, screenshot
from tests.web_site import Site, open_site


@pytest.fixture
async def public_site(tmp_path: Path) -> AsyncIterator[Site]:
    async with open_site(tmp_path) as running:
        yield running


async def open_form(browser, site: Site, *, timezone_id: str = "UTC"):
    context = await browser.new_context(base_url=site.base_url, timezone_id=timezone_id)
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    async with page.expect_response(re.compile(r"/api/public/callback/form$")):
        await page.goto("/callme")
    await expect(page.get_by_label("Topic")).to_have_value("general")
    site.advance(10)  # the customer takes their time
    return page, errors


async def test_given_a_form_filled_by_keyboard_then_the_customer_is_told_when_to_expect_the_call(
    public_site: Site,
) -> None:
    async with chromium() as browser:
        page, errors = await open_form(browser, public_site)
        await screenshot(page, "callme-form")
        await page.get_by_label("Phone number").focus()
        await page.keyboard.type("030 5557 1234")
        await page.keyboard.press("Tab")
        await page.keyboard.type("Erika Muster")
        await page.keyboard.press("Tab")
        await page.keyboard.press("ArrowDown")  # the second topic
        await expect(page.get_by_label("Topic")).to_have_value("billing")
        await page.keyboard.press("Tab")  # "as soon as possible", already chosen
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("button", name="Call me back")).to_be_focused()
        await page.keyboard.press("Enter")

        status = page.locator("#done")
        await expect(status).to_be_visible()
        await expect(page.locator("#done-message")).to_have_text(
            "Thank you. We will call you back as soon as an agent is free."
        )
        await expect(page.get_by_role("heading", name="Request received")).to_be_focused()
        await expect(page.locator("#callme-form")).to_be_hidden()
        [stored] = await public_site.backend.context.callbacks.list()
        assert (stored.number, stored.queue) == ("+493055571234", "billing")
        await screenshot(page, "callme-done")
        assert errors == []


async def test_given_a_chosen_time_then_the_page_says_the_day_and_hour_of_the_call(
    public_site: Site,
) -> None:
    async with chromium() as browser:
        page, errors = await open_form(browser, public_site)
        day = datetime.fromtimestamp(public_site.center.host.now(), UTC).date() + timedelta(2)
        await page.get_by_label("Phone number").fill("030 5557 1234")
        await page.get_by_label("Your name").fill("Erika Muster")
        await page.get_by_label("At a time I choose").check()
        await page.get_by_label("Day").fill(day.isoformat())
        await page.get_by_label("From (your time)").fill("10:00")
        await page.get_by_label("Until (your time)").fill("12:00")
        await page.get_by_role("button", name="Call me back").click()

        when = f"{day:%A} {day.day} {day:%B}"
        await expect(page.locator("#done-message")).to_have_text(
            f"Thank you. We will call you back on {when} from 10:00."
        )
        await expect(page.locator("#done-time")).to_contain_text("10:00")
        assert errors == []


async def test_given_a_bad_number_then_the_number_field_says_why_and_has_the_focus(
    public_site: Site,
) -> None:
    async with chromium() as browser:
        page, errors = await open_form(browser, public_site)
        number = page.get_by_label("Phone number")
        await number.fill("12345")
        await page.get_by_label("Your name").fill("Erika Muster")
        await page.get_by_role("button", name="Call me back").click()

        problem = page.locator("#number-error")
        await expect(problem).to_be_visible()
        await expect(problem).to_contain_text("not a valid phone number")
        await expect(number).to_have_attribute("aria-invalid", "true")
        await expect(number).to_be_focused()
        await expect(page.locator("#name-error")).to_be_hidden()
        await expect(page.locator("#done")).to_be_hidden()
        assert await public_site.backend.context.callbacks.list() == []
        # Corrected, it goes through.
        await number.fill("030 5557 1234")
        await page.get_by_role("button", name="Call me back").click()
        await expect(page.locator("#done-message")).to_contain_text("We will call you back")
        assert errors == []


async def test_the_page_shows_in_a_frame_on_the_configured_website_only(tmp_path: Path) -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    allowed = f"http://localhost:{port}"
    async with open_site(tmp_path, public_callback={"frame_ancestors": [allowed]}) as site:
        embed = f'<iframe title="Call me back" src="{site.base_url}/callme"></iframe>'

        async def website(request: web.Request) -> web.Response:
            page = f"<!doctype html><title>Shop</title>{embed}"
            return web.Response(text=page, content_type="text/html")

        app = web.Application()
        app.router.add_get("/", website)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with chromium() as browser:
                page = await browser.new_page()
                await page.goto(f"{allowed}/")  # the configured website
                framed = page.frame_locator("iframe")
                await expect(framed.get_by_label("Phone number")).to_be_visible()

                other = await browser.new_page()
                await other.goto(f"http://127.0.0.1:{port}/")  # another origin
                holder = await other.wait_for_selector("iframe")
                frame = await holder.content_frame()
                assert frame is not None
                await frame.wait_for_load_state()
                # Chromium refuses to show it: an error page in place of the form.
                assert frame.url.startswith("chrome-error://"), frame.url
        finally:
            await runner.cleanup()
