"""The reports page shows the tickets of the chosen days and queue: promises kept per step
and the reopen rate (issue 17)."""

import datetime as dt

from cti.complaint import Actor
from tests.browser.helpers import assert_no_js_errors, chromium, expect, login

DAY = dt.datetime(2026, 1, 14, 10, 0, tzinfo=dt.UTC)
ANNA = Actor("agent1", supervises=False)


async def _worked(site, queue, *, late_hours=0.0, reopen=False):
    tickets = site.backend.context.tickets
    ticket = await tickets.open(
        customer_id=site.customer_id, category="complaint", subject="s", now=DAY, queue=queue
    )
    at = DAY + dt.timedelta(hours=1 + late_hours)
    for step in ("acknowledged", "investigated", "proposed"):
        await tickets.advance(ticket.id, step, now=at, actor=ANNA)
    if reopen:
        [followup] = await tickets.followups(visible_queues=None, ticket_id=ticket.id)
        await tickets.answer_followup(followup.id, False, now=at, actor="agent1")


async def test_the_reports_page_shows_promises_kept_per_step_and_the_reopen_rate(site):
    await _worked(site, "general", reopen=True)
    await _worked(site, "general", late_hours=5)  # acknowledged an hour after its promise
    await _worked(site, "billing")
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor)
        await page.goto("/reports?since=2026-01-14&until=2026-01-14&bucket=hour")
        summary = page.locator("#tickets-summary")
        await expect(summary).to_contain_text("Opened 3, resolved 3, reopened 1")
        await expect(summary).to_contain_text("reopen rate 33%")
        acknowledged = page.locator('#tickets-steps tr[data-step="acknowledged"] td')
        await expect(acknowledged).to_have_text(["3", "2", "67%"])

        await page.get_by_label("Queue", exact=True).select_option("billing")
        await page.get_by_role("button", name="Show").click()
        await expect(summary).to_contain_text("Opened 1, resolved 1, reopened 0")
        await expect(acknowledged).to_have_text(["1", "1", "100%"])
        assert_no_js_errors(page)
