"""A callback whose customer is busy, then answers, on the real Asterisk (issue 17).

A "call me back" form becomes a callback; the agent's SIP phone is rung first and answers,
then the trunk dials the customer, who is busy (486: SIPp answers every call so) on the
first attempt. The retry policy (a short wait in this configuration) puts the callback in
line again; the trunk now plays a customer who answers, and the second attempt reaches
them while the agent writes notes on the desk. Both attempts are stored with their results,
the request is done, and each attempt is an interaction of its own: the busy one without
notes, the answered one with the agent's.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from tests.e2e.harness import STANDARD
from tests.e2e.test_e2e_web_callback import form_token, post_form
from tests.real_asterisk.harness import center
from tests.real_asterisk.sipp import Answer, Busy
from tests.real_asterisk.test_real_recovery import one_agent


async def test_given_a_busy_customer_when_the_callback_is_retried_then_the_second_attempt_reaches_them(  # noqa: E501
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    number = STANDARD[1]
    # The agent talks 6 s on an answered attempt; Asterisk ends a missed one at once.
    phones = {"agent1": Answer(0.5, 6.0)}
    web = {"public_callback": {"min_fill_s": 1.0}}
    telephony = {"callback_retry_s": 4.0}
    async with (
        center(
            tmp_path, one_agent(), sounds=sounds, phones=phones, web=web, telephony=telephony
        ) as pbx,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        assert pbx.trunk is not None
        await pbx.trunk.stop()
        busy = pbx.trunk = await pbx.sipp.missing_customer(Busy())
        token = await form_token(http, pbx.web_url)
        await asyncio.sleep(1.1)  # a person filling the form in
        fields = {"number": number, "name": "Erika Muster", "topic": "general", "token": token}
        status, answer = await post_form(http, pbx.web_url, fields)
        assert status == 201, answer
        request = answer["id"]

        # First attempt: the agent answers, the customer's line is busy.
        await pbx.phones["agent1"].wait_for("answer", timeout=30)
        await busy.wait_for("busy", timeout=15)
        await busy.stop()
        answering = pbx.trunk = await pbx.sipp.trunk()
        await pbx.add_user("agent1", "agent")
        csrf = await pbx.web_login(http, "agent1")

        # Second attempt, after the retry wait: the customer answers; the agent writes
        # notes on the desk during the call (the desk names the callback entry).
        await pbx.phones["agent1"].wait_for("answer", count=2, timeout=30)
        await answering.wait_for("answer", timeout=15)
        notes = {"notes": "refund explained, customer happy", "disposition": "billing"}
        async with http.patch(
            f"{pbx.web_url}/api/interactions/cb-{request}", json=notes, headers=csrf
        ) as response:
            assert response.status == 200, await response.text()
            saved = await response.json()
        await answering.wait_for("remote_bye", timeout=15)

        callbacks = pbx.service.backend.context.callbacks

        async def done() -> Any:
            found = await callbacks.get(request)
            return found if found is not None and str(found.status) == "done" else None

        stored = await pbx.until(done, timeout=15)
        first = await pbx.interaction(f"cb-{request}-1")
        second = await pbx.interaction(f"cb-{request}-2")

    assert [(a.agent, a.result) for a in stored.history] == [
        ("agent1", "busy"),
        ("agent1", "reached"),
    ]
    assert stored.attempts == 2
    assert saved["uniqueid"] == f"cb-{request}-2"  # on the attempt under way
    assert (first.outcome, first.agent, first.notes, first.answered_at) == (
        "busy",
        "agent1",
        "",
        None,
    )
    assert (second.outcome, second.notes, second.disposition) == (
        "reached",
        "refund explained, customer happy",
        "billing",
    )
    assert second.answered_at is not None
    assert second.ended_at is not None
    assert second.ended_at > second.answered_at
    # The trunk was called once per attempt.
    assert (len(busy.did("invite")), len(answering.did("invite"))) == (1, 1)
