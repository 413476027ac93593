"""The voicemail inbox page: messages per queue, played in the browser, taken, called back
and closed by an agent; a scoped supervisor sees only their queues; a voicemail offered on
the desktop is accepted there and closed in the inbox, which ends the work."""

import datetime as dt
import wave

from acd import VoicemailQueued
from callcenter.db import RecordVoicemail
from callcenter.live import CallInfo
from tests.browser.helpers import (
    assert_no_js_errors,
    chromium,
    expect,
    go_ready,
    login,
    screenshot,
)
from tests.web_site import CALLER, CUSTOMER, SCOPED_SUPERVISOR


def _spool(site, tmp_path):
    folder = tmp_path / "voicemail"
    folder.mkdir()
    ctx = site.backend.context
    telephony = ctx.settings.telephony.model_copy(update={"voicemail_dir": str(folder)})
    ctx.settings = ctx.settings.model_copy(update={"telephony": telephony})
    return folder


async def _leave(site, folder, call_id, queue, seconds, minutes_ago):
    with wave.open(str(folder / f"{queue}-{call_id}.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * int(8000 * seconds))
    at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
    site.writer.submit(RecordVoicemail(call_id, queue, CALLER, site.customer_id, seconds, at))
    await site.flush()


async def test_an_agent_plays_a_message_calls_the_caller_back_and_closes_it(site, tmp_path):
    folder = _spool(site, tmp_path)
    await _leave(site, folder, "1732280000.1", "general", 3.0, 30)
    await _leave(site, folder, "1732280000.2", "billing", 1.0, 10)
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.agent)
        await page.goto("/voicemail")
        await expect(page.get_by_role("link", name="Voicemail")).to_be_visible()
        rows = page.locator("#messages tbody tr")
        await expect(rows).to_have_count(2)
        await page.get_by_label("Queue").select_option("general")
        await expect(rows).to_have_count(1)
        row = rows.first
        await expect(row).to_contain_text(CALLER)
        await expect(row).to_contain_text(CUSTOMER)
        await expect(row).to_contain_text("0:03")
        await expect(row).to_contain_text("New")

        await row.get_by_role("button", name=f"Open the message from {CUSTOMER}").click()
        await expect(page.locator("#message-title")).to_be_focused()
        # The browser loads the served WAV and reads its length: it plays.
        length = await page.locator("#player").evaluate(
            """player => new Promise((done, fail) => {
                player.addEventListener('loadedmetadata', () => done(player.duration));
                player.addEventListener('error', () => fail(new Error('no audio')));
                player.load();
            })"""
        )
        assert round(length) == 3

        await page.get_by_role("button", name="Take it").click()
        await expect(page.locator("#message-facts")).to_contain_text("In progress")
        await expect(page.locator("#message-facts")).to_contain_text("Anna Berg")
        await page.get_by_role("button", name="Call back").click()
        await expect(page.locator("#flash")).to_contain_text("requested")
        await expect(page.locator("#message-facts")).to_contain_text("Callback")

        await page.get_by_role("button", name="Close message").click()
        await expect(page.locator("#disposition-error")).to_have_text(
            "Choose how the message was handled."
        )
        await expect(page.get_by_label("Disposition")).to_be_focused()
        await page.get_by_label("Disposition").select_option("callback-promised")
        await page.get_by_label("Note").fill("called back, new card sent")
        await page.get_by_role("button", name="Close message").click()
        await expect(page.locator("#message-facts")).to_contain_text("called back, new card sent")
        await expect(rows.first).to_contain_text("Closed")
        await expect(page.get_by_role("button", name="Close message")).to_be_hidden()
        await screenshot(page, "voicemail-agent")
        assert_no_js_errors(page)


async def test_a_scoped_supervisor_sees_only_the_messages_of_their_queues(site, tmp_path):
    folder = _spool(site, tmp_path)
    await _leave(site, folder, "1732280000.1", "general", 3.0, 30)
    await _leave(site, folder, "1732280000.2", "billing", 1.0, 10)
    async with chromium() as browser:
        page = await login(browser, site.base_url, SCOPED_SUPERVISOR)
        await page.goto("/voicemail")
        rows = page.locator("#messages tbody tr")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text("billing")
        assert_no_js_errors(page)


async def test_a_voicemail_offered_on_the_desktop_is_accepted_handled_in_the_inbox_and_closed(
    site, tmp_path
):
    folder = _spool(site, tmp_path)
    await _leave(site, folder, "1732280000.7", "general", 2.0, 5)
    async with chromium() as browser:
        page = await login(browser, site.base_url, site.agent)
        await go_ready(page)
        center = site.center
        entry = "vm-1732280000.7"
        center.calls.add(
            CallInfo(
                entry,
                CALLER,
                None,
                center.host.now(),
                "general",
                customer_id=site.customer_id,
                customer_name=CUSTOMER,
            )
        )
        center.host.submit(VoicemailQueued(center.host.now(), entry, "general"))

        pop = page.locator("#pop")
        await expect(pop.locator("#call-banner")).to_contain_text("Voicemail")
        await expect(pop.locator("#pop-name")).to_have_text(CUSTOMER)
        await expect(page.locator("#vm-work-text")).to_contain_text("offered to you")
        await page.get_by_role("button", name="Accept voicemail").click()
        await expect(page.locator("#state")).to_have_text("Talking")
        await expect(page.get_by_role("button", name="Accept voicemail")).to_be_hidden()

        async with page.context.expect_page() as opened:
            await page.get_by_role("link", name="Open the message in the inbox").click()
        inbox = await opened.value
        await expect(inbox.locator("#message-title")).to_have_text(f"Message from {CUSTOMER}")
        await expect(inbox.locator("#message-facts")).to_contain_text("In progress")
        await inbox.get_by_label("Disposition").select_option("callback-promised")
        await inbox.get_by_role("button", name="Close message").click()
        await expect(inbox.locator("#message-facts")).to_contain_text("Closed")

        # Closing the message ended the work: the desktop goes to wrap-up as after a call.
        await expect(page.get_by_role("button", name="Ready now")).to_be_visible()
        await screenshot(page, "voicemail-desktop")
        assert_no_js_errors(page)
        assert_no_js_errors(inbox)
