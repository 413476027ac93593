"""The web channel on the real Asterisk (issue 17): a "call me back" form becomes a callback
that rings the agent's SIP phone first and then dials the customer through the trunk."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from tests.e2e.harness import STANDARD
from tests.e2e.test_e2e_web_callback import form_token, post_form
from tests.real_asterisk.harness import center
from tests.real_asterisk.sipp import Answer
from tests.real_asterisk.test_real_recovery import one_agent


async def test_given_a_web_form_when_sent_then_the_agent_is_rung_and_the_trunk_dials_the_customer(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    number = STANDARD[1]
    phones = {"agent1": Answer(0.5, 3.0)}
    web = {"public_callback": {"min_fill_s": 1.0}}
    async with (
        center(tmp_path, one_agent(), sounds=sounds, phones=phones, web=web) as pbx,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        assert pbx.trunk is not None
        token = await form_token(http, pbx.web_url)
        await asyncio.sleep(1.1)  # a person filling the form in
        fields = {"number": number, "name": "Erika Muster", "topic": "general", "token": token}
        status, answer = await post_form(http, pbx.web_url, fields)
        assert status == 201, answer
        assert answer["status"] == "queued"
        # Agent first: the agent's phone rings and answers, then the trunk is called.
        await pbx.phones["agent1"].wait_for("answer", timeout=30)
        await pbx.trunk.wait_for("invite", timeout=15)
        await pbx.trunk.wait_for("remote_bye", timeout=15)
        await pbx.add_user("sup1", "supervisor")
        await pbx.web_login(http, "sup1")

        async def done() -> list[dict[str, object]]:
            async with http.get(f"{pbx.web_url}/api/callbacks?status=done") as response:
                return list(await response.json())

        [request] = await pbx.until(done, timeout=15)
        assert (request["id"], request["number"], request["channel"]) == (
            answer["id"],
            number,
            "web",
        )
        assert [(a["agent"], a["result"]) for a in request["history"]] == [("agent1", "reached")]
