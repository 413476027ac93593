"""The CTI lookup benchmark runs end to end (quick size, SQLite) and prints its table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "cti_lookup.py"


def test_quick_benchmark_prints_a_row_per_size_and_lookup() -> None:
    finished = subprocess.run(
        [sys.executable, str(_SCRIPT), "--quick", "--backend", "sqlite", "--lookups", "50"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = finished.stdout.splitlines()
    assert [cell.strip() for cell in lines[0].split("|")][3:] == ["p50 ms", "p99 ms", "lookups/s"]
    rows = [[cell.strip() for cell in line.split("|")] for line in lines[2:]]
    assert [(r[1], r[2]) for r in rows] == [
        ("1,000", "by phone"),
        ("1,000", "by account"),
        ("10,000", "by phone"),
        ("10,000", "by account"),
    ]
    for row in rows:
        assert float(row[4]) >= float(row[3]) > 0  # p99 >= p50
        assert float(row[5].replace(",", "")) > 0
