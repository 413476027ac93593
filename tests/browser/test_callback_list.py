"""The callback list on the worklist and the desk (issue 17): overdue requests flagged, one
moved to later by keyboard (it leaves the line), one cancelled; each attempt's result shown;
a callback offered to an agent says which attempt it is."""

import datetime as dt

from callcenter.live.callback_schedule import enqueue_callback
from tests.browser.helpers import (
    assert_no_js_errors,
    chromium,
    expect,
    go_ready,
    login,
    screenshot,
)
from tests.web_site import CUSTOMER


async def _callback(site, number, *, hours=2.0, ago=0.0):
    now = dt.datetime.now(dt.UTC) - dt.timedelta(hours=ago)
    callbacks = site.backend.context.callbacks
    stored = await callbacks.request(
        number=number,
        window_start=now,
        window_end=now + dt.timedelta(hours=hours),
        now=now,
        queue="general",
        customer_id=site.customer_id,
    )
    enqueue_callback(site.center, stored, queue="general")
    await site.center.host.drain()
    return stored


def _waiting(site):
    host = site.center.host
    return [v.call_id for v in host.acd.waiting_calls("general", host.now())]


async def test_a_supervisor_moves_an_overdue_callback_and_cancels_another_by_keyboard(site):
    overdue = await _callback(site, "+4930555111", hours=1, ago=2)
    await site.backend.context.callbacks.record_attempt(
        overdue.id, reached=False, now=dt.datetime.now(dt.UTC), agent="agent1", result="busy"
    )
    other = await _callback(site, "+4930555222")
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor)
        await page.goto("/worklist")
        rows = page.locator("#callbacks tbody tr")
        await expect(rows).to_have_count(2)
        late = page.locator(f'#callbacks tr[data-callback="{overdue.id}"]')
        await expect(late).to_have_class("overdue")
        await expect(late).to_contain_text("Overdue")
        await expect(late).to_contain_text("1: busy")

        when = late.get_by_label(f"When to call {CUSTOMER} back")
        await when.focus()
        await when.select_option("24")
        await page.keyboard.press("Tab")
        move = late.get_by_role("button", name=f"Move the callback to {CUSTOMER}")
        await expect(move).to_be_focused()
        await page.keyboard.press("Enter")
        await expect(page.locator("#flash")).to_contain_text("moved to")
        moved = await site.backend.context.callbacks.get(overdue.id)
        assert moved.scheduled
        assert moved.window_start > dt.datetime.now(dt.UTC)
        assert f"cb-{overdue.id}" not in _waiting(site)
        moved_row = page.locator(f'#callbacks tr[data-callback="{overdue.id}"]')
        await expect(moved_row).to_contain_text("Later")

        page.once("dialog", lambda dialog: dialog.accept())
        other_row = page.locator(f'#callbacks tr[data-callback="{other.id}"]')
        await other_row.get_by_role("button", name=f"Cancel the callback to {CUSTOMER}").click()
        await expect(page.locator("#flash")).to_contain_text("cancelled")
        await expect(rows).to_have_count(1)
        assert (await site.backend.context.callbacks.get(other.id)).status.value == "cancelled"
        assert _waiting(site) == []
        await screenshot(page, "callback-list")
        assert_no_js_errors(page)


async def test_given_a_callback_missed_once_when_offered_again_then_the_desk_says_attempt_2_of_3(
    site,
):
    stored = await _callback(site, "+4930555111")
    await site.backend.context.callbacks.record_attempt(
        stored.id, reached=False, now=dt.datetime.now(dt.UTC), agent="agent2", result="busy"
    )
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.agent)
        # The first attempt missed; going ready, the agent is offered the second.
        await go_ready(page)
        banner = page.locator("#call-banner")
        await expect(banner).to_contain_text("callback, attempt 2 of 3")
        await expect(banner).to_contain_text("ringing")
        assert_no_js_errors(page)
