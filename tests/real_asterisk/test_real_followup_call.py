"""The automated follow-up call on the real Asterisk (issue 17): a complaint whose follow-ups
are automated is resolved; the service originates the customer through the trunk into the
product's [followup] context, SIPp's trunk customer answers, hears the question and presses
2 (SIP INFO), and the ticket is reopened by the answer the IVR recorded; a busy customer
is called again, and each call is a contact in the customer's history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from tests.e2e.harness import STANDARD
from tests.real_asterisk.harness import RealCenter, center
from tests.real_asterisk.prompts import seconds
from tests.real_asterisk.sipp import Busy, Press, Wait
from tests.real_asterisk.test_real_ivr import one_queue

AUTOMATED = {"mode": "automated", "delay_hours": 0, "max_attempts": 2, "retry_minutes": 30}
TELEPHONY = {"followup_schedule_s": 0.2, "followup_ring_s": 15}


async def _api(
    pbx: RealCenter,
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    csrf: dict[str, str],
    body: Any = None,
) -> Any:
    async with http.request(method, f"{pbx.web_url}{path}", headers=csrf, json=body) as response:
        assert response.status < 300, await response.text()
        return await response.json()


async def _automated_complaints(pbx: RealCenter, http: aiohttp.ClientSession) -> dict[str, str]:
    """Log in as admin and make complaints' follow-ups automated calls; the CSRF header."""
    await pbx.add_user("admin", "admin")
    csrf = await pbx.web_login(http, "admin")
    current = await _api(pbx, http, "GET", "/api/config/acd", csrf)
    document = {**current["document"], "followups": {"categories": {"complaint": AUTOMATED}}}
    body = {"document": document, "base_version": current["version"]}
    await _api(pbx, http, "PUT", "/api/config/acd", csrf, body)
    return csrf


async def _resolved_complaint(
    pbx: RealCenter, http: aiohttp.ClientSession, csrf: dict[str, str], number: str
) -> int:
    """A complaint of the customer with `number`, worked up to `proposed`; its id."""
    customer = await pbx.service.backend.context.customers.find_by_phone(number)
    assert customer is not None
    fields = {"customer_id": customer.id, "category": "complaint", "subject": "parcel lost"}
    ticket = await _api(pbx, http, "POST", "/api/tickets", csrf, fields)
    for step in ("acknowledged", "investigated", "proposed"):
        await _api(pbx, http, "POST", f"/api/worklist/{ticket['id']}/step", csrf, {"step": step})
    return int(ticket["id"])


@asynccontextmanager
async def _followup_center(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> AsyncIterator[tuple[RealCenter, aiohttp.ClientSession, dict[str, str]]]:
    """A center whose complaints' follow-ups are automated calls, with no customer at the
    trunk yet (each test places its own), the admin logged in: the center, the admin's
    session and CSRF header."""
    async with (
        center(
            tmp_path, one_queue(), sounds=sounds, phones={}, ready=(), telephony=TELEPHONY
        ) as pbx,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        assert pbx.trunk is not None
        await pbx.trunk.stop()
        yield pbx, http, await _automated_complaints(pbx, http)


async def _at_step(
    pbx: RealCenter,
    http: aiohttp.ClientSession,
    csrf: dict[str, str],
    ticket: int,
    step: str,
    timeout: float,
) -> dict[str, Any]:
    """The ticket once it is at `step`."""

    async def there() -> dict[str, Any] | None:
        found = await _api(pbx, http, "GET", f"/api/worklist/{ticket}", csrf)
        return found if found["step"] == step else None

    found: dict[str, Any] = await pbx.until(there, timeout=timeout)
    return found


async def test_given_an_automated_followup_when_the_customer_presses_2_then_the_ticket_reopens(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    number = STANDARD[0]
    # The customer answers, lets the greeting play, presses 2 while the question plays.
    into_question = seconds(sounds[0], "en", "custom/followup-intro") + 1.0
    async with _followup_center(tmp_path, sounds) as (pbx, http, csrf):
        pbx.trunk = await pbx.sipp.trunk([Wait(into_question), Press("2", info=True), Wait(30)])
        ticket = await _resolved_complaint(pbx, http, csrf, number)

        # The service dials the customer through the trunk; they answer and press 2.
        await pbx.trunk.wait_for("answer", timeout=20)
        await pbx.trunk.wait_for("press", timeout=20)

        found = await _at_step(pbx, http, csrf, ticket, "reopened", timeout=30)
        assert found["history"][-1]["actor"] == "ivr"
        [followup] = found["followups"]
        assert (followup["mode"], followup["satisfied"], followup["attempts"]) == (
            "automated",
            False,
            1,
        )
        # The flow says goodbye and Asterisk hangs the customer up.
        await pbx.trunk.wait_for("remote_bye", timeout=20)


async def test_given_a_busy_customer_then_the_call_is_tried_again_and_the_answer_1_confirms(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    number = STANDARD[1]
    into_question = seconds(sounds[0], "en", "custom/followup-intro") + 1.0
    async with _followup_center(tmp_path, sounds) as (pbx, http, csrf):
        busy = await pbx.sipp.missing_customer(Busy())
        tickets = pbx.service.backend.context.tickets
        now = [datetime.now(UTC)]
        tickets.clock = lambda: now[0]
        ticket = await _resolved_complaint(pbx, http, csrf, number)

        # 486 Busy Here: Asterisk's OriginateResponse says Reason 0, the Hangup cause 17.
        await busy.wait_for("busy", timeout=20)

        async def first_call() -> dict[str, Any] | None:
            [followup] = await _api(pbx, http, "GET", "/api/followups", csrf)
            return followup if followup["attempts"] == 1 and not followup["dialling"] else None

        missed = await pbx.until(first_call, timeout=20)
        assert (missed["last_result"], missed["unreached"]) == ("busy", False)

        # The customer is free again: the retry after the rule's wait finds them.
        await busy.stop()
        pbx.trunk = await pbx.sipp.trunk([Wait(into_question), Press("1", info=True), Wait(30)])
        now[0] += timedelta(minutes=31)
        assert pbx.service.followup_calls is not None
        pbx.service.followup_calls.wake.set()

        found = await _at_step(pbx, http, csrf, ticket, "confirmed", timeout=40)
        [followup] = found["followups"]
        assert (followup["satisfied"], followup["attempts"]) == (True, 2)
        # Both calls are contacts of the customer's, with their results and the ticket.
        customer = found["customer_id"]
        history = await _api(pbx, http, "GET", f"/api/customers/{customer}/history", csrf)
        calls = [c for c in history if c["kind"] == "followup_call"]
        assert [(c["attempt"], c["outcome"], c["ticket_id"]) for c in calls] == [
            (2, "satisfied", ticket),
            (1, "busy", ticket),
        ]
