"""The end-to-end load benchmark runs in its quick mode and prints its table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = [
    "agents",
    "offered calls/s",
    "completed calls/s",
    "AGI turnaround p50/p99 ms",
    "ready->Originate p50/p99 ms",
    "ring->pop p50/p99 ms",
    "ring->whole record p50/p99 ms",
    "server CPU ms/call",
    "server CPU",
    "failed",
]


def test_quick_benchmark_prints_one_row_with_every_figure() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.e2e_load", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("End-to-end load:")
    assert [cell.strip() for cell in lines[1].split("|")] == COLUMNS
    row = [cell.strip() for cell in lines[3].split("|")]
    assert len(row) == len(COLUMNS)
    assert row[0] == "100"
    for pair in row[3:6]:
        p50, p99 = pair.split(" / ")
        float(p50), float(p99)  # measured, not "n/a"
    assert row[8].endswith("%")
    assert lines[4].startswith("offers by cause:")
    assert lines[5].startswith("service event loop lag")
    assert lines[6].startswith("service garbage collections:")
    assert lines[7] == "service warnings and errors: none"
