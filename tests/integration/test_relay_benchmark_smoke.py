"""The relay benchmark runs small: every way of relaying and the feed print measured figures,
and the web part compares a standby's answers and feeds with the leader's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.pg import require_server_bin

ROOT = Path(__file__).resolve().parents[2]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("|")]


def test_quick_relay_benchmark_prints_every_figure() -> None:
    require_server_bin()
    args = ["--requests", "40", "--concurrency", "4", "--feed", "320", "--web", "40"]
    completed = subprocess.run(
        [sys.executable, "benchmarks/relay.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = completed.stdout.splitlines()
    assert lines[0] == "Relay: 40 requests per row, standby -> leader -> standby"
    rows = [_cells(line) for line in lines[3:9]]
    assert [(row[0], row[1]) for row in rows] == [
        (way, flight)
        for flight in ("1", "4")
        for way in ("notify (product)", "poll 50 ms", "poll 10 ms")
    ]
    for row in rows:
        assert float(row[2].replace(",", "")) > 0
        assert 0 < float(row[3]) <= float(row[4])
    feed = _cells(lines[13])
    assert feed[0] == "320"
    assert float(feed[1].replace(",", "")) > 0
    web = [_cells(line) for line in lines[18:21]]
    assert [row[0] for row in web[:2]] == [
        "GET /api/me on the leader",
        "GET /api/me on the standby (relayed)",
    ]
    assert web[2][0].startswith("desktop feed: standby after leader (")
    for row in web:
        float(row[1]), float(row[2])  # measured, not "n/a"
