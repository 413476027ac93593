"""The what-if benchmark runs in its quick size and prints its table with every figure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["replay", "s/replay", "calls/s", "inputs", "peak MiB", "answered", "SL", "vs 10 s"]
REPLAYS = ["routing only (baseline)", "what-if, current", "what-if, changed"]


def test_quick_benchmark_prints_a_row_per_replay_and_the_target() -> None:
    completed = subprocess.run(
        [sys.executable, "benchmarks/whatif.py", "--quick", "--repeat", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("What-if replay:")
    assert [cell.strip() for cell in lines[1].split("|")] == COLUMNS
    rows = [[cell.strip() for cell in line.split("|")] for line in lines[3:6]]
    assert [row[0] for row in rows] == REPLAYS
    for row in rows:
        assert float(row[1]) >= 0
        assert float(row[4]) > 0  # peak memory measured
        assert row[7].endswith("of target")
    for row in rows[1:]:  # the what-if rows answer calls and report a service level
        answered, offered = (int(n.replace(",", "")) for n in row[5].split("/"))
        assert 0 < answered <= offered
        assert row[6].endswith("%")
    assert lines[6].startswith("target: 10 s per replay")
