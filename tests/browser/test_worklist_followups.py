"""The worklist's follow-up calls say who calls (issue 17): an agent, or the automated keypad
call with its calls so far; one the automated calls did not reach is flagged for an agent,
who calls and records the answer as always."""

import datetime as dt

from cti.complaint import Actor, Step
from cti.followups import FollowUpMode, FollowUpRule
from tests.browser.helpers import assert_no_js_errors, chromium, expect, login, screenshot

AUTOMATED = FollowUpRule(FollowUpMode.AUTOMATED, delay_hours=0, max_attempts=2, retry_minutes=30)


async def _resolved(site, subject, now):
    tickets = site.backend.context.tickets
    ticket = await tickets.open(
        customer_id=site.customer_id, category="complaint", subject=subject, now=now
    )
    for step in (Step.ACKNOWLEDGED, Step.INVESTIGATED, Step.PROPOSED):
        await tickets.advance(ticket.id, step, now=now, actor=Actor("sup1", supervises=True))
    return ticket.id


async def test_given_automated_followups_when_one_was_not_reached_then_the_worklist_flags_it(
    site,
):
    tickets = site.backend.context.tickets
    tickets.use_followups(lambda category: AUTOMATED)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    missed = await _resolved(site, "router broken", now)
    for n, result in enumerate(("busy", "no-answer")):
        at = now + dt.timedelta(minutes=31 * n)
        [due] = await tickets.claim_due(at, limit=1)
        await tickets.followup_missed(due.id, result, now=at)
    waiting = await _resolved(
        site, "invoice wrong", dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    )
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor)
        await page.goto("/worklist")
        rows = page.locator("#followups tbody tr")
        await expect(rows).to_have_count(2)
        unreached = rows.filter(has_text=f"#{missed} router broken")
        await expect(unreached.locator('[data-flag="unreached"]')).to_have_text(
            "Not reached by the automated call (2 calls, last: no-answer): call the customer"
        )
        await expect(
            rows.filter(has_text=f"#{waiting} invoice wrong").locator('[data-flag="automated"]')
        ).to_have_text("Automated call at the due time")
        await screenshot(page, "worklist-followup-unreached")
        # The agent calls and records the answer as for any follow-up.
        await unreached.get_by_role("button", name="Satisfied", exact=True).click()
        await expect(page.locator("#flash")).to_contain_text(f"Ticket #{missed}: confirmed")
        await expect(rows).to_have_count(1)
        assert_no_js_errors(page)
