"""The reports page shows the callbacks asked for on the chosen days (per queue where they
came from, reached, failed, the success rate and the time to callback) and the voicemail
left on them (closed, open, time to take and to handle) (issue 17)."""

import datetime as dt

from callcenter.db import RecordVoicemail
from tests.browser.helpers import assert_no_js_errors, chromium, expect, login
from tests.web_site import CALLER

DAY = dt.datetime(2026, 1, 14, 10, 0, tzinfo=dt.UTC)


async def _callbacks(site):
    callbacks = site.backend.context.callbacks

    async def ask(queue, minutes, channel="ivr"):
        at = DAY + dt.timedelta(minutes=minutes)
        stored = await callbacks.request(
            number="+4930555123",
            window_start=at,
            window_end=at + dt.timedelta(hours=2),
            now=at,
            queue=queue,
            channel=channel,
        )
        return stored.id

    reached = await ask("general", 0)
    await callbacks.record_attempt(reached, reached=True, now=DAY + dt.timedelta(minutes=20))
    failed = await ask("general", 30, channel="web")
    for minutes in (40, 50, 60):
        await callbacks.record_attempt(
            failed, reached=False, now=DAY + dt.timedelta(minutes=minutes)
        )
    await ask("billing", 45, channel="web")


async def test_the_reports_page_shows_the_callbacks_of_the_days_per_queue(site):
    await _callbacks(site)
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor)
        await page.goto("/reports?since=2026-01-14&until=2026-01-14&bucket=hour")
        summary = page.locator("#callbacks-report-summary")
        await expect(summary).to_have_text("3 callbacks asked for, 1 reached.")
        general = page.locator('#callbacks-report-rows tr[data-queue="general"] td')
        await expect(general).to_have_text(
            ["2", "phone 1, web 1", "4", "1", "1", "0", "0 (0)", "50%", "20:00 / 20:00"]
        )
        billing = page.locator('#callbacks-report-rows tr[data-queue="billing"] td')
        await expect(billing.nth(6)).to_have_text("1 (1)")  # its window is long over

        await page.get_by_label("Queue", exact=True).select_option("billing")
        await page.get_by_role("button", name="Show").click()
        await expect(summary).to_have_text("1 callback asked for, 0 reached.")
        await expect(page.locator("#callbacks-report-rows tbody tr")).to_have_count(1)
        assert_no_js_errors(page)


async def test_the_reports_page_shows_the_voicemail_left_on_the_days_per_queue(site):
    at = DAY + dt.timedelta(hours=1)
    for call_id, queue in (("1768388400.1", "general"), ("1768388400.2", "general")):
        site.writer.submit(RecordVoicemail(call_id, queue, CALLER, site.customer_id, 4.0, at))
    await site.flush()
    inbox = site.backend.context.voicemails
    first = await inbox.by_call("1768388400.1")
    await inbox.take(first.id, "agent1", at + dt.timedelta(minutes=10))
    await inbox.close(first.id, "agent1", "order", "", at + dt.timedelta(minutes=30))
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor)
        await page.goto("/reports?since=2026-01-14&until=2026-01-14&bucket=hour")
        summary = page.locator("#voicemail-report-summary")
        await expect(summary).to_have_text("2 messages left, 1 still open.")
        general = page.locator('#voicemail-report-rows tr[data-queue="general"] td')
        await expect(general).to_have_text(["2", "1", "1", "0", "0", "10:00", "30:00", "30:00"])
        assert_no_js_errors(page)
