"""The what-if page on a synthetic day, and a compared change applied or discarded (issue 16)."""

import json
import re

from tests.browser.helpers import assert_no_js_errors, chromium, expect, login, screenshot
from tests.browser.test_reports import PAINTED
from tests.web_site import SCOPED_SUPERVISOR

SYNTHETIC = "A synthetic day"
EDITED = "An edited copy of the configuration in force"
TEXT = "Changed configuration (JSON)"
GET_CONFIG = "async () => (await fetch('/api/config/acd')).json()"
PUT_CONFIG = """async (change) => {
  const { api } = await import('/static/js/api.js');
  return api('PUT', '/api/config/acd', change);
}"""


async def _ready(page) -> None:
    """The page has loaded its versions and document (Compare is enabled then)."""
    await expect(page.get_by_role("button", name="Compare")).to_be_enabled()


async def _busy_morning(page, *, aht: str = "300") -> None:
    """A synthetic day: general alone, 40 calls an hour from 08:00 to 10:00, seed 7."""
    await page.get_by_label(SYNTHETIC).check()
    load = page.get_by_role("group", name="Load 1")
    await load.get_by_label("Queue", exact=True).select_option("general")
    await load.get_by_label("AHT, seconds").fill(aht)
    await load.get_by_label("Mean patience, seconds").fill("120")
    await load.get_by_label("Calls per hour for every hour").fill("0")
    await load.get_by_role("button", name="Set every hour").click()
    await load.get_by_label("Calls per hour from 08:00 to 09:00").fill("40")
    await load.get_by_label("Calls per hour from 09:00 to 10:00").fill("40")
    await page.get_by_label("Random seed").fill("7")


async def _edit(page, change) -> dict:
    """Choose the edited copy, change its document with `change`, write it back."""
    await page.get_by_label(EDITED).check()
    box = page.get_by_label(TEXT)
    document = json.loads(await box.input_value())
    change(document)
    await box.fill(json.dumps(document, indent=2))
    return document


def _two_more_agents(document: dict) -> None:
    for n in (4, 5):
        document["agents"].append({"id": f"agent{n}", "name": f"New {n}", "queues": ["general"]})


async def test_given_a_synthetic_morning_when_two_agents_are_added_then_sl_improves_and_apply_puts_them_in_force(  # noqa: E501
    site,
):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.admin)
        await page.goto("/whatif")
        await _ready(page)
        await _busy_morning(page)
        await _edit(page, _two_more_agents)

        await page.get_by_role("button", name="Compare").click()

        general = page.get_by_role("region", name="Queue general")
        sl = general.locator('tr[data-figure="service_level"] td.diff')
        await expect(sl).to_have_attribute("data-verdict", "better")
        abandoned = general.locator('tr[data-figure="abandoned"] td.diff')
        await expect(abandoned).to_have_attribute("data-verdict", "better")
        await expect(general.locator('tr[data-figure="offered"] td.diff')).to_have_text("no change")
        await expect(page.locator("#whatif-summary")).to_contain_text("made-up calls (seed 7)")
        chart = general.locator("canvas")
        assert await chart.evaluate(PAINTED) > 1000
        labels = await chart.evaluate("c => Chart.getChart(c).data.labels")
        assert labels[0] in ("08:00", "08:00 AM"), labels
        assert len(labels) == 8, labels  # the two busy hours, in quarters

        decide = page.get_by_role("region", name="Apply or discard the change")
        apply = decide.get_by_role("button", name="Apply the change")
        await expect(apply).to_be_enabled()
        await expect(decide).to_contain_text("in place of version 1")
        await decide.get_by_label("Comment for the new version").fill("two more for general")
        await apply.focus()
        await page.keyboard.press("Enter")  # by keyboard

        done = page.locator("#applied")
        await expect(done).to_contain_text("version 2 is in force now")
        await expect(done).to_be_focused()
        await expect(page.locator("#current-version")).to_have_text("2")
        await expect(apply).to_be_disabled()
        await expect(decide).to_contain_text("Applied: version 2 is in force")
        await expect(page.locator("#whatif-summary")).to_contain_text("in force now as version 2")
        await expect(page.get_by_label("Stored version", exact=True)).to_contain_text(
            "Version 2 (in force)"
        )
        acd = await page.evaluate(GET_CONFIG)
        assert acd["version"] == 2
        assert acd["comment"] == "two more for general"
        assert {"agent4", "agent5"} <= {a["id"] for a in acd["document"]["agents"]}
        # The running center took it: a new comparison's current is version 2.
        assert (await site.backend.context.config_versions.current()).version == 2
        await page.get_by_role("button", name="Compare").click()
        await expect(page.locator("#whatif-summary")).to_contain_text("version 2 in force")
        await expect(sl).to_have_text("no change")
        await screenshot(page, "whatif-applied")
        assert_no_js_errors(page)


async def test_given_a_compared_change_when_discarded_then_the_editor_holds_the_version_in_force(
    site,
):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor)
        await page.goto("/whatif")
        await _ready(page)
        in_force = (await page.evaluate(GET_CONFIG))["document"]
        await _busy_morning(page)
        await _edit(page, _two_more_agents)
        await page.get_by_role("button", name="Compare").click()
        await expect(page.get_by_role("region", name="Queue general")).to_be_visible()

        # A supervisor may not add agents (only an admin may): Apply says so and stays off.
        decide = page.get_by_role("region", name="Apply or discard the change")
        await expect(decide.get_by_role("button", name="Apply the change")).to_be_disabled()
        await expect(decide).to_contain_text("supervisors may not add, remove or rename agents")

        await decide.get_by_role("button", name="Discard the change").click()

        box = page.get_by_label(TEXT)
        await expect(box).to_be_focused()
        assert json.loads(await box.input_value()) == in_force
        await expect(decide).to_be_hidden()
        await expect(page.locator("#results")).to_be_hidden()
        await expect(page.locator("#whatif-summary")).to_contain_text(
            "Discarded: the editor holds version 1"
        )
        assert (await page.evaluate(GET_CONFIG))["version"] == 1
        assert_no_js_errors(page)


async def test_given_a_change_stored_meanwhile_when_applying_then_the_refusal_is_shown_and_nothing_is_stored(  # noqa: E501
    site,
):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.admin)
        await page.goto("/whatif")
        await _ready(page)
        await _busy_morning(page)
        mine = await _edit(page, _two_more_agents)
        await page.get_by_role("button", name="Compare").click()
        await expect(page.get_by_role("region", name="Queue general")).to_be_visible()
        # Someone else changes the configuration after this comparison.
        other = (await page.evaluate(GET_CONFIG))["document"]
        billing = next(q for q in other["queues"] if q["name"] == "billing")
        billing["wrap_up_seconds"] = 45
        await page.evaluate(PUT_CONFIG, {"document": other, "comment": "someone else"})

        await page.get_by_role("button", name="Apply the change").click()

        errors = page.locator("#apply-errors")
        await expect(errors).to_contain_text("Not applied")
        await expect(errors).to_contain_text("version 2 is current now, not version 1")
        await expect(errors).to_contain_text("Nothing was changed")
        await expect(errors).to_be_focused()
        await expect(page.locator("#applied")).to_be_hidden()
        acd = await page.evaluate(GET_CONFIG)
        assert acd["version"] == 2  # the other change, not ours
        assert acd["comment"] == "someone else"
        assert len(acd["document"]["agents"]) == len(mine["agents"]) - 2
        await screenshot(page, "whatif-apply-refused")
        assert_no_js_errors(page)


async def test_a_synthetic_day_with_bad_fields_names_each_by_its_input(site):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.supervisor, viewport=(800, 900))
        await page.goto("/whatif")
        await _ready(page)
        await _busy_morning(page, aht="0")
        load = page.get_by_role("group", name="Load 1")
        await load.get_by_label("Calls per hour from 05:00 to 06:00").fill("-3")
        await page.get_by_role("button", name="Add a load for another queue").click()
        second = page.get_by_role("group", name="Load 2")
        await expect(second.get_by_label("Queue", exact=True)).to_be_focused()
        await second.get_by_label("Queue", exact=True).select_option("general")

        await page.get_by_role("button", name="Compare").click()

        errors = page.locator("#synthetic-errors")
        await expect(errors).to_be_focused()  # a keyboard user is taken to the problems
        await expect(errors).to_contain_text("2 problems")
        await expect(errors).to_contain_text("Load 1 (general), AHT seconds")
        await expect(errors).to_contain_text("Load 1 (general), calls per hour 05:00\u201306:00")
        aht = load.get_by_label("AHT, seconds")
        await expect(aht).to_have_attribute("aria-invalid", "true")
        await expect(load.get_by_label("Calls per hour from 05:00 to 06:00")).to_have_attribute(
            "aria-invalid", "true"
        )
        await expect(page.locator("#results")).to_be_hidden()
        await expect(page.locator("#decide")).to_be_hidden()
        # Each problem is a button to its input.
        await page.keyboard.press("Tab")
        focused = page.get_by_role("button", name=re.compile("AHT seconds"))
        await expect(focused).to_be_focused()
        await page.keyboard.press("Enter")
        await expect(aht).to_be_focused()
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 800  # the hours wrap on an 800 px desk
        await screenshot(page, "whatif-synthetic-invalid")

        # Fixed, the second load for general is the next problem; removed, the day compares.
        await aht.fill("300")
        await load.get_by_label("Calls per hour from 05:00 to 06:00").fill("0")
        await page.get_by_role("button", name="Compare").click()
        await expect(errors).to_contain_text("Load 2 (general), queue: a second load")
        await expect(aht).not_to_have_attribute("aria-invalid", "true")
        await expect(second.get_by_label("Queue", exact=True)).to_have_attribute(
            "aria-invalid", "true"
        )
        await second.get_by_role("button", name="Remove load 2").click()
        await expect(
            page.get_by_role("button", name="Add a load for another queue")
        ).to_be_focused()
        await page.get_by_role("button", name="Compare").click()
        await expect(page.get_by_role("region", name="Queue general")).to_be_visible()
        await expect(errors).to_be_hidden()
        assert_no_js_errors(page)


def _queue(document: dict, name: str) -> dict:
    return next(q for q in document["queues"] if q["name"] == name)


async def test_a_supervisor_applies_a_change_to_their_queue_but_not_to_another(site):
    async with chromium() as browser:
        page = await login(browser, site.base_url, SCOPED_SUPERVISOR)  # billing only
        await page.goto("/whatif")
        await _ready(page)
        await page.get_by_label(SYNTHETIC).check()  # all (their) queues, 08:00-18:00
        await _edit(page, lambda d: _queue(d, "general").update(wrap_up_seconds=5))
        await page.get_by_role("button", name="Compare").click()
        await expect(page.get_by_role("region", name="Queue billing")).to_be_visible()
        decide = page.get_by_role("region", name="Apply or discard the change")
        apply = decide.get_by_role("button", name="Apply the change")
        await expect(apply).to_be_disabled()
        await expect(decide).to_contain_text("queue 'general' is not one of yours")

        # Their own queue: Apply goes through.
        await decide.get_by_role("button", name="Discard the change").click()
        await expect(page.locator("#whatif-summary")).to_contain_text("Discarded")
        await expect(decide).to_be_hidden()
        await _edit(page, lambda d: _queue(d, "billing").update(wrap_up_seconds=5))
        await page.get_by_role("button", name="Compare").click()
        await expect(page.get_by_role("region", name="Queue billing")).to_be_visible()
        await expect(apply).to_be_enabled()
        await apply.click()
        await expect(page.locator("#applied")).to_contain_text("version 2 is in force now")
        acd = await page.evaluate(GET_CONFIG)
        assert acd["version"] == 2
        assert _queue(acd["document"], "billing")["wrap_up_seconds"] == 5
        assert acd["comment"] == "what-if: edited copy applied"
        assert_no_js_errors(page)


async def test_given_a_phone_on_an_unknown_server_when_applying_then_the_key_is_named_and_nothing_is_stored(  # noqa: E501
    site,
):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.admin)
        await page.goto("/whatif")
        await _ready(page)
        await page.get_by_label(SYNTHETIC).check()
        document = await _edit(page, lambda d: d["agents"][0].update(server="nowhere"))
        await page.get_by_role("button", name="Compare").click()  # the replay ignores phones
        await expect(page.get_by_role("region", name="Queue general")).to_be_visible()

        await page.get_by_role("button", name="Apply the change").click()

        errors = page.locator("#apply-errors")
        await expect(errors).to_be_focused()
        await expect(errors).to_contain_text("Not applied: the configuration has 1 problem")
        await expect(errors).to_contain_text("document.agents[0].server")
        await expect(errors).to_contain_text("no Asterisk server is named 'nowhere'")
        await expect(errors).to_contain_text("version 1 stays in force")
        await expect(page.locator("#current-version")).to_have_text("1")
        # The edit stays for the user to fix; nothing was stored.
        assert json.loads(await page.get_by_label(TEXT).input_value()) == document
        assert (await page.evaluate(GET_CONFIG))["version"] == 1
        assert_no_js_errors(page)


async def test_a_stored_version_compared_is_applied_as_a_new_version_with_its_document(site):
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.admin)
        await page.goto("/whatif")
        await _ready(page)
        first = (await page.evaluate(GET_CONFIG))["document"]
        changed = json.loads(json.dumps(first))
        _queue(changed, "general")["wrap_up_seconds"] = 600
        await page.evaluate(PUT_CONFIG, {"document": changed, "comment": "long wrap-up"})
        await page.reload()
        await _ready(page)
        await page.get_by_label(SYNTHETIC).check()
        versions = page.get_by_label("Stored version", exact=True)
        await expect(versions).to_contain_text("Version 2 (in force)")
        await versions.select_option("1")  # back to the short wrap-up

        await page.get_by_role("button", name="Compare").click()

        general = page.get_by_role("region", name="Queue general")
        await expect(general.locator('tr[data-figure="asa"] td.diff')).to_have_attribute(
            "data-verdict", "better"
        )
        await expect(page.locator("#whatif-summary")).to_contain_text(
            "version 2 in force against version 1"
        )
        apply = page.get_by_role("button", name="Apply the change")
        await expect(apply).to_be_enabled()
        # Choosing another version after comparing takes Apply away until compared again.
        await versions.select_option("2")
        await expect(apply).to_be_disabled()
        await expect(page.locator("#apply-note")).to_contain_text("compare again")
        await versions.select_option("1")
        await apply.click()

        await expect(page.locator("#applied")).to_contain_text("version 3 is in force now")
        acd = await page.evaluate(GET_CONFIG)
        assert acd["version"] == 3
        assert acd["comment"] == "what-if: version 1 applied"
        assert (
            _queue(acd["document"], "general")["wrap_up_seconds"]
            == (_queue(first, "general")["wrap_up_seconds"])
        )
        assert_no_js_errors(page)
