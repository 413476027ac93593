"""Layouts a user notices: the pop on a narrow screen, the wallboard on a TV, what buttons say."""

import re
from pathlib import Path

from acd import AgentLoggedIn, CallState
from callcenter.app.settings import load_settings
from tests.browser.helpers import (
    ARTIFACTS,
    assert_no_js_errors,
    chromium,
    expect,
    go_ready,
    login,
    screenshot,
)
from tests.web_site import open_site

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_ACD = load_settings(ROOT / "config" / "callcenter.yaml", require_secrets=False).acd
"""The shipped center: four queues, six agents."""
FULL_HD = (1920, 1080)


async def _busy_floor(site) -> list[str]:
    """Five agents ready; a call each for those the queues can reach, answered; then one
    more call waiting in every queue. The calls, answered first."""
    host = site.center.host
    for agent in ("agent2", "agent3", "agent4", "agent5", "agent6"):
        await host.request(lambda now, a=agent: AgentLoggedIn(now, a, ready=True))
    calls = []
    for queue in ("general", "billing", "support", "complaints", "billing"):
        call_id = await site.queue_call(caller_number=f"+4930555{len(calls):04d}", queue=queue)
        view = host.acd.call_view(call_id, host.now())
        if view is not None and view.state is CallState.OFFERED:
            await site.answer(call_id)
        calls.append(call_id)
    for queue in ("general", "billing", "support", "complaints"):
        calls.append(await site.queue_call(caller_number=f"+4930666{len(calls):04d}", queue=queue))
    return calls


async def test_given_four_queues_on_a_full_hd_wallboard_then_all_of_it_fits_on_the_screen(
    tmp_path: Path,
) -> None:
    async with open_site(tmp_path, acd=SHIPPED_ACD) as site:
        await _busy_floor(site)
        async with chromium() as browser:
            board = await login(browser, site.base_url, site.supervisor, viewport=FULL_HD)
            await expect(board.get_by_role("article", name=re.compile("^Queue "))).to_have_count(4)
            await expect(board.locator(".agent-card")).to_have_count(6)
            await expect(board.locator("#calls tbody tr")).not_to_have_count(0)
            await board.screenshot(path=ARTIFACTS / "wallboard-full-hd.png")
            width, height = await board.evaluate(
                "() => [document.documentElement.scrollWidth,"
                " document.documentElement.scrollHeight]"
            )
            assert width <= FULL_HD[0]
            assert height <= FULL_HD[1]
            # Seen whole, without scrolling the page or a box inside it.
            for item in (
                *await board.get_by_role("article", name=re.compile("^Queue ")).all(),
                *await board.locator(".agent-card").all(),
                *await board.locator("#calls tbody tr").all(),
            ):
                await expect(item).to_be_in_viewport(ratio=1)
            assert_no_js_errors(board)


async def test_given_an_800_px_wide_desk_when_a_call_rings_then_the_pop_is_on_screen(site):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.agent, viewport=(800, 600))
        await go_ready(page)

        await site.queue_call()

        await expect(page.locator("#call-banner")).to_contain_text("Incoming call")
        await expect(page.locator("#call-banner")).to_be_in_viewport(ratio=1)
        await expect(page.locator("#pop-name")).to_be_in_viewport(ratio=1)
        await page.screenshot(path=ARTIFACTS / "agent-desktop-800px.png")
        assert_no_js_errors(page)


async def test_given_a_talking_agent_when_a_supervisor_manages_them_then_only_legal_moves_show(
    site,
):
    async with chromium() as browser:
        desk = await login(browser, site.base_url, site.agent)
        await go_ready(desk)
        call_id = await site.queue_call()
        await site.answer(call_id)
        board = await login(browser, site.base_url, site.supervisor)
        card = board.locator('.agent-card[data-agent-id="agent1"]')
        await expect(card).to_have_attribute("data-state", "talking")

        await card.get_by_role("button", name=re.compile("^Manage")).click()

        dialog = board.get_by_role("dialog")
        moves = dialog.get_by_label("New state")
        await expect(moves.locator("option")).to_have_count(0)
        await expect(moves).to_be_disabled()
        await expect(dialog.get_by_role("button", name="Change state")).to_be_disabled()
        await expect(dialog).to_contain_text("No change of state while talking")
        await expect(dialog.get_by_role("button", name="Listen")).to_be_enabled()
        await dialog.get_by_role("button", name="Close").click()

        await site.hang_up(call_id)  # wrap-up: ready, not ready or log out, never log in
        await expect(card).to_have_attribute("data-state", "wrap_up")
        await card.get_by_role("button", name=re.compile("^Manage")).click()
        await expect(moves.locator("option")).to_have_text(["Ready", "Not ready", "Log out"])
        await screenshot(board, "wallboard-manage-wrap-up")
        assert_no_js_errors(board)
        assert_no_js_errors(desk)


async def test_given_ready_is_not_possible_then_the_ready_button_does_not_look_like_the_main_action(
    site,
):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.agent)
        await go_ready(page)  # ready: "Ready" is disabled, "Not ready" and "Log out" are not
        ready = page.get_by_role("button", name="Ready", exact=True)
        await expect(ready).to_be_disabled()

        look = await ready.evaluate(
            "b => { const s = getComputedStyle(b); return [s.backgroundColor, s.color]; }"
        )
        accent = await page.evaluate(
            "() => getComputedStyle(document.documentElement).getPropertyValue('--accent')"
        )

        assert look[0] in ("rgba(0, 0, 0, 0)", "transparent"), look  # no blue fill
        assert look[1] != "rgb(255, 255, 255)", look  # nor white text on it
        assert accent.strip() == "#0b5fb3"
        await page.get_by_label("Not ready reason").select_option("lunch")
        await page.get_by_role("button", name="Not ready", exact=True).click()
        await expect(ready).to_be_enabled()
        enabled = await ready.evaluate("b => getComputedStyle(b).backgroundColor")
        assert enabled == "rgb(11, 95, 179)", enabled  # the main action again
        assert_no_js_errors(page)
