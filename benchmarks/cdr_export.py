"""Call detail records export: a day of 20,000 calls from the SQLite file, as CSV.

Seeds a fresh SQLite database (the embedded default) with one day of 20,000 calls (three
in four answered, with their complete and handled records in the event log for the
wrap-up; the rest abandoned or ended in the IVR) and 500 callback attempts, then reads
the day as `GET /api/cdr?format=csv` does: `CallRecords.rows` in the center's time zone,
each row formatted by `cdr_export.csv_line`. No web server: this is the work the route
does per row, not the network. Prints seconds for the day (best of ``--repeat``), rows per
second, the CSV's size, and the peak memory the export allocates (tracemalloc, measured
in a separate run so it does not slow the timed ones). ``--quick`` runs 2,000 calls.

    .venv/bin/python benchmarks/cdr_export.py [--quick] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

# Run from a checkout without installing: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from benchmarks._common import print_table
from callcenter.db import make_engine, make_sessions, upgrade
from callcenter.db.call_records import CallRecords, Period
from callcenter.db.models import CallbackAttemptRow, CallbackRequest, CallEventRow, Interaction
from callcenter.web.cdr_export import csv_header, csv_line

TZ = ZoneInfo("Europe/Berlin")
DAY = datetime(2026, 3, 10, tzinfo=TZ)


def _calls(n: int, rng: random.Random) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    rows: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    for i in range(n):
        arrived = (DAY + timedelta(seconds=7 * 3600 + i * 12 * 3600 / n)).astimezone(UTC)
        queued = arrived + timedelta(seconds=rng.uniform(10, 40))
        kind = rng.random()
        row: dict[str, object] = {
            "uniqueid": f"1773100000.{i}",
            "arrived_at": arrived,
            "caller_number": f"+49305{i:07d}",
            "dialled_number": "100",
            "customer_id": None,
            "ivr_path": ["welcome", "identify", "menu"],
            "ivr_data": {"menu_choice": str(i % 4), "account_number": f"{i:06d}"},
            "notes": "",
            "survey_scores": {},
        }
        if kind < 0.75:
            answered = queued + timedelta(seconds=rng.expovariate(1 / 20))
            ended = answered + timedelta(seconds=rng.expovariate(1 / 180))
            agent = f"agent{i % 200}"
            row |= {
                "queue": f"q{i % 10}",
                "agent": agent,
                "queued_at": queued,
                "offered_at": answered - timedelta(seconds=3),
                "answered_at": answered,
                "ended_at": ended,
                "outcome": "answered",
                "disposition": "inquiry",
                "notes": "called about an invoice" if i % 3 == 0 else "",
                "survey_scores": {"satisfaction": 1 + i % 5},
            }
            events.append(
                {
                    "at": ended,
                    "kind": "complete",
                    "call_id": row["uniqueid"],
                    "queue": row["queue"],
                    "agent": agent,
                    "data": {"talk": (ended - answered).total_seconds()},
                }
            )
            events.append(
                {
                    "at": ended + timedelta(seconds=15),
                    "kind": "handled",
                    "call_id": None,
                    "queue": row["queue"],
                    "agent": agent,
                    "data": {"wrap_up": 15.0},
                }
            )
        elif kind < 0.9:
            row |= {
                "queue": f"q{i % 10}",
                "queued_at": queued,
                "ended_at": queued + timedelta(seconds=rng.expovariate(1 / 60)),
                "outcome": "abandoned",
            }
        else:
            row |= {"ended_at": arrived + timedelta(seconds=40), "outcome": "self_service"}
        rows.append(row)
    return rows, events


async def _seed(url: str, n: int) -> None:
    engine = make_engine(url)
    await upgrade(engine)
    rng = random.Random(2026)
    rows, events = _calls(n, rng)
    sessions = make_sessions(engine)
    async with sessions() as session, session.begin():
        for start in range(0, len(rows), 5000):
            await session.execute(insert(Interaction), rows[start : start + 5000])
        for start in range(0, len(events), 5000):
            await session.execute(insert(CallEventRow), events[start : start + 5000])
        requests = [
            {
                "number": f"+49306{i:07d}",
                "queue": f"q{i % 10}",
                "window_start": DAY.astimezone(UTC),
                "window_end": (DAY + timedelta(hours=20)).astimezone(UTC),
                "attempts": 1,
                "status": "done",
                "created_at": DAY.astimezone(UTC),
            }
            for i in range(n // 40)
        ]
        await session.execute(insert(CallbackRequest), requests)
        await session.execute(
            insert(CallbackAttemptRow),
            [
                {
                    "callback_id": i + 1,
                    "at": (DAY + timedelta(hours=8, seconds=60 * i)).astimezone(UTC),
                    "agent": "agent1",
                    "result": "reached",
                }
                for i in range(n // 40)
            ],
        )
    await engine.dispose()


async def _export(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    records = CallRecords(make_sessions(engine))
    period = Period(DAY, DAY + timedelta(days=1), TZ)
    count, size = 0, len(csv_header())
    async for row in records.rows(period):
        size += len(csv_line(row, TZ))
        count += 1
    await engine.dispose()
    return count, size


def main() -> None:
    """Seed, then time the export."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 calls instead of 20,000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = 2_000 if args.quick else 20_000
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/cdr.db"
        asyncio.run(_seed(url, n))
        best = float("inf")
        count = size = 0
        for _ in range(max(args.repeat, 1)):
            started = time.perf_counter()
            count, size = asyncio.run(_export(url))
            best = min(best, time.perf_counter() - started)
        tracemalloc.start()
        asyncio.run(_export(url))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print_table(
        ["calls", "records", "seconds", "records/s", "CSV MB", "peak MB"],
        [
            [
                f"{n:,}",
                f"{count:,}",
                f"{best:.2f}",
                f"{count / best:,.0f}",
                f"{size / 1e6:.1f}",
                f"{peak / 1e6:.1f}",
            ]
        ],
    )


if __name__ == "__main__":
    main()
