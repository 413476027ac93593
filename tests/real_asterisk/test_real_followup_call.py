"""The automated follow-up call on the real Asterisk (issue 17): a complaint whose follow-ups
are automated is resolved; the service originates the customer through the trunk into the
product's [followup] context, SIPp's trunk customer answers, hears the question and presses
2 (SIP INFO), and the ticket is reopened by the answer the IVR recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from tests.e2e.harness import STANDARD
from tests.real_asterisk.harness import RealCenter, center
from tests.real_asterisk.prompts import seconds
from tests.real_asterisk.sipp import Press, Wait
from tests.real_asterisk.test_real_ivr import one_queue

AUTOMATED = {"mode": "automated", "delay_hours": 0, "max_attempts": 1, "retry_minutes": 30}


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


async def test_given_an_automated_followup_when_the_customer_presses_2_then_the_ticket_reopens(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    number = STANDARD[0]
    # The customer answers, lets the greeting play, presses 2 while the question plays.
    into_question = seconds(sounds[0], "en", "custom/followup-intro") + 1.0
    telephony = {"followup_schedule_s": 0.2, "followup_ring_s": 15}
    async with (
        center(
            tmp_path, one_queue(), sounds=sounds, phones={}, ready=(), telephony=telephony
        ) as pbx,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        assert pbx.trunk is not None
        await pbx.trunk.stop()
        pbx.trunk = await pbx.sipp.trunk([Wait(into_question), Press("2", info=True), Wait(30)])
        await pbx.add_user("admin", "admin")
        csrf = await pbx.web_login(http, "admin")
        current = await _api(pbx, http, "GET", "/api/config/acd", csrf)
        document = {**current["document"], "followups": {"categories": {"complaint": AUTOMATED}}}
        await _api(
            pbx,
            http,
            "PUT",
            "/api/config/acd",
            csrf,
            {"document": document, "base_version": current["version"]},
        )
        customer = await pbx.service.backend.context.customers.find_by_phone(number)
        assert customer is not None
        ticket = await _api(
            pbx,
            http,
            "POST",
            "/api/tickets",
            csrf,
            {"customer_id": customer.id, "category": "complaint", "subject": "parcel lost"},
        )
        for step in ("acknowledged", "investigated", "proposed"):
            await _api(
                pbx, http, "POST", f"/api/worklist/{ticket['id']}/step", csrf, {"step": step}
            )

        # The service dials the customer through the trunk; they answer and press 2.
        await pbx.trunk.wait_for("answer", timeout=20)
        await pbx.trunk.wait_for("press", timeout=20)

        async def reopened() -> dict[str, Any] | None:
            found = await _api(pbx, http, "GET", f"/api/worklist/{ticket['id']}", csrf)
            return found if found["step"] == "reopened" else None

        found = await pbx.until(reopened, timeout=30)
        assert found["history"][-1]["actor"] == "ivr"
        [followup] = found["followups"]
        assert (followup["mode"], followup["satisfied"], followup["attempts"]) == (
            "automated",
            False,
            1,
        )
        # The flow says goodbye and Asterisk hangs the customer up.
        await pbx.trunk.wait_for("remote_bye", timeout=20)
