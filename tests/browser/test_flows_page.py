"""The IVR flows page: uploads checked as `flows check` checks files, versions, rollback
(issue 16)."""

import re

from tests.browser.helpers import assert_no_js_errors, chromium, expect, login, screenshot
from tests.flows_site import attach_flows


async def test_given_a_broken_then_a_good_upload_when_activating_the_old_one_then_it_is_rolled_back(
    site, tmp_path
):
    catalog = await attach_flows(site, tmp_path)
    running = catalog.library.flows
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.admin)
        await (
            page.get_by_role("navigation", name="Pages")
            .get_by_role("link", name="IVR flows")
            .click()
        )
        await expect(page).to_have_url(re.compile(r"/flows$"))
        flows = page.locator("#flows-table tbody")
        await expect(flows.locator("tr")).to_have_count(4)
        await page.get_by_role("button", name="Open flow main_hotline").click()
        editor = page.get_by_label("Flow text (YAML)")
        await expect(editor).to_have_value(re.compile(r"main_menu:"))
        await expect(page.get_by_label("Flow name")).to_have_value("main_hotline")
        good = await editor.input_value()

        # A choice leading to a node that does not exist: refused, line and node named.
        broken = good.replace("      4: complaints\n", "      4: complaint\n", 1)
        await editor.fill(broken)
        await page.get_by_role("button", name="Check, store and activate").click()
        errors = page.locator("#flow-errors")
        await expect(errors).to_be_focused()
        line = broken.splitlines().index("      4: complaint") + 1
        first = page.locator("#flow-error-list li").first
        await expect(first).to_contain_text(f"Line {line}, node main_menu, choices.4: ")
        await expect(first).to_contain_text("'complaint' is not a node of this flow")
        await expect(page.locator("#flow-errors-title")).to_contain_text("Nothing was changed")
        versions = page.locator("#versions tbody tr")
        await expect(versions).to_have_count(1)
        assert catalog.library.flows is running
        await screenshot(page, "flows-refused")

        # A good one, read from a file: stored as version 2, active, its tree drawn.
        changed = good.replace(
            "    timeout_s: 5\n    retries: 2\n", "    timeout_s: 7\n    retries: 2\n"
        )
        await page.get_by_label("Flow file (YAML)").set_input_files(
            files=[
                {"name": "main_hotline.yaml", "mimeType": "text/yaml", "buffer": changed.encode()}
            ]
        )
        await expect(editor).to_have_value(re.compile(r"timeout_s: 7"))
        await page.get_by_label("Comment").fill("callers need longer")
        await page.get_by_role("button", name="Check, store and activate").click()
        await expect(page.locator("#upload-status")).to_have_text(
            "Version 2 of main_hotline is active."
        )
        await expect(errors).to_be_hidden()
        await expect(versions).to_have_count(2)
        await expect(versions.first).to_contain_text("callers need longer")
        await expect(versions.first).to_contain_text("active")
        await expect(page.locator("#tree-heading")).to_have_text(
            "Tree of main_hotline, version 2 (active)"
        )
        await expect(page.locator("#tree")).to_contain_text("main_menu: ")
        await expect(flows.locator('tr[data-flow="main_hotline"] td').first).to_have_text("2")
        assert catalog.library.flows["main_hotline"].nodes["main_menu"].timeout_s == 7

        # Back to version 1: stored as version 3, equal to it, and run at once.
        await page.get_by_role("button", name="Activate version 1").click()
        await expect(page.locator("#flash")).to_contain_text(
            "Version 1 of main_hotline is active again"
        )
        await expect(versions).to_have_count(3)
        await expect(versions.first).to_contain_text("rollback to version 1")
        await expect(editor).to_have_value(good)
        assert catalog.library.flows["main_hotline"].nodes["main_menu"].timeout_s == 5
        await screenshot(page, "flows")
        assert_no_js_errors(page)


async def test_given_a_supervisor_when_opening_the_flows_then_they_read_but_cannot_change(
    site, tmp_path
):
    await attach_flows(site, tmp_path)
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor)
        await page.goto("/flows")
        await expect(page.locator("#read-only")).to_be_visible()
        await expect(page.locator("#versions tbody tr")).to_have_count(1)
        await expect(page.locator("#tree")).to_contain_text("after_hours: ")
        await expect(page.get_by_label("Flow text (YAML)")).to_be_hidden()
        await expect(page.get_by_role("button", name=re.compile("^Activate"))).to_have_count(0)
        await expect(page.get_by_role("button", name="Import changed flow files")).to_be_hidden()
        assert_no_js_errors(page)
