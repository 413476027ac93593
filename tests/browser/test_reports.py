"""Reports draw their charts from the event log and export the same rows as CSV."""

import asyncio
import datetime as dt
from pathlib import Path
from urllib.parse import urlencode

from tests.browser.helpers import assert_no_js_errors, chromium, expect, login, screenshot

CHARTS = ["chart-volumes", "chart-service", "chart-times", "chart-survey"]
# Counts the painted pixels of a canvas: a drawn chart has thousands, a blank canvas none.
PAINTED = """canvas => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted += 1;
  return painted;
}"""
PLOTTED = """canvas => Chart.getChart(canvas).data.datasets
  .flatMap(d => d.data).filter(v => v !== null && v !== 0).length"""


def reports_path(seeded: object) -> str:
    """The reports page, on the seeded day when the fixture says which day that was."""
    if isinstance(seeded, dt.datetime):
        seeded = seeded.date()
    if isinstance(seeded, dt.date):
        day = seeded.isoformat()
        return "/reports?" + urlencode({"since": day, "until": day, "bucket": "hour"})
    return "/reports?bucket=hour"


async def test_given_a_day_of_history_when_opening_reports_then_charts_draw_and_csv_downloads(
    site,
):
    seeded = await site.seed_history()
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor)
        await page.goto(reports_path(seeded))

        totals = page.locator("#totals tbody")
        await expect(totals.get_by_role("rowheader", name="general")).to_be_visible()
        for chart in CHARTS:
            assert await page.locator(f"#{chart}").evaluate(PAINTED) > 1000, chart
        assert await page.locator("#chart-volumes").evaluate(PLOTTED) > 0
        await screenshot(page, "reports")

        async with page.expect_download() as started:
            await page.get_by_role("link", name="Download CSV").click()
        download = await started.value
        text = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8")
        header, *lines = text.splitlines()
        assert "offered" in header
        assert "queue" in header
        assert lines, text

        await page.get_by_label("Report").select_option("agents")
        await page.get_by_role("button", name="Show").click()
        await expect(page.locator("#totals thead th").first).to_have_text("Agent")
        await expect(totals.get_by_role("rowheader", name="agent1")).to_be_visible()
        assert await page.locator("#chart-volumes").evaluate(PLOTTED) > 0
        assert_no_js_errors(page)
