"""`callcenter serve` as an operator runs it: a real process, real sockets, signals."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callcenter.app.paths import config_dir

SHIPPED_FLOWS = config_dir().parent / "ivr_flows" / "flows"


class TinyAsterisk:
    """Just enough AMI for the service to log in (or be refused) and log off."""

    def __init__(self, accept: bool) -> None:
        self.accept = accept
        self.logins = 0
        self.logoffs = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode()
                fields = dict(line.split(": ", 1) for line in head.split("\r\n") if ": " in line)
                action, aid = fields.get("Action", "").lower(), fields.get("ActionID", "")
                if action == "challenge":
                    reply = f"Response: Success\r\nActionID: {aid}\r\nChallenge: 12345\r\n\r\n"
                elif action == "login":
                    self.logins += 1
                    ok = "Success" if self.accept else "Error"
                    msg = "Authentication accepted" if self.accept else "Authentication failed"
                    reply = f"Response: {ok}\r\nActionID: {aid}\r\nMessage: {msg}\r\n\r\n"
                elif action == "logoff":
                    self.logoffs += 1
                    reply = f"Response: Goodbye\r\nActionID: {aid}\r\n\r\n"
                else:
                    reply = f"Response: Success\r\nActionID: {aid}\r\n\r\n"
                writer.write(reply.encode())
                if action == "logoff" or (action == "login" and not self.accept):
                    await writer.drain()
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def tiny() -> AsyncIterator[TinyAsterisk]:
    fake = TinyAsterisk(accept=True)
    yield fake
    if fake.server is not None:
        fake.server.close()


@contextlib.asynccontextmanager
async def service(
    tmp_path: Path, ami_port: int, extra: str = ""
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`callcenter serve` as a child process; killed on the way out if still running."""
    config = tmp_path / "callcenter.yaml"
    config.write_text(
        "service: {log_format: json, shutdown_grace_s: 1}\n"
        "asterisk:\n  servers:\n"
        f"    - {{name: lab, host: 127.0.0.1, port: {ami_port}, username: callcenter}}\n"
        "  reconnect_initial_s: 0.05\n  reconnect_max_s: 0.2\n"
        "fastagi: {host: 127.0.0.1, port: 0}\n"
        "web: {host: 127.0.0.1, port: 0}\n"
        f"database: {{url: 'sqlite+aiosqlite:///{tmp_path}/var/callcenter.db'}}\n" + extra
    )
    env = {**os.environ, "CALLCENTER_AMI_SECRET_LAB": "lab-secret"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "callcenter",
        "--config",
        str(config),
        "serve",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def unused_port() -> int:
    """A loopback port nothing listens on (bound once, then released)."""
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port: int = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    return port


async def read_until(proc: asyncio.subprocess.Process, event: str) -> list[dict[str, object]]:
    assert proc.stderr is not None
    seen: list[dict[str, object]] = []
    async with asyncio.timeout(20):
        while True:
            line = await proc.stderr.readline()
            assert line, f"service exited before logging {event}: {seen}"
            if not line.startswith(b"{"):
                continue
            record = json.loads(line)
            seen.append(record)
            if record["event"] == event:
                return seen


async def test_given_an_asterisk_when_serve_runs_then_it_listens_logs_in_and_stops_on_sigterm(
    tmp_path: Path, tiny: TinyAsterisk
) -> None:
    async with service(tmp_path, await tiny.start()) as proc:
        records = await read_until(proc, "ami.connection")
        assert (tmp_path / "var" / "callcenter.db").is_file()  # created on first start
        assert any(r["event"] == "db.ready" for r in records)
        listening = next(r for r in records if r["event"] == "fastagi.listening")
        assert str(listening["url"]).startswith("agi://127.0.0.1:")
        assert records[-1]["state"] == "connected"
        assert "lab-secret" not in json.dumps(records)
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            assert await proc.wait() == 0
        assert tiny.logins == 1
        assert tiny.logoffs == 1


async def test_given_a_wrong_secret_when_serve_starts_then_it_exits_with_a_clear_error(
    tmp_path: Path,
) -> None:
    fake = TinyAsterisk(accept=False)
    try:
        async with service(tmp_path, await fake.start()) as proc:
            records = await read_until(proc, "service.ami_login_refused")
            assert "refused user 'callcenter'" in str(records[-1]["error"])
            async with asyncio.timeout(15):
                assert await proc.wait() == 2
        assert fake.logins == 1  # refused once, never retried
    finally:
        assert fake.server is not None
        fake.server.close()


async def test_given_no_asterisk_yet_when_serve_starts_then_it_says_what_it_waits_for(
    tmp_path: Path,
) -> None:
    port = await unused_port()
    async with service(tmp_path, port) as proc:
        records = await read_until(proc, "ami.waiting_for_asterisk")
        assert records[-1]["address"] == f"127.0.0.1:{port}"
        await read_until(proc, "ami.reconnect_scheduled")
        proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(15):
            assert await proc.wait() == 0


def copy_flows(tmp_path: Path) -> Path:
    flows = tmp_path / "flows"
    flows.mkdir()
    for path in SHIPPED_FLOWS.glob("*.yaml"):
        (flows / path.name).write_text(path.read_text())
    return flows


async def test_given_a_broken_flow_when_serve_starts_then_it_refuses_naming_file_and_line(
    tmp_path: Path, tiny: TinyAsterisk
) -> None:
    flows = copy_flows(tmp_path)
    survey = flows / "post_call_survey.yaml"
    survey.write_text(survey.read_text().replace("type: survey", "type: surveyy", 1))
    async with service(tmp_path, await tiny.start(), f"ivr: {{flows_dir: '{flows}'}}\n") as proc:
        records = await read_until(proc, "service.broken_flows")
        problems = str(records[-1]["problems"])
        assert "post_call_survey.yaml:" in problems
        assert "surveyy" in problems
        async with asyncio.timeout(15):
            assert await proc.wait() == 2
    assert tiny.logins == 0  # nothing was started


async def test_given_a_running_service_when_flows_are_broken_and_sighup_then_old_flows_stay(
    tmp_path: Path, tiny: TinyAsterisk
) -> None:
    flows = copy_flows(tmp_path)
    async with service(tmp_path, await tiny.start(), f"ivr: {{flows_dir: '{flows}'}}\n") as proc:
        await read_until(proc, "ami.connection")
        survey = flows / "post_call_survey.yaml"
        good = survey.read_text()
        survey.write_text(good.replace("type: survey", "type: surveyy", 1))
        proc.send_signal(signal.SIGHUP)
        kept = await read_until(proc, "ivr.flows_kept")
        assert "surveyy" in str(kept[-1]["problems"])
        survey.write_text(good)
        proc.send_signal(signal.SIGHUP)
        reloaded = await read_until(proc, "ivr.flows_reloaded")
        assert "post_call_survey" in str(reloaded[-1]["flows"])
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            assert await proc.wait() == 0


async def test_given_an_unreachable_database_when_serve_starts_then_it_exits_saying_so(
    tmp_path: Path, tiny: TinyAsterisk
) -> None:
    port = await unused_port()
    extra = f"database: {{url: 'postgresql+asyncpg://cc@127.0.0.1:{port}/cc'}}\n"
    config_text = extra  # appended after the test default, so it wins
    async with service(tmp_path, await tiny.start(), config_text) as proc:
        records = await read_until(proc, "service.start_failed")
        error = str(records[-1]["error"])
        assert error.startswith(f"database postgresql+asyncpg://cc@127.0.0.1:{port}/cc cannot")
        async with asyncio.timeout(15):
            assert await proc.wait() == 1
        assert tiny.logins == 0  # nothing else was started
