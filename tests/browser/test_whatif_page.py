"""The what-if page: yesterday's calls replayed under a change, side by side (issue 16)."""

import datetime as dt
import json
import re

from tests.browser.helpers import assert_no_js_errors, chromium, expect, login, screenshot
from tests.browser.test_reports import PAINTED
from tests.web_site import SCOPED_SUPERVISOR

EDITED = "An edited copy of the configuration in force"
TEXT = "Changed configuration (JSON)"


def _yesterday() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=1)


async def _ready(page) -> None:
    """The page has loaded its day, versions and document (Compare is enabled then)."""
    await expect(page.get_by_role("button", name="Compare")).to_be_enabled()


async def _edit(page, change) -> dict:
    """Choose the edited copy, change its document with `change`, write it back."""
    await page.get_by_label(EDITED).check()
    box = page.get_by_label(TEXT)
    document = json.loads(await box.input_value())
    change(document)
    await box.fill(json.dumps(document, indent=2))
    return document


def _general(document: dict) -> dict:
    return next(q for q in document["queues"] if q["name"] == "general")


async def test_given_yesterdays_calls_when_wrap_up_takes_an_hour_then_general_answers_slower(site):
    seeded = await site.seed_history(_yesterday())
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor)
        await page.goto("/reports")
        await (
            page.get_by_role("navigation", name="Pages").get_by_role("link", name="What-if").click()
        )
        await expect(page.locator("#nothing-applied")).to_contain_text("Nothing is applied")
        await _ready(page)
        await expect(page.get_by_role("link", name="What-if")).to_have_attribute(
            "aria-current", "page"
        )
        await page.get_by_label("Day", exact=True).fill(seeded.date().isoformat())
        await _edit(page, lambda d: _general(d).update(wrap_up_seconds=3600))

        await page.get_by_role("button", name="Compare").click()

        general = page.get_by_role("region", name="Queue general")
        await expect(general).to_be_visible()
        asa = general.locator('tr[data-figure="asa"] td.diff')
        await expect(asa).to_have_attribute("data-verdict", "worse")
        await expect(asa).to_contain_text("worse")  # in words, not in colour alone
        offered = general.locator('tr[data-figure="offered"] td.diff')
        await expect(offered).to_have_text("no change")  # the same day's calls
        await expect(page.locator("#whatif-summary")).to_contain_text("40 calls")
        chart = general.locator("canvas")
        assert await chart.evaluate(PAINTED) > 1000
        lines = await chart.evaluate(
            "c => Chart.getChart(c).data.datasets.map(d => [d.label, d.data.length])"
        )
        assert [label for label, _ in lines] == ["Current", "Changed"]
        assert all(points > 0 for _, points in lines), lines
        # One time axis for all: billing (a call every 30 minutes) has gaps, not fewer steps.
        billing = page.get_by_role("region", name="Queue billing").locator("canvas")
        axes = [await c.evaluate("c => Chart.getChart(c).data.labels") for c in (chart, billing)]
        assert axes[0] == axes[1], axes
        assert axes[0][:2] == ["08:00 AM", "08:15 AM"] or axes[0][:2] == ["08:00", "08:15"], axes
        # Charts follow the queues chosen.
        await page.get_by_role("checkbox", name="billing").uncheck()
        await expect(page.get_by_role("region", name="Queue billing")).to_be_hidden()
        await expect(general).to_be_visible()
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 1440  # no sideways scrolling on a desk's screen
        await screenshot(page, "whatif")
        # Nothing was applied.
        assert (await site.backend.context.config_versions.current()).version == 1
        assert_no_js_errors(page)


async def test_given_a_ring_timeout_of_zero_when_comparing_then_the_field_is_named_and_no_result(
    site,
):
    await site.seed_history(_yesterday())
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor)
        await page.goto("/whatif")
        await _ready(page)
        document = await _edit(page, lambda d: _general(d).update(ring_timeout_seconds=0))
        index = document["queues"].index(_general(document))

        await page.get_by_role("button", name="Compare").click()

        errors = page.locator("#document-errors")
        field = f"queues[{index}].ring_timeout_seconds"
        await expect(errors).to_contain_text(field)
        await expect(errors).to_contain_text("general")
        await expect(errors).to_be_focused()  # a keyboard user is taken to the problems
        await expect(page.get_by_label(TEXT)).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#results")).to_be_hidden()
        # The problem's button puts the caret on the key in the text.
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("button", name=re.compile(re.escape(field)))).to_be_focused()
        await page.keyboard.press("Enter")
        box = page.get_by_label(TEXT)
        await expect(box).to_be_focused()
        selected = await box.evaluate("t => t.value.slice(t.selectionStart, t.selectionEnd)")
        assert selected == '"ring_timeout_seconds": 0', selected
        await screenshot(page, "whatif-invalid")

        await page.get_by_label(TEXT).fill("{ not json")
        await page.get_by_role("button", name="Compare").click()
        await expect(errors).to_contain_text("not valid JSON")
        await expect(errors).to_contain_text("line 1")
        assert (await errors.inner_text()).count("line 1") == 1  # said once
        assert_no_js_errors(page)


async def test_given_a_day_without_calls_then_the_page_says_so_and_a_stored_version_compares(
    site,
):
    await site.seed_history(_yesterday())
    quiet = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).date().isoformat()
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor, viewport=(800, 900))
        await page.goto("/whatif")
        await _ready(page)
        await expect(page.get_by_label("Stored version", exact=True)).to_contain_text(
            "Version 1 (in force)"
        )
        await page.get_by_label("Day", exact=True).fill(quiet)
        await page.get_by_role("button", name="Compare").click()

        empty = page.get_by_role("region", name="No calls that day")
        await expect(empty).to_contain_text(quiet)
        await expect(empty).to_contain_text("no calls")
        await expect(page.locator("#results")).to_be_hidden()

        today = dt.datetime.now(dt.UTC).date().isoformat()  # typed past the input's max
        await page.get_by_label("Day", exact=True).fill(today)
        await page.get_by_role("button", name="Compare").click()
        await expect(page.get_by_role("alert")).to_contain_text("must be a past day")

        await page.get_by_label("Day", exact=True).fill(_yesterday().date().isoformat())
        await page.get_by_role("button", name="Compare").click()
        await expect(empty).to_be_hidden()
        await expect(page.locator("#flash")).to_be_empty()  # the old complaint is gone
        general = page.get_by_role("region", name="Queue general")
        await expect(general.locator("td.diff").first).to_have_text("no change")
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 800  # an 800 px desk: no sideways scrolling
        await screenshot(page, "whatif-800px")
        assert_no_js_errors(page)


async def test_a_supervisor_of_billing_sees_only_billing(site):
    await site.seed_history(_yesterday())
    async with chromium() as browser:
        page = await login(browser, site.base_url, SCOPED_SUPERVISOR)
        await page.goto("/whatif")
        await _ready(page)
        await page.get_by_role("button", name="Compare").click()
        await expect(page.get_by_role("region", name="Queue billing")).to_be_visible()
        await expect(page.locator(".queue-result")).to_have_count(1)
        await expect(page.get_by_role("checkbox")).to_have_count(1)
        assert_no_js_errors(page)


async def test_an_admin_finds_the_page_in_the_admin_pages_navigation(site):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.admin)
        await expect(page).to_have_url(re.compile("/admin$"))
        await (
            page.get_by_role("navigation", name="Pages").get_by_role("link", name="What-if").click()
        )
        await expect(page).to_have_url(re.compile("/whatif$"))
        await _ready(page)
        await expect(page.get_by_label("Stored version", exact=True)).to_contain_text("Version 1")
        assert_no_js_errors(page)


async def test_given_agents_added_when_tried_on_yesterday_then_the_page_says_when_they_work(site):
    seeded = await site.seed_history(_yesterday())
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor)
        await page.goto("/whatif")
        await _ready(page)
        await page.get_by_label("Day", exact=True).fill(seeded.date().isoformat())
        await _edit(page, lambda d: d["agents"].append({"id": "extra1", "queues": ["general"]}))
        await page.get_by_role("button", name="Compare").click()
        summary = page.locator("#whatif-summary")
        await expect(summary).to_contain_text(
            "Agents the change adds (extra1) work that day's hours"
        )
        assert_no_js_errors(page)
