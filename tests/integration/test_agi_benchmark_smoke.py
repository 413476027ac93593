"""The FastAGI benchmark runs end to end in its quick mode and prints its table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_benchmark_prints_a_row_per_scenario_and_server() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.agi_sessions", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("FastAGI over loopback")
    assert lines[1].split("|")[0].strip() == "scenario"
    rows = [line.split("|") for line in lines[3:]]
    assert {(row[0].strip(), row[1].strip()) for row in rows} == {
        (scenario, server)
        for scenario in ("s11 calls", "round trips", "connect-and-close")
        for server in ("callcenter", "panoramisk 1.4")
    }
    ours = [row for row in rows if row[1].strip() == "callcenter"]
    assert all(row[2].strip().split("/")[0] == row[2].strip().split("/")[1] for row in ours)
    assert all(row[9].strip() == "0" for row in ours)
