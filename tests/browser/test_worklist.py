"""The worklist: tickets worked without a call, by keyboard; overdue promises flagged; a
step refused at its field; supervisors assign; a follow-up call that reopens a ticket."""

import datetime as dt

from callcenter.web.routes_tickets import ESCALATION
from cti.complaint import Actor
from tests.browser.helpers import assert_no_js_errors, chromium, expect, login, screenshot


async def _open(site, subject, *, hours_ago=0.0, queue="general"):
    now = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago)
    ticket = await site.backend.context.tickets.open(
        customer_id=site.customer_id, category="complaint", subject=subject, now=now, queue=queue
    )
    return ticket.id


async def test_an_agent_works_a_queue_ticket_by_keyboard_and_an_overdue_one_is_flagged(
    site,
):
    fresh = await _open(site, "parcel late")
    late = await _open(site, "refund missing", hours_ago=5)  # acknowledge promised in 4 h
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.agent)
        await page.goto("/worklist")
        await expect(page.get_by_role("link", name="Worklist")).to_be_visible()
        await page.get_by_label("Show").select_option("queue")
        rows = page.locator("#tickets tbody tr")
        await expect(rows).to_have_count(2)
        late_row = page.locator(f'#tickets tr[data-ticket="{late}"]')
        await expect(late_row.locator('[data-flag="overdue"]')).to_have_text("Overdue")
        await expect(
            page.locator(f'#tickets tr[data-ticket="{fresh}"] [data-flag="overdue"]')
        ).to_have_count(0)

        await page.get_by_role("button", name=f"#{fresh} parcel late").focus()
        await page.keyboard.press("Enter")
        await expect(page.locator("#ticket-title")).to_be_focused()
        await expect(page.locator("#ticket-title")).to_have_text(f"Ticket #{fresh}: parcel late")
        await page.get_by_role("button", name="Take it").click()
        await expect(page.locator("#ticket-facts")).to_contain_text("Anna Berg")
        await page.get_by_label("Next step").focus()
        await page.keyboard.press("Tab")
        await page.keyboard.type("told the customer: by Friday")
        await page.keyboard.press("Tab")
        await page.keyboard.press("Enter")
        await expect(page.locator("#ticket-facts")).to_contain_text("Acknowledged")
        await expect(page.locator("#history li").last).to_contain_text(
            "told the customer: by Friday"
        )
        await expect(page.locator("#history li").last).to_contain_text("promise kept")

        await page.keyboard.press("Escape")
        await expect(page.locator("#ticket")).to_be_hidden()
        await expect(page.get_by_role("button", name=f"#{fresh} parcel late")).to_be_focused()

        await page.get_by_label("Show").select_option("mine")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_have_attribute("data-ticket", str(fresh))
        await rows.first.get_by_role("button").click()
        await page.get_by_role("button", name="Give back").click()
        await expect(page.locator("#ticket-facts")).to_contain_text("Unassigned")
        await expect(page.get_by_role("button", name="Take it")).to_be_visible()
        await expect(rows).to_have_count(0)
        await screenshot(page, "worklist-agent")
        assert_no_js_errors(page)


async def test_a_stale_step_is_refused_at_the_step_field_with_the_reason(
    site,
):
    ticket_id = await _open(site, "parcel late")
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.agent)
        await page.goto("/worklist")
        await page.get_by_label("Show").select_option("queue")
        await page.get_by_role("button", name=f"#{ticket_id} parcel late").click()
        await expect(page.get_by_label("Next step")).to_have_value("acknowledged")
        # A colleague's supervisor moves it on meanwhile.
        await site.backend.context.tickets.advance(
            ticket_id, "acknowledged", now=dt.datetime.now(dt.UTC), actor=Actor("sup1", True)
        )
        await page.get_by_role("button", name="Move").click()
        step = page.get_by_label("Next step")
        await expect(step).to_have_attribute("aria-invalid", "true")
        await expect(step).to_be_focused()
        await expect(page.locator("#step-error")).to_contain_text(
            "from acknowledged it may go to investigated"
        )
        assert_no_js_errors(page)


async def test_given_a_resolved_ticket_when_the_customer_is_not_satisfied_then_it_is_reopened(
    site,
):
    ticket_id = await _open(site, "router broken")
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor)
        await page.goto("/worklist")
        await page.get_by_role("button", name=f"#{ticket_id} router broken").first.click()
        await page.get_by_label("Owner").select_option("agent2")
        await page.get_by_role("button", name="Assign").click()
        await expect(page.locator("#ticket-facts")).to_contain_text("Ben Koch")
        for step in ("acknowledged", "investigated", "proposed"):
            await page.get_by_label("Next step").select_option(step)
            await page.get_by_role("button", name="Move").click()
            await expect(page.locator("#ticket-facts")).to_contain_text(step.capitalize())
        followup = page.locator("#followups tbody tr")
        await expect(followup).to_have_count(1)
        await followup.get_by_role("button", name="Call the customer").click()
        await expect(page.locator("#flash")).to_contain_text(
            f"Follow-up call for ticket #{ticket_id} is in line in general"
        )
        await followup.get_by_label(f"Note for ticket #{ticket_id}").fill("still drops calls")
        await followup.get_by_role("button", name="Not satisfied").click()
        await expect(page.locator("#no-followups")).to_be_visible()
        await expect(page.locator("#ticket-facts")).to_contain_text("Reopened")
        await expect(page.locator("#history li").last).to_contain_text(
            "follow-up call: not satisfied: still drops calls"
        )
        await expect(page.locator("#report-summary")).to_contain_text("reopen rate 100%")
        await expect(page.locator('#report-steps tr[data-step="proposed"] td')).to_have_text(
            ["1", "1", "100%"]
        )
        await screenshot(page, "worklist-followup")
        assert_no_js_errors(page)


async def test_an_overdue_promise_shows_on_the_wallboard_of_its_queue_only(site):
    late = await _open(site, "refund missing", hours_ago=5, queue="general")
    await site.backend.app[ESCALATION].refresh()
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor)
        await page.goto("/wallboard")
        await expect(page.locator("#alerts")).to_contain_text(
            f"1 ticket overdue in general: #{late} acknowledged late (unassigned)"
        )
        # sup2 oversees only billing: their wallboard is live, without the alert.
        scoped = await login(browser, site.base_url, ("sup2", "sup2-pass"))
        await scoped.goto("/wallboard")
        await expect(scoped.get_by_label("Queue billing")).to_be_visible()
        await expect(scoped.locator("#alerts")).not_to_contain_text("ticket overdue")
        assert_no_js_errors(page)
        assert_no_js_errors(scoped)
