"""benchmarks/ami_throughput.py keeps working: a quick run prints its table, all rows ok."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_ami_benchmark_prints_a_row_per_consumer() -> None:
    result = subprocess.run(
        [sys.executable, "benchmarks/ami_throughput.py", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = {line.split("|")[0].strip(): line for line in result.stdout.splitlines() if "|" in line}
    for consumer in ("callcenter", "panoramisk", "pyst2"):
        assert consumer in rows, result.stdout
        assert rows[consumer].rstrip().endswith("ok"), rows[consumer]
