"""The routing benchmark runs end to end (in its quick size) and prints its table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from acd import RoutingStrategy

_SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "acd_routing.py"


def test_quick_benchmark_prints_a_row_per_strategy_and_decision() -> None:
    finished = subprocess.run(
        [sys.executable, str(_SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )

    lines = finished.stdout.splitlines()
    assert "| strategy" in lines[1]
    assert "p99 µs" in lines[1]
    rows = [line for line in lines[3:] if line.startswith("|")]
    assert len(rows) == 2 * len(RoutingStrategy)
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[0] in {s.value for s in RoutingStrategy}
        assert cells[1] in {"agent->call", "call->agent"}
        assert float(cells[2].replace(",", "")) > 0
        assert float(cells[4]) >= float(cells[3]) > 0  # p99 >= p50
