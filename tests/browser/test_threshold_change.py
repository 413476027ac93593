"""A queue's service-level threshold changes mid-day (issue 16): the wallboard shows the new
threshold and target at once, and the reports page judges the earlier call by the old
threshold and the later one by the new."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from acd import AcdSettings, AgentSettings, QueueSettings
from tests.browser.helpers import (
    assert_no_js_errors,
    chromium,
    expect,
    go_ready,
    login,
    screenshot,
)
from tests.web_site import Site, open_site

if TYPE_CHECKING:
    from playwright.async_api import Locator

CENTER = AcdSettings(
    queues=(
        # No wrap-up: the agent is ready for the next call as soon as one ends.
        QueueSettings(
            name="general", wrap_up_seconds=0, service_level_seconds=20, service_level_target=0.8
        ),
        QueueSettings(name="billing"),  # the test site's scoped supervisor oversees it
    ),
    agents=(AgentSettings(id="agent1", name="Anna Berg", queues=("general",)),),
)


async def answered_after(site: Site, seconds: float) -> None:
    """A caller for general, whom the agent (ready on the desk) answers after ``seconds``."""
    call_id = await site.queue_call(queue="general")
    site.advance(seconds)
    await site.answer(call_id)
    await site.hang_up(call_id)


async def test_given_a_threshold_cut_mid_day_then_the_wallboard_and_reports_show_each_in_force(
    tmp_path: Path,
) -> None:
    async with open_site(tmp_path, acd=CENTER) as site, chromium() as browser:
        board = await login(browser, site.base_url, site.supervisor)
        tile = board.get_by_role("article", name="Queue general")
        service = tile.locator('[data-metric="sl"]')
        await expect(service.locator(".label")).to_have_text("Service level (target 80% in 20 s)")

        desk = await login(browser, site.base_url, site.agent)
        await go_ready(desk)
        await answered_after(site, 15)  # within the 20 s in force
        await expect(service.locator(".value")).to_have_text("100%")

        # The admin changes the queue (through the API: the page is another feature's).
        admin = await login(browser, site.base_url, site.admin)
        me = await (await admin.request.get("/api/me")).json()
        current = await (await admin.request.get("/api/config/acd")).json()
        document = copy.deepcopy(current["document"])
        (general,) = [q for q in document["queues"] if q["name"] == "general"]
        general.update(service_level_seconds=10, service_level_target=0.9)
        stored = await admin.request.put(
            "/api/config/acd",
            headers={"X-CSRF-Token": me["csrf_token"]},
            data={"document": document, "comment": "answer faster"},
        )
        assert stored.ok, await stored.text()

        await expect(service.locator(".label")).to_have_text("Service level (target 90% in 10 s)")
        await expect(desk.locator("#state")).to_have_text("Ready")
        await answered_after(site, 15)  # over the 10 s in force now
        # The first call keeps its 20 s: one of two within, not none.
        await expect(service.locator(".value")).to_have_text("50%")
        await expect(service).to_have_class(re.compile(r"\bbad\b"))
        await screenshot(board, "wallboard-threshold-changed")

        await site.flush()
        today = datetime.fromtimestamp(site.center.host.now(), UTC).date().isoformat()
        await board.goto("/reports?" + urlencode({"since": today, "until": today, "bucket": "day"}))
        table = board.locator("#totals")
        await expect(table.locator("thead th")).to_contain_text(
            ["Queue", "Answered", "Service level", "Within threshold", "SL target"]
        )
        row = table.locator("tbody tr").filter(
            has=board.get_by_role("rowheader", name="general", exact=True)
        )
        cells = await _by_column(table, row)
        assert cells["Answered"] == "2"
        assert cells["Within threshold"] == "1"  # 15 s: within 20 s before, over 10 s after
        assert cells["Service level"] == "50%"
        assert cells["SL target"] == "85%"  # 80 % for the first call, 90 % for the second
        await screenshot(board, "reports-threshold-changed")
        for page in (board, desk, admin):
            assert_no_js_errors(page)


async def _by_column(table: Locator, row: Locator) -> dict[str, str]:
    """The row's cells by their column's heading."""
    await expect(row).to_have_count(1)
    headers = await table.locator("thead th").all_inner_texts()
    values = await row.locator("th, td").all_inner_texts()
    return dict(zip(headers, values, strict=True))
