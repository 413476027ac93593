"""The call records export benchmark runs in its quick size: every call and attempt read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["calls", "records", "seconds", "records/s", "CSV MB", "peak MB"]


def test_quick_benchmark_exports_every_seeded_call_and_attempt() -> None:
    completed = subprocess.run(
        [sys.executable, "benchmarks/cdr_export.py", "--quick", "--repeat", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    header, _, row = completed.stdout.splitlines()[:3]
    assert [cell.strip() for cell in header.split("|")] == COLUMNS
    cells = [cell.strip() for cell in row.split("|")]
    # 2,000 calls and one callback attempt per 40 calls, all on the exported day.
    assert (cells[0], cells[1]) == ("2,000", "2,050")
    assert float(cells[5]) > 0
