"""The supervisor wallboard follows a call from waiting to talking."""

import re

from tests.browser.helpers import assert_no_js_errors, chromium, expect, go_ready, login, screenshot


async def test_given_a_waiting_call_when_an_agent_answers_then_the_wallboard_shows_talking(site):
    async with chromium() as browser:
        board = await login(browser, site.base_url, site.supervisor)
        await expect(board).to_have_url(re.compile(r"/wallboard$"))
        await expect(board.locator("#connection")).to_have_text("Live")

        call_id = await site.queue_call(
            caller_number="+4930123456", queue="general", ivr_answers={"reason": "billing"}
        )

        row = board.locator(f'#calls tr[data-call-id="{call_id}"]')
        await expect(row).to_contain_text("Waiting")
        await expect(row).to_contain_text("Erika Mustermann")
        tile = board.get_by_role("article", name="Queue general")
        waiting = tile.locator('[data-metric="waiting"] .value')
        await expect(waiting).to_have_text(re.compile(r"^1\b"))

        desk = await login(browser, site.base_url, site.agent)
        await go_ready(desk)
        await expect(desk.locator("#pop-name")).to_have_text("Erika Mustermann")
        await site.answer(call_id)

        card = board.locator('.agent-card[data-agent-id="agent1"]')
        await expect(card).to_have_attribute("data-state", "talking")
        await expect(card).to_contain_text("Talking")
        await expect(row.filter(has_text="Waiting")).to_have_count(0)
        await expect(waiting).to_have_text(re.compile(r"^0\b"))

        await screenshot(board, "wallboard")

        await card.get_by_role("button", name=re.compile("^Manage")).click()
        dialog = board.get_by_role("dialog")
        await expect(dialog.get_by_role("button", name="Listen")).to_be_enabled()
        await dialog.get_by_role("button", name="Close").click()
        await expect(dialog).to_be_hidden()
        assert_no_js_errors(board)
        assert_no_js_errors(desk)
