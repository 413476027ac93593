"""What-if replays at contact-center scale: a day of 20,000 calls, 200 agents, 10 queues.

Builds a synthetic day (`acd.whatif.synthetic_day`: a morning ramp, a midday peak and a
quiet evening over 12 hours, exponential talk and patience, seed 2026) and staggered
8-hour shifts with a break each, then replays it through the pure ACD under two
configurations (today's: longest idle, 20 s threshold, 15 s wrap-up; the change: best
proficiency, a relaxation step sooner, 10 s wrap-up), as the what-if page does.

Prints one row per replay: seconds per replay (best of ``--repeat``), calls per second,
inputs the core handled, and the peak memory the replay allocates (tracemalloc, measured in
a separate run so it does not slow the timed ones). Baselines in the same run: the same day
driven through the core with no rows folded (routing only, what the engine costs on top),
and the issue's target of 10 s per replay. Plain Python, no assertions; ``--quick`` runs a
small day for smoke tests.

    .venv/bin/python benchmarks/whatif.py [--quick] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Run from a checkout without installing: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from acd import AcdSettings
from acd.whatif import (
    Day,
    DayResult,
    QueueLoad,
    StaffingAction,
    StaffingChange,
    replay_day,
    shift,
    synthetic_day,
)
from benchmarks._common import print_table

TARGET_SECONDS = 10.0
"""The issue's target for one replay of the full day on this machine."""
START = 1_767_225_600.0
"""2026-01-01 00:00 UTC: the day's first interval."""
HOURS = 12
SEED = 2026


@dataclass(frozen=True)
class Size:
    """How big a day to replay."""

    calls: int
    agents: int
    queues: int


FULL = Size(calls=20_000, agents=200, queues=10)
QUICK = Size(calls=600, agents=12, queues=10)


def _shape(interval: int, intervals: int) -> float:
    """Relative load of an interval: a ramp, a midday peak, a quiet evening."""
    x = interval / intervals
    return 0.4 + math.exp(-(((x - 0.45) / 0.2) ** 2)) + 0.3 * math.exp(-(((x - 0.8) / 0.1) ** 2))


def build_day(size: Size, rng: random.Random) -> Day:
    """The synthetic day: queue shares of 5-15 %, shifts staggered over the day."""
    intervals = HOURS * 4
    shape = [_shape(i, intervals) for i in range(intervals)]
    shares = [rng.uniform(0.5, 1.5) for _ in range(size.queues)]
    scale = size.calls / (sum(shape) * sum(shares))
    loads = [
        QueueLoad(
            queue=f"q{index:02d}",
            calls_per_interval=[scale * share * s for s in shape],
            mean_talk=rng.choice([150.0, 180.0, 240.0]),
            mean_patience=rng.choice([90.0, 120.0, 180.0]),
            skills=(("lang-en", 2),) if index % 3 == 0 else (),
        )
        for index, share in enumerate(shares)
    ]
    staffing: list[StaffingChange] = []
    day_seconds = HOURS * 3600.0
    for index in range(size.agents):
        begin = START + (index % 3) * 2 * 3600.0
        end = min(begin + 8 * 3600.0, START + day_seconds)
        staffing += shift(f"a{index:03d}", begin, end)
        pause = begin + 4 * 3600.0 + (index % 7) * 300.0
        staffing.append(StaffingChange(pause, f"a{index:03d}", StaffingAction.PAUSE, "lunch"))
        staffing.append(StaffingChange(pause + 1800.0, f"a{index:03d}", StaffingAction.READY))
    return synthetic_day(loads, start=START, staffing=staffing, seed=SEED)


def build_settings(size: Size, rng: random.Random, *, changed: bool) -> AcdSettings:
    """Queues on a skill each; agents in 3 queues with levels 1-5, most speak English."""
    queues = [
        {
            "name": f"q{index:02d}",
            "skills": {f"s{index:02d}": 2},
            "strategy": "best_proficiency" if changed else "longest_idle",
            "relaxation": [{"after_seconds": 20.0 if changed else 45.0}],
            "wrap_up_seconds": 10.0 if changed else 15.0,
            "service_level_seconds": 20.0,
        }
        for index in range(size.queues)
    ]
    agents = []
    for index in range(size.agents):
        member_of = rng.sample(range(size.queues), 3)
        skills = {f"s{q:02d}": rng.randint(1, 5) for q in member_of}
        if rng.random() < 0.8:
            skills["lang-en"] = rng.randint(2, 5)
        agents.append(
            {
                "id": f"a{index:03d}",
                "skills": skills,
                "queues": [f"q{q:02d}" for q in member_of],
            }
        )
    return AcdSettings.model_validate({"queues": queues, "agents": agents})


def best_of(repeat: int, run: Callable[[], DayResult]) -> tuple[float, DayResult]:
    """The fastest of ``repeat`` runs (seconds) and its result."""
    best = math.inf
    result: DayResult | None = None
    for _ in range(repeat):
        gc.collect()
        began = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - began)
    assert result is not None
    return best, result


def peak_mib(run: Callable[[], object]) -> float:
    """Peak memory allocated while ``run`` runs (tracemalloc), in MiB."""
    gc.collect()
    tracemalloc.start()
    try:
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    """Replay the day under both configurations and the baseline; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small day, for smoke tests")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per row (best kept)")
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    day = build_day(size, random.Random(SEED))
    current = build_settings(size, random.Random(SEED), changed=False)
    changed = build_settings(size, random.Random(SEED), changed=True)
    calls = len(day.calls)
    print(
        f"What-if replay: {calls:,} calls, {size.agents} agents, {size.queues} queues, "
        f"{HOURS} h; best of {args.repeat}"
    )
    runs: list[tuple[str, Callable[[], DayResult]]] = [
        ("routing only (baseline)", lambda: replay_day(day, current, measure=False)),
        ("what-if, current", lambda: replay_day(day, current)),
        ("what-if, changed", lambda: replay_day(day, changed)),
    ]
    headers = ["replay", "s/replay", "calls/s", "inputs", "peak MiB", "answered", "SL", "vs 10 s"]
    rows: list[list[str]] = []
    for name, run in runs:
        seconds, result = best_of(args.repeat, run)
        memory = peak_mib(run)
        answered = sum(row.answered for row in result.totals)
        offered = sum(row.offered for row in result.totals)
        within = sum(row.answered_within_threshold for row in result.totals)
        abandoned = sum(row.abandoned for row in result.totals)
        rows.append(
            [
                name,
                f"{seconds:.2f}",
                f"{calls / seconds:,.0f}",
                f"{result.inputs:,}",
                f"{memory:.1f}",
                f"{answered:,}/{offered:,}" if offered else "-",
                f"{within / (answered + abandoned):.1%}" if answered + abandoned else "-",
                f"{seconds / TARGET_SECONDS:.0%} of target",
            ]
        )
    print_table(headers, rows)
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"target: {TARGET_SECONDS:g} s per replay; process max RSS {max_rss:.0f} MiB")


if __name__ == "__main__":
    main()
