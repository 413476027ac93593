"""The product's Asterisk configuration on a real Asterisk 22, and `callcenter doctor` on it."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from acd import AcdSettings, AgentSettings, CallState, QueueSettings
from callcenter.doctor.checks import diagnose, report
from tests.real_asterisk.harness import center, require_build
from tests.real_asterisk.pbx import AGENT_PHONES, RealAsterisk, free_tcp_port
from tests.real_asterisk.sipp import Answer, Press, Wait

SKILLS = {"lang-de": 3, "lang-en": 3}


def six_agents() -> AcdSettings:
    """The shipped agents agent1..agent6 (phones agent1001..agent1006) in one queue."""
    queue = QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=1)
    agents = tuple(
        AgentSettings(id=f"agent{n}", queues=("general",), skills=SKILLS)
        for n in range(1, len(AGENT_PHONES) + 1)
    )
    return AcdSettings(queues=(queue,), agents=agents)


async def _boot(tmp_path: Path, sounds: tuple[Path, Path], *, trunk: bool) -> RealAsterisk:
    asterisk = RealAsterisk(
        require_build(), agi_port=free_tcp_port(), sounds=sounds[0], moh=sounds[1], trunk=trunk
    )
    await asterisk.start()
    return asterisk


async def test_given_the_shipped_config_when_asterisk_starts_then_sip_runs_with_no_error(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    for trunk in (False, True):
        asterisk = await _boot(tmp_path, sounds, trunk=trunk)
        try:
            modules = await asterisk.cli("module show like chan_pjsip")
            assert "Running" in modules
            assert "Not Running" not in modules
            dialplan = await asterisk.cli("dialplan show")
            for context in ("inbound", "ivr", "queue-hold", "survey", "callbacks", "outbound"):
                assert f"Context '{context}'" in dialplan
            endpoints = await asterisk.cli("pjsip show endpoints")
            assert ("trunk" in endpoints) is trunk
            assert asterisk.errors() == [], asterisk.errors()
        finally:
            await asterisk.stop()


async def test_given_every_phone_registered_when_the_doctor_runs_then_it_finds_nothing_wrong(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    phones = {f"agent{n}": Answer() for n in range(1, len(AGENT_PHONES) + 1)}
    async with center(tmp_path, six_agents(), sounds=sounds, phones=phones) as pbx:
        await pbx.register_supervisor(Answer())
        findings = await diagnose(pbx.settings)
        assert all(f.ok for f in findings), report(findings)
        assert report(findings).endswith("healthy")
        await pbx.phones["agent3"].stop()
        await pbx.sipp.register(
            "agent1003",
            pbx.asterisk.secrets.phones["agent1003"],
            pbx.phone_ports["agent3"],
            expires=0,
        )
        findings = await diagnose(pbx.settings)
        failed = [f for f in findings if not f.ok]
        assert len(failed) == 1, report(findings)
        assert "agent1003" in failed[0].message


async def test_given_a_call_when_a_supervisor_listens_whispers_and_barges_then_chanspy_runs(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    acd = AcdSettings(
        queues=(QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=1),),
        agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
    )
    phones = {"agent1": Answer(0.5, None)}
    async with (
        center(tmp_path, acd, sounds=sounds, phones=phones) as pbx,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        supervisor = await pbx.register_supervisor(Answer(0.3, 1.5))
        await pbx.add_user("sup1", "supervisor")
        headers = await pbx.web_login(http, "sup1")
        caller = await pbx.call(
            "+49305550002", [Wait(1), Press("0"), Wait(2), Press("0"), Wait(60)]
        )
        await pbx.phones["agent1"].wait_for("answer", timeout=30)
        # The phone's 200 OK comes before the bridge: a supervisor sees the call as
        # connected on the wallboard only once the ACD has it so, and listens then.
        [call_id] = await pbx.until(
            lambda: [c.id for c in pbx.acd._floor.calls.values() if c.state is CallState.CONNECTED],
            timeout=10,
        )
        for n, mode in enumerate(("listen", "whisper", "barge"), start=1):
            async with http.post(
                f"{pbx.web_url}/api/calls/{call_id}/spy", json={"mode": mode}, headers=headers
            ) as response:
                assert response.status == 200, await response.text()
                assert json.loads(await response.text())["endpoint"] == "PJSIP/supervisor9001"
            await supervisor.wait_for("answer", count=n, timeout=15)
            spying = await pbx.channel_running("ChanSpy")
            assert "PJSIP/agent1001" in spying
            await supervisor.wait_for("hangup", count=n, timeout=15)
        await caller.stop()
