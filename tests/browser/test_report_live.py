"""The reports page follows today live (issue 17): while the period shown reaches today,
its callbacks, voicemail and tickets sections are read again every half minute, so a
callback asked for, a message left or a ticket opened shows up without pressing "Show";
a past period stays as it was read. The browser's clock is moved, no test waits 30 s."""

import datetime as dt

from callcenter.db import RecordVoicemail
from tests.browser.helpers import assert_no_js_errors, chromium, expect, login
from tests.web_site import CALLER


async def _ask(site, number):
    now = dt.datetime.now(dt.UTC)
    await site.backend.context.callbacks.request(
        number=number,
        window_start=now,
        window_end=now + dt.timedelta(hours=2),
        now=now,
        queue="general",
    )


async def test_given_today_on_the_reports_page_when_a_callback_a_message_and_a_ticket_come_then_the_sections_follow(  # noqa: E501
    site,
):
    await _ask(site, "+4930555123")
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor)
        await page.clock.install()
        await page.goto("/reports")  # the last seven days, today included
        callbacks = page.locator("#callbacks-report-summary")
        voicemail = page.locator("#voicemail-report-summary")
        tickets = page.locator("#tickets-summary")
        await expect(callbacks).to_have_text("1 callback asked for, 0 reached.")
        await expect(voicemail).to_contain_text("No messages")
        await expect(tickets).to_contain_text("Opened 0,")

        await _ask(site, "+4930555124")
        now = dt.datetime.now(dt.UTC)
        site.writer.submit(RecordVoicemail("1.1", "general", CALLER, site.customer_id, 4.0, now))
        await site.flush()
        await site.backend.context.tickets.open(
            customer_id=site.customer_id, category="complaint", subject="late", now=now
        )
        await page.clock.fast_forward(31_000)

        await expect(callbacks).to_have_text("2 callbacks asked for, 0 reached.")
        await expect(voicemail).to_contain_text("1 message left")
        await expect(tickets).to_contain_text("Opened 1,")
        assert_no_js_errors(page)


async def test_given_a_past_period_on_the_reports_page_then_the_sections_are_not_read_again(site):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor)
        await page.clock.install()
        await page.goto("/reports?since=2026-01-14&until=2026-01-14&bucket=hour")
        summary = page.locator("#callbacks-report-summary")
        await expect(summary).to_have_text("No callbacks were asked for on these days.")
        reads: list[str] = []
        page.on("request", lambda r: reads.append(r.url) if "/api/reports/" in r.url else None)

        await page.clock.fast_forward(95_000)
        await page.evaluate("() => new Promise((done) => setTimeout(done, 0))")

        assert reads == []
        assert_no_js_errors(page)
