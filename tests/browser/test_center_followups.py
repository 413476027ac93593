"""The center settings page's follow-up calls (issue 17): an admin makes complaints' follow-ups
automated IVR calls with their delay, calls and wait, in force as a new version; a bad value
is refused next to its input and nothing changes."""

from tests.browser.helpers import assert_no_js_errors, chromium, expect
from tests.browser.test_center_settings import _document, _open


async def test_given_an_admin_when_complaints_get_automated_followups_then_a_new_version_holds_them(
    site,
):
    async with chromium() as browser:
        site.browser = browser
        page = await _open(site)
        every = page.get_by_role("combobox", name="Who calls, Every category")
        await expect(every).to_have_value("agent")
        await page.get_by_role("combobox", name="Who calls, complaint").select_option("automated")
        await page.get_by_label("Automated call after (h), complaint").fill("2")
        await page.get_by_label("Calls at most, complaint").fill("2")
        await page.get_by_label("Wait after a miss (min), complaint").fill("45")
        await page.get_by_role("button", name="Save and put in force").click()

        await expect(page.locator("#flash")).to_contain_text("Version 2 is in force")
        document = await _document(site)
        assert document["followups"]["categories"] == {
            "complaint": {
                "mode": "automated",
                "delay_hours": 2,
                "max_attempts": 2,
                "retry_minutes": 45,
            }
        }
        assert document["followups"]["default"]["mode"] == "agent"
        # Read back: the form shows what is in force.
        await expect(page.get_by_role("combobox", name="Who calls, complaint")).to_have_value(
            "automated"
        )
        await expect(page.get_by_role("combobox", name="Who calls, request")).to_have_value("")
        assert_no_js_errors(page)


async def test_given_no_calls_at_all_when_saved_then_the_field_is_named_and_nothing_changes(site):
    async with chromium() as browser:
        site.browser = browser
        page = await _open(site)
        calls = page.get_by_label("Calls at most, Every category")
        await calls.fill("0")
        await page.get_by_role("button", name="Save and put in force").click()

        summary = page.locator("#error-summary")
        await expect(summary).to_be_visible()
        await expect(summary).to_contain_text("followups.default.max_attempts")
        await expect(calls).to_have_attribute("aria-invalid", "true")
        assert len(await site.backend.context.config_versions.list()) == 1
        assert_no_js_errors(page)
