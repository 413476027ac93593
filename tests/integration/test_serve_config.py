"""`callcenter serve` and the ACD configuration stored as data (issue 16): the settings
file's `acd` section seeds a fresh database as version 1; later starts run the newest
stored version, whatever the file says (a `config import` is taken at the next start)."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import aiohttp

from tests.integration.test_serve import TinyAsterisk, read_until, service, tiny

__all__ = ["tiny"]

ACD = (
    "acd:\n"
    "  queues:\n"
    "    - {name: general, ring_timeout_seconds: 15}\n"
    "{more}"
    "  agents:\n"
    "    - {id: agent1, queues: [general]}\n"
)


async def _queues_served(records: list[dict[str, object]]) -> str:
    listening = next(r for r in records if r["event"] == "web.listening")
    base = str(listening["wallboard"]).removesuffix("/wallboard")
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as response:
        return await response.text()


async def _stop(proc: asyncio.subprocess.Process) -> None:
    proc.send_signal(signal.SIGTERM)
    async with asyncio.timeout(15):
        assert await proc.wait() == 0


async def test_given_serve_restarted_then_it_runs_the_newest_stored_acd_version_not_the_files(
    tmp_path: Path, tiny: TinyAsterisk
) -> None:
    port = await tiny.start()
    async with service(tmp_path, port, ACD.replace("{more}", "")) as proc:
        records = await read_until(proc, "ami.connection")
        in_force = next(r for r in records if r["event"] == "config.acd_in_force")
        assert (in_force["version"], in_force["author"]) == (1, "seed")
        assert not any(r["event"] == "config.file_acd_ignored" for r in records)
        await _stop(proc)

    # The file now names a second queue: the stored version 1 still runs, and the log says
    # that the file's section was not used and how to store it.
    more = "    - {name: sales, ring_timeout_seconds: 20}\n"
    async with service(tmp_path, port, ACD.replace("{more}", more)) as proc:
        records = await read_until(proc, "ami.connection")
        ignored = next(r for r in records if r["event"] == "config.file_acd_ignored")
        assert ignored["version"] == 1
        assert "callcenter config import" in str(ignored["hint"])
        in_force = next(r for r in records if r["event"] == "config.acd_in_force")
        assert in_force["version"] == 1
        assert in_force["queues"] == ["general"]
        metrics = await _queues_served(records)
        assert 'callcenter_calls_waiting{queue="general"}' in metrics
        assert 'queue="sales"' not in metrics
        await _stop(proc)

        # The settings file itself imported (its other sections are left alone) is version 2,
        # and the next start runs it.
        config = tmp_path / "callcenter.yaml"
        imported = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "callcenter", "--config", str(config),
            "config", "import", str(config), "--comment", "sales opens",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await imported.communicate()
        assert imported.returncode == 0, err.decode()
        assert out.decode().startswith("version 2 stored")
        assert "queues[sales] added" in out.decode()

    async with service(tmp_path, port, ACD.replace("{more}", more)) as proc:
        records = await read_until(proc, "ami.connection")
        assert not any(r["event"] == "config.file_acd_ignored" for r in records)
        in_force = next(r for r in records if r["event"] == "config.acd_in_force")
        assert (in_force["version"], in_force["queues"]) == (2, ["general", "sales"])
        assert 'callcenter_calls_waiting{queue="sales"}' in await _queues_served(records)
        await _stop(proc)
