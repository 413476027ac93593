"""The reports page downloads the call detail records of the chosen days and queue."""

import asyncio
import csv
import datetime as dt
import io
from pathlib import Path
from urllib.parse import urlencode

from callcenter.db import InteractionData
from tests.browser.helpers import assert_no_js_errors, chromium, expect, login
from tests.web_site import CALLER, CUSTOMER, Site, open_site

DAY = dt.datetime(2026, 1, 14, 8, 0, tzinfo=dt.UTC)
"""09:00 in Berlin, the center's time zone here."""
ABROAD = {"timezone_id": "America/New_York", "locale": "en-GB"}


async def _seed(site: Site) -> None:
    repo = site.backend.context.interactions
    await repo.save(
        InteractionData(
            uniqueid="1768377600.1",
            arrived_at=DAY,
            caller_number=CALLER,
            dialled_number="100",
            customer_id=site.customer_id,
            ivr_path=("welcome", "menu"),
            queue="general",
            agent="agent1",
            queued_at=DAY + dt.timedelta(seconds=10),
            offered_at=DAY + dt.timedelta(seconds=20),
            answered_at=DAY + dt.timedelta(seconds=25),
            ended_at=DAY + dt.timedelta(seconds=145),
            outcome="answered",
        )
    )
    await repo.save(
        InteractionData(
            uniqueid="1768378200.2",
            arrived_at=DAY + dt.timedelta(minutes=10),
            caller_number=CALLER,
            customer_id=site.customer_id,
            ivr_path=("welcome", "menu"),
            ended_at=DAY + dt.timedelta(minutes=11),
            outcome="abandoned_in_ivr",
        )
    )
    await repo.save(
        InteractionData(
            uniqueid="1768378800.3",
            arrived_at=DAY + dt.timedelta(minutes=20),
            caller_number=CALLER,
            customer_id=site.customer_id,
            queue="billing",
            ivr_data={"voicemail.file": "/var/spool/asterisk/callcenter/billing-3.wav"},
            ended_at=DAY + dt.timedelta(minutes=21),
            outcome="voicemail",
        )
    )
    callbacks = site.backend.context.callbacks
    request = await callbacks.request(
        number=CALLER,
        window_start=DAY,
        window_end=DAY + dt.timedelta(hours=4),
        now=DAY,
        queue="billing",
        customer_id=site.customer_id,
    )
    await callbacks.record_attempt(
        request.id, reached=False, now=DAY + dt.timedelta(minutes=30), agent="agent3",
        result="busy",
    )  # fmt: skip


async def _download(page, name: str) -> tuple[str, list[dict[str, str]]]:
    async with page.expect_download() as started:
        await page.get_by_role("link", name=name).click()
    download = await started.value
    text = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8")
    return download.suggested_filename, list(csv.DictReader(io.StringIO(text)))


async def test_given_a_day_of_contacts_when_downloading_call_records_then_each_is_a_row(
    tmp_path: Path,
) -> None:
    async with open_site(tmp_path, timezone="Europe/Berlin") as site:
        await _seed(site)
        async with chromium() as browser:
            page = await login(browser, site.base_url, site.supervisor, **ABROAD)
            day = DAY.date().isoformat()
            await page.goto("/reports?" + urlencode({"since": day, "until": day, "bucket": "day"}))
            await expect(page.locator("#report-summary")).to_contain_text("both included")

            name, rows = await _download(page, "Download call records (CSV)")

            assert name == f"call-records-{day}-{day}.csv"
            assert [(r["record_type"], r["call_id"], r["outcome"]) for r in rows] == [
                ("call", "1768377600.1", "answered"),
                ("call", "1768378200.2", "abandoned_in_ivr"),
                ("call", "1768378800.3", "voicemail"),
                ("callback_attempt", rows[3]["call_id"], "busy"),
            ]
            # The center's time, whatever zone the desk is in.
            assert rows[0]["arrived_at"] == "2026-01-14T09:00:00+01:00"
            assert rows[0]["customer_name"] == CUSTOMER
            assert rows[0]["talk_seconds"] == "120.0"
            assert rows[2]["voicemail_file"].endswith("billing-3.wav")

            # The link follows the form: the billing queue only, without pressing Show.
            await page.get_by_label("Queue", exact=True).select_option("billing")
            _, billing = await _download(page, "Download call records (CSV)")
            assert {(r["queue"], r["outcome"]) for r in billing} == {
                ("billing", "voicemail"),
                ("billing", "busy"),
            }

            # Another day chosen: that day's records (none), named after it.
            await page.get_by_label("From", exact=True).fill("2026-01-15")
            await page.get_by_label("To (including)").fill("2026-01-15")
            name, none = await _download(page, "Download call records (CSV)")
            assert (name, none) == ("call-records-2026-01-15-2026-01-15.csv", [])
            assert_no_js_errors(page)
