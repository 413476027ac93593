"""CTI lookup latency: the customer behind a caller number or an account number, at scale.

Fills a database with 1e4, then 1e5, then 1e6 customers (one growing database per backend,
bulk inserts of 10,000 rows per statement, one phone number each), then times the
lookups the screen pop makes, through the real repository (`CustomerRepository`:
E.164 normalisation, the indexed probe, the customer and their numbers):

* by phone: `find_by_phone` with a random customer's number, typed as a caller ID would
  arrive (national format, so the normalisation is part of the cost);
* by account: `find_by_account` with a random account number.

One lookup at a time (the latency an agent waits for), on SQLite (a file with WAL) and on
PostgreSQL (a throwaway server started from the local binaries, as the tests do, or
`--postgres-url`). Prints p50 / p99 in milliseconds and lookups per second (1 / mean).
The target (the issue): p99 under 5 ms at one million customers. `--quick` runs 1e3 and
1e4 for the smoke test.

    .venv/bin/python benchmarks/cti_lookup.py [--quick] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

# Run from a checkout without installing: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks._common import print_table
from callcenter.db import CustomerRepository, make_engine, make_sessions, upgrade
from callcenter.db.models import Customer, Phone
from tests.pg import PostgresServer, running_server, server_bin

CHUNK = 10_000
TIERS = ("vip", "gold", "standard", "standard", "standard", "new")


def phone(i: int) -> str:
    """Customer i's number: a valid Berlin number, unique per i (E.164)."""
    return f"+4930{10_000_000 + i}"


def national(e164: str) -> str:
    """The same number as a German caller ID often arrives: `030 1xxxxxxx`."""
    return "0" + e164[3:5] + " " + e164[5:]


async def grow(engine: AsyncEngine, start: int, stop: int) -> None:
    """Add customers start..stop-1 with one phone number each."""
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        for low in range(start, stop, CHUNK):
            high = min(low + CHUNK, stop)
            await conn.execute(
                insert(Customer),
                [
                    {"id": i + 1, "name": f"Customer {i}", "account": f"A{i:08d}",
                     "tier": TIERS[i % len(TIERS)], "language": "de", "notes": "",
                     "created_at": now}
                    for i in range(low, high)
                ],
            )  # fmt: skip
            await conn.execute(
                insert(Phone),
                [{"id": i + 1, "customer_id": i + 1, "number": phone(i)} for i in range(low, high)],
            )
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("customers", "customer_phones"):
                await conn.execute(text(f"ANALYZE {table}"))


async def timed(lookup: Callable[[], Awaitable[object]], count: int) -> list[float]:
    """Seconds per call of `lookup`, `count` times."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        found = await lookup()
        samples.append(time.perf_counter() - started)
        if found is None:
            raise RuntimeError("a lookup of an existing customer found nothing")
    return samples


def row(backend: str, size: int, kind: str, samples: list[float]) -> list[str]:
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2] * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    rate = 1 / statistics.fmean(samples)
    return [backend, f"{size:,}", kind, f"{p50:.3f}", f"{p99:.3f}", f"{rate:,.0f}"]


async def measure(backend: str, url: str, sizes: list[int], count: int) -> list[list[str]]:
    engine = make_engine(url)
    rows = []
    try:
        await upgrade(engine)
        customers = CustomerRepository(make_sessions(engine), region="DE")
        have = 0
        rng = random.Random(7)
        for size in sizes:
            started = time.perf_counter()
            await grow(engine, have, size)
            have = size
            print(f"{backend}: {size:,} customers loaded in {time.perf_counter() - started:.1f} s",
                  file=sys.stderr)  # fmt: skip

            def by_number(n: int = size) -> Awaitable[object]:
                return customers.find_by_phone(national(phone(rng.randrange(n))))

            def by_account_number(n: int = size) -> Awaitable[object]:
                return customers.find_by_account(f"A{rng.randrange(n):08d}")

            # Warm the pool and the caches as a running service would be.
            await timed(by_account_number, 50)
            by_phone = await timed(by_number, count)
            by_account = await timed(by_account_number, count)
            rows.append(row(backend, size, "by phone", by_phone))
            rows.append(row(backend, size, "by account", by_account))
    finally:
        await engine.dispose()
    return rows


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1e3 and 1e4 customers only")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--postgres-url", help="an empty PostgreSQL database to fill")
    parser.add_argument("--lookups", type=int, default=None, help="lookups per measurement")
    args = parser.parse_args()
    sizes = [1_000, 10_000] if args.quick else [10_000, 100_000, 1_000_000]
    count = args.lookups or (300 if args.quick else 2_000)
    backends = args.backend or ["sqlite", "postgresql"]
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="cti-bench-") as workdir:
        if "sqlite" in backends:
            url = f"sqlite+aiosqlite:///{workdir}/bench.db"
            rows += await measure("sqlite", url, sizes, count)
        if "postgresql" in backends:
            if args.postgres_url:
                rows += await measure("postgresql", args.postgres_url, sizes, count)
            elif (bindir := server_bin()) is None:
                print("postgresql: no server binaries found; skipped", file=sys.stderr)
            else:
                with running_server(bindir) as (host, port):
                    url = PostgresServer(bindir, host, port).new_database()
                    rows += await measure("postgresql", url, sizes, count)
    print_table(["backend", "customers", "lookup", "p50 ms", "p99 ms", "lookups/s"], rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
