"""The demo prints a `doctor` line that works against it, and names its database (issue 14,
item 13): a newcomer who copies the printed lines checks the running demo and adds a user
to the demo's database, not to a `var/callcenter.db` of its own."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import sys
from pathlib import Path

from callcenter import __version__


def _without_callcenter_variables() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}


async def _run(command: list[str], cwd: Path, stdin: bytes = b"") -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=_without_callcenter_variables(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(stdin), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_given_the_demo_runs_then_its_printed_doctor_line_finds_it_healthy(
    tmp_path: Path,
) -> None:
    env = {
        **_without_callcenter_variables(),
        "CALLCENTER_WEB__PORT": "0",
        "CALLCENTER_FASTAGI__PORT": "0",
        "CALLCENTER_SERVICE__LOG_FORMAT": "json",
    }
    demo = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "callcenter", "demo",
        cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert demo.stderr is not None
    elsewhere = tmp_path / "elsewhere"  # the lines work from any directory
    elsewhere.mkdir()
    try:
        banner = ""
        async with asyncio.timeout(60):
            while "Press Ctrl-C" not in banner:
                line = (await demo.stderr.readline()).decode()
                assert line, f"demo exited early: {banner}"
                if not line.startswith("{"):
                    banner += line
        doctor = re.search(r"check it:\s+(.+ doctor)$", banner, re.MULTILINE)
        assert doctor is not None, banner
        status, report = await _run(shlex.split(doctor.group(1)), elsewhere)
        assert status == 0, report
        assert report.rstrip().endswith("healthy")
        assert f"answers (callcenter FastAGI {__version__})" in report

        database = tmp_path / "var" / "demo.db"
        assert f"its database:  {database}" in banner
        command = shlex.split(doctor.group(1))[:-1]  # the same program and --config
        status, added = await _run(
            [*command, "users", "add", "--role", "supervisor", "--password-stdin", "sup9"],
            elsewhere,
            stdin=b"sup9-password\n",
        )
        assert status == 0, added
        assert f"database: sqlite+aiosqlite:///{database} (the file {database};" in added
        assert not (elsewhere / "var").exists()  # no stray var/callcenter.db
    finally:
        demo.terminate()
        assert await asyncio.wait_for(demo.wait(), 30) == 0
    assert (tmp_path / "var" / "demo.yaml").stat().st_mode & 0o077 == 0  # it holds a secret
