"""Reports draw their charts from the event log and export the same rows as CSV."""

import asyncio
import csv
import datetime as dt
import io
from pathlib import Path
from urllib.parse import urlencode

from tests.browser.helpers import assert_no_js_errors, chromium, expect, login, screenshot
from tests.web_site import open_site

DAY = dt.datetime(2026, 1, 14, tzinfo=dt.UTC)
"""A winter day: the seeded history starts at 08:00 UTC, 09:00 in Berlin, 03:00 in New York."""
ABROAD = {"timezone_id": "America/New_York", "locale": "en-GB"}

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
        await expect(totals.get_by_role("rowheader", name="Anna Berg")).to_be_visible()
        assert await page.locator("#chart-volumes").evaluate(PLOTTED) > 0
        assert_no_js_errors(page)


async def test_given_a_desk_abroad_when_showing_15_minutes_then_buckets_are_the_centers_times(
    tmp_path: Path,
) -> None:
    async with open_site(tmp_path, timezone="Europe/Berlin") as site:
        await site.seed_history(DAY)
        async with chromium() as browser:
            page = await login(browser, site.base_url, site.supervisor, **ABROAD)
            day = DAY.date().isoformat()
            await page.goto("/reports?" + urlencode({"since": day, "until": day}))
            await expect(page.locator("#timezone-note")).to_contain_text("Europe/Berlin")

            await page.get_by_label("Interval", exact=True).select_option(label="15 minutes")
            await page.get_by_role("button", name="Show").click()

            summary = page.locator("#report-summary")
            await expect(summary).to_contain_text("times in Europe/Berlin")
            await expect(page.locator("#flash")).to_be_empty()
            labels = await page.locator("#chart-volumes").evaluate(
                "canvas => Chart.getChart(canvas).data.labels"
            )
            assert labels[:2] == ["14/01, 09:00", "14/01, 09:15"], labels
            await screenshot(page, "reports-15-minutes-abroad")
            assert_no_js_errors(page)


async def test_given_one_day_chosen_when_downloading_the_csv_then_it_holds_and_names_that_day(
    tmp_path: Path,
) -> None:
    async with open_site(tmp_path, timezone="Europe/Berlin") as site:
        await site.seed_history(DAY)
        await site.seed_history(DAY + dt.timedelta(days=1))
        async with chromium() as browser:
            page = await login(browser, site.base_url, site.supervisor, **ABROAD)
            day = DAY.date().isoformat()
            await page.goto("/reports?" + urlencode({"since": day, "until": day, "bucket": "day"}))
            await expect(page.locator("#report-summary")).to_contain_text("both included")

            async with page.expect_download() as started:
                await page.get_by_role("link", name="Download CSV").click()
            download = await started.value
            assert download.suggested_filename == f"queue-report-{day}-{day}-day.csv"
            path = Path(await download.path())
            text = await asyncio.to_thread(path.read_text, encoding="utf-8")
            rows = list(csv.DictReader(io.StringIO(text)))
            assert {row["start"][:10] for row in rows} == {day}
            assert_no_js_errors(page)
