"""The real-Asterisk load benchmark (benchmarks/real_load.py) runs, briefly, and its calls
go through: the speed figures themselves are the benchmark's to report, not a test's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.real_asterisk.harness import require_build

ROOT = Path(__file__).resolve().parents[2]


def test_given_two_calls_a_second_when_the_load_benchmark_runs_then_each_is_answered_and_rated(
    tmp_path: Path,
) -> None:
    require_build()
    if os.geteuid() != 0:
        # SIPp sends the callers' keys (RFC 4733) and audio through a raw socket.
        why = "the load benchmark's callers need root (SIPp's raw socket)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(why)
        pytest.skip(why)
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "real_load.py"),
            "--rates",
            "2",
            "--warmup",
            "3",
            "--seconds",
            "5",
            "--keep",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    header = next(n for n, line in enumerate(lines) if line.startswith("offered calls/s"))
    offered, _completed, backend, asterisk, _ratio, _pop, failed = (
        cell.strip() for cell in lines[header + 2].split("|")
    )
    assert float(offered) > 0, done.stdout
    # Every call dialled in the window went through the IVR's four keys, an agent, the
    # survey's three answers, and ended with Asterisk's hang-up.
    assert failed == "0.0%", done.stdout
    assert float(backend) > 0, done.stdout
    assert float(asterisk) > 0, done.stdout
    assert "service warnings and errors: none" in done.stdout, done.stdout
