"""Half-sent requests: 1,000 connections that send half a request's headers and stop.

The server is the real web backend (`callcenter.app.wiring.build_backend`, the one `serve`
runs) on a throwaway SQLite file, in this process, on loopback. The attack opens the
connections, each sending `GET /api/me HTTP/1.1`, a Host header and the start of another
header, then nothing. While they hang, a normal client asks `/healthz` and logs in; the
table shows how long those took, how many of the half-sent connections the server closed
and how long after its opening each went (opening 1,000 takes seconds: the listen backlog
is 128, the rest of the SYNs are retried). Two servers side by side: the product, with
`web.request_timeout_s`, and aiohttp's own keep-alive default (3,630 s: in effect no
timeout for headers), watched for as long as the product needs.

    .venv/bin/python benchmarks/web_half_sent.py [--quick] [--connections 1000] [--timeout 10]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from argon2 import PasswordHasher

from benchmarks._common import print_table
from callcenter.app.logsetup import configure_logging
from callcenter.app.settings import Settings
from callcenter.app.wiring import build_backend
from callcenter.db import BatchedWriter, UserRepository, make_engine, make_sessions, upgrade
from callcenter.web.app import WebServer

HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
AIOHTTP_DEFAULT_S = 3630.0
"""aiohttp's RequestHandler keep-alive default, what an AppRunner without it gets."""


async def _half_sent(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, float]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    opened = time.monotonic()
    writer.write(b"GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    await writer.drain()
    return reader, writer, opened


async def _watch(reader: asyncio.StreamReader, opened: float, until: float) -> float | None:
    """How long after it opened the server closed the connection, or None if it did not."""
    try:
        async with asyncio.timeout(max(0.0, until - time.monotonic())):
            await reader.read()
    except TimeoutError:
        return None
    return time.monotonic() - opened


async def _run(label: str, timeout_s: float, connections: int, watch_s: float) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database={"url": f"sqlite+aiosqlite:///{tmp}/bench.db"},
            web={"host": "127.0.0.1", "port": 0, "request_timeout_s": min(timeout_s, 300)},
            service={"log_level": "warning"},
        )
        engine = make_engine(settings.database.url)
        await upgrade(engine)
        sessions = make_sessions(engine)
        await UserRepository(sessions, HASHER).add("sup", "sup-password", "supervisor")
        writer = BatchedWriter(sessions, batch_size=500, interval_s=0.05, max_pending=10_000)
        writer.start()
        backend = build_backend(settings, sessions, writer, password_hasher=HASHER)
        if timeout_s == AIOHTTP_DEFAULT_S:
            # The server as it was: aiohttp's own keep-alive timer, nothing else.
            backend.server = WebServer(backend.app, "127.0.0.1", 0, request_timeout_s=timeout_s)
        await backend.start()
        port = backend.server.port
        try:
            start = time.monotonic()
            clients = []
            for first in range(0, connections, 200):
                batch = min(200, connections - first)
                clients += await asyncio.gather(*(_half_sent(port) for _ in range(batch)))
            opened_s = time.monotonic() - start
            watchers = [
                asyncio.create_task(_watch(reader, opened, start + watch_s))
                for reader, _, opened in clients
            ]
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as http:
                t0 = time.monotonic()
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    health = response.status
                health_ms = (time.monotonic() - t0) * 1000
                t0 = time.monotonic()
                async with http.post(
                    f"http://127.0.0.1:{port}/api/login",
                    json={"username": "sup", "password": "sup-password"},
                ) as response:
                    login = response.status
                login_ms = (time.monotonic() - t0) * 1000
            closed_at = await asyncio.gather(*watchers)
            for _, w, _ in clients:
                w.close()
            closed = [c for c in closed_at if c is not None]
        finally:
            await backend.stop()
            await writer.close(timeout=10)
            await engine.dispose()
    return [
        label,
        f"{connections}",
        f"{opened_s:.2f}",
        f"{health} in {health_ms:.1f} ms",
        f"{login} in {login_ms:.1f} ms",
        f"{len(closed)}/{connections}",
        f"{min(closed):.1f}-{max(closed):.1f}" if closed else "-",
        f"{connections - len(closed)}",
    ]


async def _main(args: argparse.Namespace) -> None:
    configure_logging("warning", "console")
    watch_s = args.timeout * 2 + 5
    rows = [
        await _run(
            f"callcenter (request_timeout_s={args.timeout:g})",
            args.timeout,
            args.connections,
            watch_s,
        ),
        await _run("aiohttp default keep-alive", AIOHTTP_DEFAULT_S, args.connections, watch_s),
    ]
    print(f"Half-sent requests over loopback, watched for {watch_s:g} s")
    print_table(
        [
            "server",
            "half-sent",
            "opened in s",
            "GET /healthz meanwhile",
            "login meanwhile",
            "closed by server",
            "closed s after opening",
            "still open",
        ],
        rows,
    )


def main() -> None:
    """Parse the options and run both servers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=10.0, help="web.request_timeout_s")
    parser.add_argument("--quick", action="store_true", help="100 connections, 0.5 s timeout")
    args = parser.parse_args()
    if args.quick:
        args.connections, args.timeout = 100, 0.5
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()
