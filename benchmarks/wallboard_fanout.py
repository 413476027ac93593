"""Wallboard fan-out: 1,000 websocket screens watching 500 agents change state.

The server side is the real backend (`callcenter.app.wiring.build_backend`: ACD host, feeds,
aiohttp) on a throwaway SQLite file, in this process; a driver makes agents go ready or
pause at a steady rate through the same request path the API uses. The screens are real
websocket clients in a second process (so their CPU is not billed to the server), all on
one supervisor session. Each change message carries every agent that changed with the
moment its state changed (`since`); a screen that sees it computes the update latency as
its receive time minus `since` (one machine, one clock). The server's CPU is read with
`resource.getrusage` over the measured window.

Two ways of feeding screens run side by side in the same run:

* diffs  - the product: changes coalesced for `coalesce_ms`, one encoded message per
           refresh shared by every screen (only the agents and queues that changed);
* naive  - the usual way: a full snapshot encoded for each screen on every refresh.

    .venv/bin/python benchmarks/wallboard_fanout.py [--quick] [--clients 1000] [--agents 500]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from argon2 import PasswordHasher

from acd import (
    AgentLoggedIn,
    AgentPaused,
    AgentReady,
    AgentSettings,
    IllegalTransition,
    QueueSettings,
)
from acd.config import AcdSettings
from benchmarks._common import print_table
from callcenter.app.logsetup import configure_logging
from callcenter.app.settings import Settings
from callcenter.app.wiring import build_backend
from callcenter.db import BatchedWriter, UserRepository, make_engine, make_sessions, upgrade
from callcenter.live.wallboard import WallboardFeed

HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _settings(db: str, agents: int, queues: int, coalesce_ms: float) -> Settings:
    names = [f"q{n}" for n in range(queues)]
    acd = AcdSettings(
        queues=tuple(QueueSettings(name=n) for n in names),
        agents=tuple(
            AgentSettings(
                id=f"a{i}", name=f"Agent {i}", queues=(names[i % queues], names[(i + 1) % queues])
            )
            for i in range(agents)
        ),
    )
    return Settings(
        database={"url": db, "batch_interval_s": 0.05},
        acd=acd,
        web={
            "host": "127.0.0.1",
            "port": 0,
            "coalesce_ms": coalesce_ms,
            "wallboard_interval_s": 1.0,
        },
        service={"log_level": "warning"},
    )


def _naive_refresh(feed: WallboardFeed, last: list[float]) -> None:
    # The usual server: a full snapshot encoded for every screen on every refresh.
    feed.refreshes += 1
    for scope, state in list(feed._scopes.items()):
        snapshot: dict[str, Any] = {}
        for box in state.boxes:
            snapshot = feed.snapshot(scope)
            box.put(json.dumps(snapshot))
        if feed.on_refresh is not None and snapshot:
            fresh = [a for a in snapshot["agents"] if a["since"] > last[0]]
            feed.on_refresh(fresh, snapshot["at"])
            last[0] = snapshot["at"]


async def _drive(host: Any, agents: int, rate: float, seconds: float, rng: random.Random) -> int:
    ids = [f"a{i}" for i in range(agents)]
    changes = 0
    deadline = time.monotonic() + seconds
    interval = 1.0 / rate
    next_at = time.monotonic()
    while time.monotonic() < deadline:
        agent = rng.choice(ids)
        view = host.acd.agent_view(agent, host.now())
        try:
            if view.state.value == "ready":
                await host.request(lambda now, a=agent: AgentPaused(now, a, "break"))
            else:
                await host.request(lambda now, a=agent: AgentReady(now, a))
            changes += 1
        except IllegalTransition:
            pass
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    return changes


async def _server(args: argparse.Namespace, mode: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(
            f"sqlite+aiosqlite:///{tmp}/bench.db", args.agents, 10, args.coalesce_ms
        )
        engine = make_engine(settings.database.url)
        await upgrade(engine)
        sessions = make_sessions(engine)
        await UserRepository(sessions, HASHER).add("sup", "sup-password", "supervisor")
        writer = BatchedWriter(sessions, batch_size=500, interval_s=0.05, max_pending=100_000)
        writer.start()
        backend = build_backend(settings, sessions, writer, password_hasher=HASHER)
        feed = backend.center.wallboard
        queued: list[float] = []

        def note(agents: list[dict[str, Any]], at: float) -> None:
            queued.extend(at - a["since"] for a in agents if at - a["since"] < 5)

        feed.on_refresh = note
        if mode == "naive":
            last = [time.time()]
            feed.refresh = lambda: _naive_refresh(feed, last)  # type: ignore[method-assign]
        await backend.start()
        host = backend.center.host
        for i in range(args.agents):
            await host.request(lambda now, a=f"a{i}": AgentLoggedIn(now, a, ready=True))
        url = f"http://127.0.0.1:{backend.server.port}"
        login = {"username": "sup", "password": "sup-password"}
        async with (
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
            http.post(f"{url}/api/login", json=login) as r,
        ):
            assert r.status == 200, await r.text()
            cookie = r.cookies["cc_session"].value
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--screens",
            url,
            cookie,
            str(args.clients),
            str(args.seconds),
            stdout=asyncio.subprocess.PIPE,
        )
        assert child.stdout is not None
        ready = await child.stdout.readline()  # every screen connected and got its snapshot
        assert ready.strip() == b"connected", ready
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.monotonic()
        changes = await _drive(host, args.agents, args.rate, args.seconds, random.Random(7))
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        out, _ = await child.communicate()
        result: dict[str, Any] = json.loads(out)
        refreshes = feed.refreshes
        await backend.stop()
        await writer.close(timeout=10)
        await engine.dispose()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result.update(
        mode=mode, changes=changes, wall=wall, cpu=cpu, refreshes=refreshes, queued=queued
    )
    return result


async def _screens(url: str, cookie: str, clients: int, seconds: float) -> None:
    latencies: list[float] = []
    messages = dropped = 0
    received_bytes = 0
    ws_url = url.replace("http://", "ws://") + "/ws/wallboard"
    jar = aiohttp.CookieJar(unsafe=True)
    jar.update_cookies({"cc_session": cookie}, aiohttp.client.URL(url))
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(cookie_jar=jar, connector=connector) as http:
        sockets = []
        for start in range(0, clients, 100):
            batch = [
                http.ws_connect(ws_url, max_msg_size=0)
                for _ in range(start, min(clients, start + 100))
            ]
            sockets += await asyncio.gather(*batch)
        for ws in sockets:
            await ws.receive()  # the snapshot
        print("connected", flush=True)
        sample = set(range(0, clients, max(1, clients // 50)))  # 50 screens measure latency
        stop = time.monotonic() + seconds + 1.5

        async def read(index: int, ws: aiohttp.ClientWebSocketResponse) -> None:
            nonlocal messages, received_bytes, dropped
            while True:
                left = stop - time.monotonic()
                if left <= 0:
                    return
                with contextlib.suppress(TimeoutError):
                    try:
                        msg = await ws.receive(timeout=left)
                    except (aiohttp.ClientError, ConnectionError):
                        msg = None
                    if msg is None or msg.type is not aiohttp.WSMsgType.TEXT:
                        dropped += 1  # the server closed it (a screen too slow to answer pings)
                        return
                    now = time.time()
                    messages += 1
                    received_bytes += len(msg.data)
                    if index in sample:
                        for agent in json.loads(msg.data)["agents"]:
                            if now - agent["since"] < 5:
                                latencies.append(now - agent["since"])

        await asyncio.gather(*(read(i, ws) for i, ws in enumerate(sockets)))
        for ws in sockets:
            await ws.close()
    print(
        json.dumps(
            {
                "latencies": latencies,
                "messages": messages,
                "bytes": received_bytes,
                "dropped": dropped,
            }
        )
    )


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--rate", type=float, default=100.0, help="agent state changes per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--coalesce-ms", type=float, default=50.0)
    parser.add_argument("--mode", choices=["diffs", "naive", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="100 screens, 100 agents, 4 s")
    parser.add_argument("--screens", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.screens:
        url, cookie, clients, seconds = args.screens
        asyncio.run(_screens(url, cookie, int(clients), float(seconds)))
        return
    if args.quick:
        args.clients, args.agents, args.seconds = 100, 100, 4.0
    configure_logging("warning", "console")
    modes = ["diffs", "naive"] if args.mode == "both" else [args.mode]
    rows = []
    for mode in modes:
        r = asyncio.run(_server(args, mode))
        lat = r["latencies"]
        rows.append(
            [
                mode,
                str(args.clients),
                str(args.agents),
                f"{r['changes'] / r['wall']:.0f}",
                f"{r['messages'] / r['wall']:,.0f}",
                f"{r['bytes'] / r['wall'] / 1e6:.1f}",
                f"{_pct(r['queued'], 50):.0f} / {_pct(r['queued'], 99):.0f}",
                f"{_pct(lat, 50):.0f}",
                f"{_pct(lat, 99):.0f}",
                f"{100 * r['cpu'] / r['wall']:.0f}%",
                str(r["dropped"]),
            ]
        )
    print_table(
        [
            "feed",
            "screens",
            "agents",
            "changes/s",
            "messages/s",
            "MB/s",
            "queued p50/p99 ms",
            "p50 ms",
            "p99 ms",
            "server CPU",
            "screens lost",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
