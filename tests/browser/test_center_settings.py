"""The center settings page: numbers, hours, lists, supervisors' queues and alerts, changed
live by an admin, refused by field when wrong (issue 16)."""

from acd import QueueHoursChanged
from tests.browser.helpers import assert_no_js_errors, chromium, expect, login, screenshot
from tests.web_site import ADMIN, SCOPED_SUPERVISOR


async def _open(site, credentials=ADMIN):
    browser_page = await login(site.browser, site.base_url, credentials)
    await browser_page.goto("/admin")
    nav = browser_page.get_by_role("navigation", name="Pages")
    await nav.get_by_role("link", name="Center settings").click()
    await expect(browser_page.get_by_role("button", name="Save and put in force")).to_be_enabled()
    return browser_page


async def _document(site) -> dict:
    current = await site.backend.context.config_versions.current()
    assert current is not None
    return current.document


async def test_given_an_admin_when_numbers_hours_and_lists_change_then_a_new_version_is_in_force(
    site,
):
    async with chromium() as browser:
        site.browser = browser
        page = await _open(site)
        await expect(page.locator("#in-force")).to_contain_text("Version 1 is in force")
        # By keyboard: a new number row takes the focus; Tab reaches its flow.
        await page.get_by_role("button", name="Add a number").click()
        await page.keyboard.type("300")
        await page.keyboard.press("Tab")
        await page.keyboard.type("after_hours")
        await page.get_by_label("Holidays (one per line)").first.fill("12-25\n12-24")
        categories = page.locator("#categories tbody tr")
        await page.get_by_role("button", name="Add a category").click()
        await page.keyboard.type("warranty")
        await page.keyboard.press("Tab")
        await page.keyboard.type("120")
        await page.get_by_label("Dispositions (one per line)").press("End")
        await page.get_by_label("Dispositions (one per line)").press("Control+End")
        await page.keyboard.type("\nwarranty-claim")
        billing = page.get_by_role("row", name="billing")
        await billing.get_by_label("More callers waiting than, billing").fill("3")
        await page.get_by_role("combobox", name="general").select_option("hotline")
        await page.get_by_label("Attempts at most, general").fill("5")
        await page.get_by_label("After busy (s), general").fill("60")
        await page.get_by_label("What changed and why").fill("Christmas Eve closed")
        await page.get_by_role("button", name="Save and put in force").click()

        await expect(page.locator("#flash")).to_contain_text("Version 2 is in force")
        await expect(page.locator("#in-force")).to_contain_text("Version 2 is in force")
        await expect(categories).to_have_count(4)
        document = await _document(site)
        assert document["dialled_numbers"]["300"] == "after_hours"
        assert document["calendars"]["hotline"]["holidays"] == ["12-25", "12-24"]
        assert document["ticket_categories"]["warranty"] == 120
        assert document["dispositions"][-1] == "warranty-claim"
        assert document["queue_hours"] == {"general": "hotline"}
        assert document["callback_retries"]["queues"] == {
            "general": {"max_attempts": 5, "retry_seconds": 300, "by_result": {"busy": 60}}
        }
        assert document["alerts"]["queues"] == {
            "billing": {
                "service_level_below": None,
                "longest_wait_seconds": None,
                "calls_waiting_above": 3,
            }
        }
        # In force at once: the desktop's choices come from the new version.
        public = await page.evaluate("() => fetch('/api/config/public').then(r => r.json())")
        assert "warranty" in public["ticket_categories"]
        assert "warranty-claim" in public["dispositions"]
        await screenshot(page, "center-settings")
        assert_no_js_errors(page)


async def test_given_a_bad_range_and_an_unknown_supervisor_queue_when_saved_then_each_is_named_and_nothing_changes(  # noqa: E501
    site,
):
    async with chromium() as browser:
        site.browser = browser
        page = await _open(site)
        monday = page.get_by_label("Monday").first
        await monday.fill("18:00-08:00")
        await page.get_by_label("Time zone").first.fill("Mars/Base")
        await page.get_by_role("button", name="Add a category").click()
        await page.keyboard.type("warranty")
        await page.keyboard.press("Tab")
        await page.keyboard.type("-5")
        await page.get_by_role("button", name="Save and put in force").click()

        summary = page.locator("#error-summary")
        await expect(summary).to_be_visible()
        await expect(summary).to_be_focused()
        await expect(summary).to_contain_text("Nothing was changed")
        await expect(summary).to_contain_text("calendars.hotline.weekly: mon: '18:00-08:00' ends")
        await expect(summary).to_contain_text("calendars.hotline.timezone")
        await expect(summary).to_contain_text("ticket_categories: due within 0-8760 hours")
        # Each problem sits next to its input, which says it is wrong.
        await expect(monday).to_have_attribute("aria-invalid", "true")
        described = await monday.get_attribute("aria-describedby")
        await expect(page.locator(f"#{described}")).to_contain_text("ends before it starts")
        # A summary entry takes the keyboard to its input.
        await summary.get_by_role("button", name="calendars.hotline.timezone").click()
        await expect(page.get_by_label("Time zone").first).to_be_focused()
        # Nothing stored, the form keeps what was typed.
        assert len(await site.backend.context.config_versions.list()) == 1
        await expect(monday).to_have_value("18:00-08:00")
        # Discard: back to the version in force.
        await page.get_by_role("button", name="Discard changes").click()
        await expect(monday).to_have_value("08:00-18:00")
        await expect(summary).to_be_hidden()
        assert_no_js_errors(page)


async def test_given_supervisors_queues_set_when_the_supervisor_looks_then_they_see_only_those(
    site,
):
    async with chromium() as browser:
        site.browser = browser
        page = await _open(site)
        sue = page.get_by_role("group", name=SCOPED_SUPERVISOR[0])
        await expect(sue.get_by_role("checkbox", name="billing")).to_be_checked()
        await sue.get_by_role("checkbox", name="general").check()
        await sue.get_by_role("checkbox", name="billing").uncheck()
        await page.get_by_role("button", name="Save and put in force").click()
        await expect(page.locator("#in-force")).to_contain_text("Version 2 is in force")
        assert (await _document(site))["supervisors"][SCOPED_SUPERVISOR[0]] == ["general"]

        supervisor = await login(browser, site.base_url, SCOPED_SUPERVISOR)
        await supervisor.goto("/wallboard")
        queues = supervisor.locator("#queues > article")
        await expect(queues).to_have_count(1)
        await expect(queues.first).to_have_attribute("data-key", "general")
        # Not a page for supervisors.
        await supervisor.goto("/center")
        await expect(
            supervisor.get_by_text('not available to the role "supervisor"')
        ).to_be_visible()
        assert_no_js_errors(page)


async def test_given_a_queue_closed_by_its_hours_then_the_wallboard_says_so(site):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor)
        await page.goto("/wallboard")
        billing = page.get_by_role("article", name="Queue billing")
        await expect(billing).to_be_visible()
        await expect(billing.get_by_text("Closed (opening hours)")).to_be_hidden()
        await site.center.host.request(lambda now: QueueHoursChanged(now, "billing", False))
        await expect(billing.get_by_text("Closed (opening hours)")).to_be_visible()
        general = page.get_by_role("article", name="Queue general")
        await expect(general.get_by_text("Closed (opening hours)")).to_be_hidden()
        await site.center.host.request(lambda now: QueueHoursChanged(now, "billing", True))
        await expect(billing.get_by_text("Closed (opening hours)")).to_be_hidden()
        assert_no_js_errors(page)
