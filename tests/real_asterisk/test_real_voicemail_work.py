"""Voicemail as work on the real Asterisk (issue 17): a message left after hours is a file
Asterisk wrote; it is routed to the agent's desktop (their SIP phone does not ring), accepted,
played from that file, called back agent-first (the agent's phone, then the trunk) and closed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from acd import CallKind, CallState
from tests.e2e.harness import STANDARD
from tests.real_asterisk.harness import RealCenter, center
from tests.real_asterisk.prompts import seconds
from tests.real_asterisk.sipp import Answer, Press, Wait
from tests.real_asterisk.test_real_ivr import one_queue


async def _api(
    pbx: RealCenter,
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    csrf: dict[str, str],
    **kw: Any,
) -> Any:
    async with http.request(method, f"{pbx.web_url}{path}", headers=csrf, **kw) as response:
        assert response.status < 300, await response.text()
        return await response.json()


async def test_given_a_message_left_then_the_agent_takes_it_plays_it_calls_back_and_closes_it(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    number = STANDARD[0]
    phones = {"agent1": Answer(0.5, 3.0)}
    async with (
        center(tmp_path, one_queue(), sounds=sounds, phones=phones, ready=()) as pbx,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        assert pbx.trunk is not None
        menu = seconds(sounds[0], "en", "custom/closed", "custom/opening-hours") + 1
        recording = seconds(sounds[0], "en", "vm-intro", "beep") + 0.5
        caller = await pbx.call(
            number,
            [Wait(menu), Press("1"), Wait(recording + 3), Press("#"), Wait(20)],
            hotline="199",
        )
        assert await caller.finished(60) == 0
        [row] = await pbx.until(pbx.interactions, timeout=10)
        assert row.outcome == "voicemail"
        entry = f"vm-{row.uniqueid}"
        host = pbx.service.backend.center.host
        waiting = await pbx.until(lambda: host.acd.call_view(entry, host.now()), timeout=10)
        assert waiting.kind is CallKind.VOICEMAIL

        # The agent comes in: the message is offered on the desktop, no phone rings.
        await pbx.log_in("agent1")
        await pbx.until(
            lambda: (v := host.acd.call_view(entry, host.now())) and v.state is CallState.OFFERED,
            timeout=10,
        )
        assert not pbx.phones["agent1"].did("invite")
        await pbx.add_user("agent1", "agent")
        csrf = await pbx.web_login(http, "agent1")
        accepted = await _api(pbx, http, "POST", f"/api/voicemail-work/{entry}/accept", csrf)
        assert (accepted["status"], accepted["caller_number"]) == ("in_progress", number)

        # Played: the bytes Asterisk wrote to its spool.
        [listed] = await _api(pbx, http, "GET", "/api/voicemails", csrf)
        async with http.get(f"{pbx.web_url}{listed['audio']}") as response:
            assert response.status == 200
            sound = await response.read()
        written = Path(row.ivr_data["voicemail.file"])
        assert sound == written.read_bytes()  # noqa: ASYNC240
        assert listed["seconds"] > 2

        # Called back agent-first (the agent's SIP phone, then the trunk), then closed.
        after = await _api(pbx, http, "POST", f"/api/voicemails/{listed['id']}/callback", csrf)
        closed = await _api(
            pbx,
            http,
            "POST",
            f"/api/voicemails/{listed['id']}/close",
            csrf,
            json={"disposition": "callback-promised", "note": "called back"},
        )
        assert closed["status"] == "closed"
        await pbx.phones["agent1"].wait_for("answer", timeout=30)
        await pbx.trunk.wait_for("invite", timeout=15)
        await pbx.trunk.wait_for("remote_bye", timeout=15)

        async def reached() -> list[str]:
            found = await pbx.service.backend.context.callbacks.get(after["callback_id"])
            return [a.result for a in found.history] if found is not None else []

        assert await pbx.until(reached, timeout=15) == ["reached"]
