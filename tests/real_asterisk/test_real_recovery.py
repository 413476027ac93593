"""A real Asterisk 22 across a restart of the service, a cancelled ring and a callback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from structlog.testing import capture_logs

from acd import AcdSettings, AgentSettings, AgentState, QueueSettings
from tests.e2e.harness import STANDARD
from tests.real_asterisk.harness import center
from tests.real_asterisk.prompts import digits, seconds
from tests.real_asterisk.sipp import Answer, Press, Ring, Wait

SKILLS = {"lang-de": 3, "lang-en": 3}


def one_agent(ring_timeout: int = 5) -> AcdSettings:
    queue = QueueSettings(name="general", ring_timeout_seconds=ring_timeout, wrap_up_seconds=1)
    agent = AgentSettings(id="agent1", queues=("general",), skills=SKILLS)
    return AcdSettings(queues=(queue,), agents=(agent,))


def operator(*then: Wait | Press) -> list[Wait | Press]:
    """Press 0 (the operator) until the menu takes it, then `then`."""
    return [Wait(1), Press("0"), Wait(2), Press("0"), Wait(2), Press("0"), *then]


async def test_given_a_caller_waiting_across_a_restart_when_answered_then_the_row_is_whole(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    phones = {"agent1": Answer(0.5, 1.5)}
    async with (
        center(tmp_path, one_agent(), sounds=sounds, phones=phones, ready=()) as pbx,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        caller = await pbx.call(STANDARD[0], operator(Wait(40)))
        await pbx.until(lambda: pbx.acd._floor.calls, timeout=30)
        with capture_logs() as logs:
            await pbx.restart_service()
        warnings = [e for e in logs if e.get("log_level") in ("warning", "error")]
        assert warnings == [], warnings
        # The caller is still there (the dialplan keeps a queued caller waiting).
        assert await pbx.until(lambda: pbx.acd._floor.calls, timeout=10)
        await pbx.add_user("agent1", "agent")
        headers = await pbx.web_login(http, "agent1")
        await pbx.log_in("agent1")
        await pbx.phones["agent1"].wait_for("answer", timeout=20)
        await pbx.phones["agent1"].wait_for("hangup", timeout=10)
        await pbx.until(pbx.acd_idle, timeout=10)
        [row] = await pbx.interactions()
        assert (row.outcome, row.agent) == ("answered", "agent1")
        assert row.offered_at is not None
        assert row.answered_at is not None
        assert row.ended_at is not None
        assert row.offered_at <= row.answered_at <= row.ended_at
        url = f"{pbx.web_url}/api/interactions/{row.uniqueid}"
        patch = {"notes": "called after the restart", "disposition": "inquiry"}
        async with http.patch(url, json=patch, headers=headers) as response:
            assert response.status == 200, await response.text()
        await caller.stop()


async def test_given_a_ringing_agent_when_the_caller_hangs_up_then_the_ring_stops_at_once(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    phones = {"agent1": Ring()}
    async with center(tmp_path, one_agent(ring_timeout=30), sounds=sounds, phones=phones) as pbx:
        caller = await pbx.call(STANDARD[0], operator(Wait(6)))
        phone = pbx.phones["agent1"]
        await phone.wait_for("invite", timeout=30)
        assert await caller.finished(60) == 0
        [hangup] = caller.did("hangup")
        [cancel] = await phone.wait_for("cancel", timeout=5)
        assert cancel.at - hangup.at < 1.0
        await pbx.until(pbx.acd_idle, timeout=10)
        assert pbx.state("agent1") is AgentState.READY
        assert pbx.reason("agent1") is None
        [row] = await pbx.interactions()
        assert row.outcome == "abandoned"
        kinds = [event.kind for event in await pbx.events(row.uniqueid)]
        assert "abandon" in kinds
        assert "ring-no-answer" not in kinds
        assert "reject" not in kinds
        assert not await pbx.active_channels()


async def test_given_a_callback_request_when_the_agent_answers_then_the_trunk_is_called(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    number = STANDARD[0]
    phones = {"agent1": Answer(0.5, 3.0)}
    async with (
        center(tmp_path, one_agent(), sounds=sounds, phones=phones) as pbx,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        assert pbx.trunk is not None
        menu = seconds(sounds[0], "en", "custom/closed", "custom/opening-hours") + 1
        confirm = seconds(
            sounds[0], "en", "custom/callback-offer", *digits(number), "custom/callback-confirm"
        )
        caller = await pbx.call(
            number,
            [Wait(menu), Press("2"), Wait(confirm + 1.5), Press("1"), Wait(20)],
            hotline="199",
        )
        assert await caller.finished(60) == 0
        await pbx.phones["agent1"].wait_for("answer", timeout=30)
        await pbx.trunk.wait_for("invite", timeout=15)
        await pbx.trunk.wait_for("remote_bye", timeout=15)
        await pbx.add_user("sup1", "supervisor")
        await pbx.web_login(http, "sup1")

        async def done() -> list[dict[str, object]]:
            async with http.get(f"{pbx.web_url}/api/callbacks?status=done") as response:
                return list(await response.json())

        [request] = await pbx.until(done, timeout=15)
        assert request["number"] == number
        assert request["attempts"] == 1
        assert [(a["agent"], a["result"]) for a in request["history"]] == [("agent1", "reached")]


async def test_given_asterisk_out_of_rtp_ports_when_offers_fail_then_no_agent_is_paused(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    """Four RTP ports: two callers fill them, so Asterisk cannot place an agent's leg."""
    agents = AcdSettings(
        queues=(QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=1),),
        agents=tuple(
            AgentSettings(id=a, queues=("general",), skills=SKILLS) for a in ("agent1", "agent2")
        ),
    )
    phones = {"agent1": Answer(0.5, 1.0), "agent2": Answer(0.5, 1.0)}
    async with (
        center(tmp_path, agents, sounds=sounds, phones=phones, rtp_ports=4) as pbx,
        aiohttp.ClientSession() as http,
    ):

        async def metric(name: str) -> float:
            async with http.get(f"{pbx.web_url}/metrics") as response:
                for line in (await response.text()).splitlines():
                    if line.startswith(name + " ") or line.startswith(name + "{"):
                        return float(line.rsplit(" ", 1)[1])
            return 0.0

        rate = [step for _ in range(60) for step in (Wait(1), Press("5"))]
        waiting = await pbx.call(STANDARD[0], operator(*rate))
        await asyncio.sleep(0.5)
        leaving = await pbx.call(STANDARD[1], operator(Wait(10)))
        await pbx.until(lambda: metric("callcenter_pbx_failing"), timeout=40)
        for agent in ("agent1", "agent2"):
            assert pbx.state(agent) is not AgentState.NOT_READY
            assert not pbx.phones[agent].did("invite"), "Asterisk could not ring the phone"
        assert "couldn't allocate a port" in pbx.asterisk.console().lower() or (
            "could not allocate" in pbx.asterisk.console().lower()
        )
        # The second caller leaves and frees its ports: the first is answered.
        assert await leaving.finished(60) == 0
        await pbx.until(
            lambda: any(pbx.phones[a].did("answer") for a in ("agent1", "agent2")), timeout=40
        )

        async def recovered() -> bool:
            return await metric("callcenter_pbx_failing") == 0

        await pbx.until(recovered, timeout=10)
        await pbx.until(pbx.acd_idle, timeout=60)
        assert await waiting.finished(60) == 0
        answered = [r for r in await pbx.interactions() if r.outcome == "answered"]
        assert len(answered) == 1
        kinds = [event.kind for event in await pbx.events()]
        assert "offer-failed" in kinds
        assert "ring-no-answer" not in kinds
