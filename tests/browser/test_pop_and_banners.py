"""What the desk shows as a call rings: no stale complaint, the flow's words, fresh history."""

from acd import AgentLoggedIn
from callcenter.app.settings import SHIPPED_FLOWS
from callcenter.ivr.loader import load_flow_dir
from tests.browser.helpers import assert_no_js_errors, chromium, expect, go_ready, login, screenshot
from tests.web_site import CALLER

IVR_DATA = {
    "caller_number": CALLER,
    "dnis": "100",
    "call_id": "1732280000.99",
    "language": "de",
    "menu_choice": "2",
    "reason": "billing",
    "estimated_wait_s": "45",
}


async def test_given_an_error_banner_when_dismissed_or_the_next_call_rings_then_it_is_gone(site):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.agent)
        await go_ready(page)
        errors = page.locator("#flash .message.error")
        not_ready = page.get_by_role("button", name="Not ready", exact=True)

        await not_ready.click()
        await expect(errors.locator("span")).to_have_text("Choose a reason for not ready first.")
        await page.get_by_role("button", name="Dismiss this message").click()
        await expect(errors).to_have_count(0)

        await not_ready.click()
        await expect(errors).to_have_count(1)
        await site.queue_call()
        await expect(page.locator("#pop-name")).to_have_text("Erika Mustermann")
        await expect(errors).to_have_count(0)
        assert_no_js_errors(page)


async def test_given_a_caller_whose_earlier_call_ended_while_waiting_then_the_pop_says_how(site):
    site.center.pops.labels = load_flow_dir(SHIPPED_FLOWS).pop_labels
    host = site.center.host
    earlier = await site.queue_call(caller_number=CALLER)
    waiting = await site.queue_call(caller_number=CALLER, ivr_answers=IVR_DATA)
    await site.center.pops.pop_for(waiting)  # gathered while the caller waits
    await host.request(lambda now: AgentLoggedIn(now, "agent2", ready=True))
    await host.drain()
    await site.answer(earlier)  # Ben Koch took the earlier call ...
    await site.hang_up(earlier, by_caller=False)  # ... and it is over before the next rings

    async with chromium() as browser:
        page = await login(browser, site.base_url, site.agent)
        await go_ready(page)

        answers = page.locator("#ivr-answers")
        await expect(answers).to_contain_text("Reason for calling")
        await expect(answers).to_contain_text("billing")
        await expect(answers).to_contain_text("Language")
        for internal in ("Dnis", "Call id", "Estimated wait", "Menu choice", "1732280000.99"):
            await expect(answers).not_to_contain_text(internal)
        row = page.locator("#history tbody tr").first
        await expect(row).to_contain_text("Ben Koch")
        await expect(row).to_contain_text("Answered")
        await screenshot(page, "agent-pop-labels-history")
        assert_no_js_errors(page)
