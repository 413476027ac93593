"""Several Asterisk servers on the wallboard: a caller waiting on one server is not given
to a ready agent on another, and the board shows each waiting call's and agent's server."""

from pathlib import Path

from acd import AcdSettings, AgentSettings, QueueSettings
from tests.browser.helpers import assert_no_js_errors, chromium, expect, go_ready, login, screenshot
from tests.web_site import open_site

ACD = AcdSettings(
    queues=(QueueSettings(name="general", ring_timeout_seconds=20, wrap_up_seconds=30),),
    agents=(
        AgentSettings(id="agent1", name="Anna Berg", queues=("general",), server="east"),
        AgentSettings(id="agent2", name="Ben Koch", queues=("general",), server="west"),
    ),
)


async def test_given_a_west_caller_and_an_east_agent_ready_then_the_board_shows_who_is_where(
    tmp_path: Path,
) -> None:
    async with open_site(tmp_path, acd=ACD) as site, chromium() as browser:
        desk = await login(browser, site.base_url, site.agent)
        await go_ready(desk)
        board = await login(browser, site.base_url, site.supervisor)
        await expect(board.locator("#connection")).to_have_text("Live")

        call_id = await site.queue_call(queue="general", server="west")

        row = board.locator(f'#calls tr[data-call-id="{call_id}"]')
        await expect(row).to_contain_text("Waiting")
        await expect(row).to_contain_text("general · west")
        east = board.locator('.agent-card[data-agent-id="agent1"]')
        await expect(east).to_have_attribute("data-state", "ready")
        await expect(east).to_contain_text("on east")
        await expect(board.locator('.agent-card[data-agent-id="agent2"]')).to_contain_text(
            "on west"
        )
        await screenshot(board, "wallboard_servers")
        assert_no_js_errors(board)
        assert_no_js_errors(desk)
