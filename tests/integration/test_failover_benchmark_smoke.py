"""The fail-over benchmark runs in its quick mode: two kills of the leader and a few seconds
of traffic with one node and with a cluster, and prints every figure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.pg import require_server_bin

ROOT = Path(__file__).resolve().parents[2]
FAILOVER_COLUMNS = [
    "nodes",
    "kills",
    "kill->first Originate p50 s",
    "p99 s",
    "max s",
    "kill->cluster.leading p50/p99 s",
    "kill->cluster.took_over p50/p99 s",
    "kill->offer logged p50/p99 s",
    "kills without an offer",
    "p99 < 5 s",
]
LOAD_COLUMNS = [
    "setup",
    "offered calls/s",
    "completed calls/s",
    "ready->Originate p50/p99 ms",
    "ring->pop p50/p99 ms",
    "server CPU ms/call",
    "leader CPU ms/call",
    "DB CPU ms/call",
    "failed",
]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("|")]


def test_quick_failover_benchmark_prints_every_figure_of_the_kills_and_of_each_setup() -> None:
    require_server_bin()
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.failover", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("Fail-over: 2 nodes, kill -9 of the leader 2 times")
    assert _cells(lines[1]) == FAILOVER_COLUMNS
    kills = _cells(lines[3])
    assert kills[:2] == ["2", "2"]
    for cell in kills[2:5]:
        assert float(cell) > 0  # measured seconds, not "n/a"
    for pair in kills[5:8]:
        p50, p99 = pair.split(" / ")
        assert 0 < float(p50) <= float(p99)
    assert kills[8] == "0", "every kill was followed by an offer of the new leader"
    assert kills[9] in ("yes", "no")
    assert lines[4].startswith("new leaders elected: ")
    # No call of the fail-over traffic was lost or stuck: each ended with an agent.
    placed = lines[5].split("fail-over traffic: ")[1].split(" calls")[0]
    assert lines[5] == (
        f"fail-over traffic: {placed} calls, {placed} answered by an agent,"
        " 0 ended unanswered, 0 still going after 60 s"
    )
    assert int(placed) > 0
    assert lines[6].startswith("Calls/s: 10 calls/s offered to 40 agents")
    assert _cells(lines[7]) == LOAD_COLUMNS
    rows = [_cells(line) for line in lines[9:14]]
    assert [row[0] for row in rows] == [
        "one node, no cluster",
        "one cluster node",
        "two cluster nodes",
        "two nodes, IVR on the standby",
        "two nodes, IVR and desktops on the standby",
    ]
    for row in rows:
        assert float(row[1]) > 0
        assert float(row[2]) > 0
        for pair in row[3:5]:
            p50, p99 = pair.split(" / ")
            float(p50), float(p99)  # measured, not "n/a"
        assert float(row[5]) > 0
        assert 0 < float(row[6]) <= float(row[5])  # the leader's share of the server CPU
        assert float(row[7]) > 0
        assert row[8].endswith("%")
    assert lines[14].startswith("service warnings and errors: one node, no cluster:")
