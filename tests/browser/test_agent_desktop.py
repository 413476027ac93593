"""The agent desktop through a whole call: ready, ringing pop, talk, notes, wrap-up, pause."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from callcenter.db.interactions import InteractionData
from tests.browser.helpers import assert_no_js_errors, chromium, expect, go_ready, login, screenshot
from tests.web_site import open_site


async def test_given_a_ready_agent_when_a_call_comes_then_pop_notes_and_wrap_up_work(site):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.agent)
        await expect(page).to_have_url(re.compile(r"/agent$"))
        await go_ready(page)
        await expect(page.locator("#state")).to_have_text("Ready")

        call_id = await site.queue_call(
            caller_number="+4930123456", queue="general", ivr_answers={"reason": "billing"}
        )

        pop = page.locator("#pop")
        await expect(pop.locator("#call-banner")).to_contain_text("Incoming call")
        await expect(pop.locator("#pop-name")).to_have_text("Erika Mustermann")
        await expect(pop.locator("#pop-tier")).to_have_text("Gold")
        await expect(pop.locator("#pop-number")).to_contain_text("123456")
        answers = pop.locator("#ivr-answers")
        await expect(answers).to_contain_text("Reason")
        await expect(answers).to_contain_text("billing")

        await site.answer(call_id)
        await expect(page.locator("#state")).to_have_text("Talking")
        await expect(pop.locator("#call-banner")).to_contain_text("On call")

        disposition = page.get_by_label("Disposition")
        await disposition.select_option(index=1)
        chosen = await disposition.input_value()
        await page.get_by_label("Notes", exact=True).fill("Asked about the March invoice.")
        await page.get_by_role("button", name="Save notes").click()
        await expect(page.locator("#notes-status")).to_contain_text("Saved")

        await page.get_by_label("Subject").fill("Invoice March is wrong")
        await page.get_by_role("button", name="Save ticket").click()
        await expect(page.locator("#ticket-status-text")).to_contain_text("created")
        await screenshot(page, "agent-desktop")

        response = await page.request.get(f"/api/interactions/{call_id}")
        assert response.ok, await response.text()
        interaction = await response.json()
        assert interaction["notes"] == "Asked about the March invoice."
        assert interaction["disposition"] == chosen

        await site.hang_up(call_id)
        ready_now = page.get_by_role("button", name="Ready now")
        await expect(ready_now).to_be_visible()
        await expect(page.locator("#wrapup-left")).to_have_text(re.compile(r"^\d+:\d\d$"))
        await ready_now.click()
        await expect(page.locator("#state")).to_have_text("Ready")
        await expect(ready_now).to_be_hidden()

        await page.get_by_label("Not ready reason").select_option("lunch")
        await page.keyboard.press("Alt+p")
        await expect(page.locator("#state")).to_have_text("Not ready")
        await expect(page.locator("#state-reason")).to_have_text("(Lunch)")
        assert_no_js_errors(page)


async def test_given_calls_that_ended_in_the_ivr_when_the_caller_calls_again_then_history_says_how(
    site,
):
    earlier = datetime.now(UTC) - timedelta(days=1)
    for n, outcome in enumerate(("self_service", "abandoned_in_ivr")):
        await site.backend.context.interactions.save(
            InteractionData(
                uniqueid=f"1732190000.{n}",
                arrived_at=earlier + timedelta(hours=n),
                caller_number="+4930123456",
                customer_id=site.customer_id,
                ended_at=earlier + timedelta(hours=n, minutes=1),
                outcome=outcome,
            )
        )
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.agent)
        await go_ready(page)
        await site.queue_call(caller_number="+4930123456", queue="general")

        history = page.locator("#history tbody")
        await expect(history.locator("tr")).to_have_count(2)
        await expect(history.locator("tr").nth(0)).to_contain_text("Abandoned in IVR")
        await expect(history.locator("tr").nth(1)).to_contain_text("Self service")
        assert_no_js_errors(page)


async def test_given_a_desk_abroad_when_a_caller_with_history_rings_then_times_are_the_centers(
    tmp_path: Path,
) -> None:
    async with open_site(tmp_path, timezone="Europe/Berlin") as site:
        earlier = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)  # 13:00 in Berlin, 07:00 in New York
        await site.backend.context.interactions.save(
            InteractionData(
                uniqueid="1768392000.1",
                arrived_at=earlier,
                caller_number="+4930123456",
                customer_id=site.customer_id,
                queue="general",
                agent="agent2",
                ended_at=earlier + timedelta(minutes=4),
                outcome="answered",
            )
        )
        async with chromium() as browser:
            page = await login(
                browser, site.base_url, site.agent, timezone_id="America/New_York", locale="en-GB"
            )
            await go_ready(page)
            await site.queue_call(caller_number="+4930123456", queue="general")

            row = page.locator("#history tbody tr").first
            await expect(row).to_contain_text("14/01/2026, 13:00 CET")
            await expect(row).to_contain_text("Ben Koch")  # named as on the wallboard
            assert_no_js_errors(page)
