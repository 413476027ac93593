"""`callcenter doctor` against the PBX simulator: healthy, and each problem it detects.

The simulator lists the product's own dialplan (config/asterisk/extensions.conf, its
FastAGI URLs pointed at this test's port) and the agents' phones; each test breaks one
thing and checks that the doctor names it and says how to fix it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from acd import AcdSettings, AgentSettings, QueueSettings
from callcenter import __version__
from callcenter.agi import FastAGIServer
from callcenter.app.settings import Settings
from callcenter.cli.main import main
from callcenter.db import make_engine, upgrade
from callcenter.doctor.checks import Finding, diagnose, report
from callcenter.doctor.fastagi import DOCTOR_SCRIPT, answer_doctor
from callcenter.sim import AgentPhone, PbxSimulator, SimOptions
from tests.asterisk_conf import dialplan, parse

ROOT = Path(__file__).resolve().parents[2]
SECRET = "doctor-secret"
PHONES = ("agent1001", "agent1002", "supervisor9001")
STANDBY = 9  # the discard port: nothing listens there


async def free_port() -> int:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port: int = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    return port


def product_dialplan(agi_port: int, *, without: str = "") -> tuple[Any, ...]:
    """config/asterisk/extensions.conf as ShowDialPlan rows, FastAGI on this test's port."""
    contexts, _ = dialplan(parse(ROOT / "config" / "asterisk" / "extensions.conf"))
    rows = []
    for context, extens in contexts.items():
        if context == without:
            continue
        for exten, steps in extens.items():
            data = tuple(
                (s.app, s.data.replace("agi://backend:4573", f"agi://127.0.0.1:{agi_port}"))
                for s in steps
            )
            rows.append((context, exten, data))
    return tuple(rows)


@dataclass
class Lab:
    sim: PbxSimulator
    settings: Settings

    def with_server(self, **fields: Any) -> Settings:
        """The settings with the AMI server's `fields` changed."""
        server = self.settings.asterisk.servers[0].model_copy(update=fields)
        asterisk = self.settings.asterisk.model_copy(update={"servers": [server]})
        return self.settings.model_copy(update={"asterisk": asterisk})


@contextlib.asynccontextmanager
async def lab(
    tmp_path: Path,
    *,
    without_context: str = "",
    unregistered: tuple[str, ...] = (),
    listening: bool = True,
    migrated: bool = True,
) -> AsyncIterator[Lab]:
    agi_port = await free_port()
    options = SimOptions(
        dialplan=product_dialplan(agi_port, without=without_context), auth_fail_delay_s=0.05
    )
    sim = PbxSimulator(agi_port=agi_port, secret=SECRET, options=options)
    # extensions.conf [globals]: the FastAGI fail-over's nodes, the second one not running.
    sim.pbx.globals.update(BACKEND1=f"127.0.0.1:{agi_port}", BACKEND2=f"127.0.0.1:{STANDBY}")
    await sim.start()
    for endpoint in PHONES:
        sim.add_phone(AgentPhone(endpoint, registered=endpoint not in unregistered))
    agi = FastAGIServer(host="127.0.0.1", port=agi_port)
    agi.route(DOCTOR_SCRIPT, answer_doctor)  # as the service routes it
    if listening:
        await agi.start()
    db = tmp_path / "doctor.db"
    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    if migrated:
        await upgrade(engine)
    else:
        async with engine.connect():
            pass  # an empty database file, never migrated
    await engine.dispose()
    acd = AcdSettings(
        queues=(QueueSettings(name="general"),),
        agents=(
            AgentSettings(id="agent1", name="Anna", queues=("general",)),
            AgentSettings(id="agent2", name="Ben", queues=("general",)),
        ),
    )
    settings = Settings(
        asterisk={
            "servers": [
                {"name": "sim", "port": sim.ami_port, "username": "callcenter", "secret": SECRET}
            ]
        },
        fastagi={"host": "127.0.0.1", "port": agi_port},
        database={"url": f"sqlite+aiosqlite:///{db}"},
        telephony={
            "agent_endpoints": {"agent1": "PJSIP/agent1001", "agent2": "PJSIP/agent1002"},
            "supervisor_endpoints": {"sup1": "PJSIP/supervisor9001"},
        },
        acd=acd,
    )
    try:
        yield Lab(sim, settings)
    finally:
        await agi.close()
        await sim.close()


def problems(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if not f.ok]


async def test_given_a_healthy_installation_then_every_check_passes(tmp_path: Path) -> None:
    async with lab(tmp_path) as running:
        findings = await diagnose(running.settings, timeout=2)
    assert problems(findings) == []
    # The dialplan's second backend node (fail-over) is not running: said, not a problem.
    [standby] = [f for f in findings if f"127.0.0.1:{STANDBY}" in f.message]
    assert standby.ok
    assert "fail-over node" in standby.message
    checks = {f.check for f in findings}
    assert checks == {"ami", "dialplan", "phones", "fastagi", "database"}
    assert report(findings).endswith("healthy")


async def test_given_ami_down_then_it_says_not_reachable(tmp_path: Path) -> None:
    async with lab(tmp_path) as running:
        closed = await free_port()
        findings = await diagnose(running.with_server(port=closed), timeout=2)
    [ami] = [f for f in problems(findings) if f.check == "ami"]
    assert "AMI not reachable" in ami.message
    assert "manager.conf" in ami.fix


async def test_given_a_wrong_secret_then_the_login_is_refused(tmp_path: Path) -> None:
    async with lab(tmp_path) as running:
        findings = await diagnose(running.with_server(secret=SecretStr("wrong")), timeout=2)
    [ami] = problems(findings)[:1]
    assert "login as callcenter refused" in ami.message
    assert "CALLCENTER_AMI_SECRET_SIM" in ami.fix


async def test_given_a_missing_context_then_it_is_named_with_its_purpose(tmp_path: Path) -> None:
    async with lab(tmp_path, without_context="queue-hold") as running:
        findings = await diagnose(running.settings, timeout=2)
    [missing] = problems(findings)
    assert missing.check == "dialplan"
    assert "[queue-hold] missing" in missing.message
    assert "extensions.conf" in missing.fix


async def test_given_fastagi_not_listening_then_it_is_reported(tmp_path: Path) -> None:
    async with lab(tmp_path, listening=False) as running:
        findings = await diagnose(running.settings, timeout=2)
    [agi] = problems(findings)
    assert agi.check == "fastagi"
    assert "the dialplan's FastAGI 127.0.0.1:" in agi.message


async def test_given_the_service_on_the_fastagi_port_then_it_answers_the_doctor_script(
    tmp_path: Path,
) -> None:
    async with lab(tmp_path) as running:
        findings = await diagnose(running.settings, timeout=2)
    [agi] = [f for f in findings if f.check == "fastagi" and "fail-over node" not in f.message]
    assert agi.ok
    assert agi.message.endswith(f"answers (callcenter FastAGI {__version__})")


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # reads the environment, answers nothing, until the peer leaves
    writer.close()


async def _http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readline()
    writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()
    writer.close()


async def _hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\n\n")  # the whole environment, then a clean close
    writer.close()


@pytest.mark.parametrize(
    ("program", "said"),
    [
        (_silent, "accepted the connection but sent no FastAGI command within 1 s"),
        (_http, "answered 'HTTP/1.1 400 Bad Request', not as the callcenter service does"),
        (_hang_up, "closed the connection without a FastAGI command"),
    ],
)
async def test_given_another_program_on_the_fastagi_port_then_the_doctor_says_it_is_not_ours(
    tmp_path: Path, program: Any, said: str
) -> None:
    # The old check only opened a TCP connection and said ok for any of these.
    async with lab(tmp_path, listening=False) as running:
        other = await asyncio.start_server(program, "127.0.0.1", running.settings.fastagi.port)
        try:
            findings = await diagnose(running.settings, timeout=1)
        finally:
            other.close()
    [agi] = problems(findings)
    assert agi.check == "fastagi"
    assert "is not the callcenter service: it " + said in agi.message
    assert "another program has the port" in agi.fix


async def test_given_a_database_never_migrated_then_upgrade_is_the_fix(tmp_path: Path) -> None:
    async with lab(tmp_path, migrated=False) as running:
        findings = await diagnose(running.settings, timeout=2)
    [db] = problems(findings)
    assert "never migrated" in db.message
    assert db.fix == "callcenter db upgrade"


async def test_given_an_agent_phone_unregistered_then_it_is_named(tmp_path: Path) -> None:
    async with lab(tmp_path, unregistered=("agent1002",)) as running:
        findings = await diagnose(running.settings, timeout=2)
    [phone] = problems(findings)
    assert phone.check == "phones"
    assert "agent2's phone agent1002 is not registered" in phone.message


async def test_given_a_phone_missing_from_pjsip_then_it_is_named(tmp_path: Path) -> None:
    async with lab(tmp_path) as running:
        del running.sim.pbx.phones["supervisor9001"]
        findings = await diagnose(running.settings, timeout=2)
    [phone] = problems(findings)
    assert "sup1's endpoint supervisor9001 is not in pjsip.conf" in phone.message


async def test_the_command_exits_1_on_a_problem_and_0_when_healthy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with lab(tmp_path) as running:
        data = running.settings.model_dump(mode="json", exclude={"acd", "ivr"})
        data["asterisk"]["servers"][0].pop("secret")
        data["acd"] = {"queues": [{"name": "general"}], "agents": []}
        config = tmp_path / "callcenter.yaml"
        config.write_text(yaml.safe_dump(data))
        monkeypatch.setenv("CALLCENTER_AMI_SECRET_SIM", SECRET)
        healthy = await asyncio.to_thread(main, ["--config", str(config), "doctor"])
        monkeypatch.setenv("CALLCENTER_AMI_SECRET_SIM", "wrong")
        broken = await asyncio.to_thread(main, ["--config", str(config), "doctor"])
    assert (healthy, broken) == (0, 1)
    assert "refused" in capsys.readouterr().out
