"""How a standby hands requests to the leader (issue 18: "LISTEN/NOTIFY, or a table that the
leader reads; your choice, measured"): the product's relay against a table both sides only
poll, in the same run, on one throwaway PostgreSQL server (tests/pg.py; without the server
binaries the benchmark stops and says so).

Two `Relay`s in this process, on two sets of connections like two nodes: "a" leads and
serves a handler that answers at once, "b" relays to it. Three ways, each measured with
one request at a time (the latency a person's click pays) and with `--concurrency`
requests in flight (a busy standby):

* **notify** (the product): the message row and its NOTIFY in one statement, the answer
  and its NOTIFY in one statement (the answer inline when it fits), each side also polling
  every 0.5 s as a safety net;
* **poll 50 ms** / **poll 10 ms**: the same table and statements, the notifications
  ignored, so each side finds the other's rows only by polling at that interval.

Columns: requests/s, round trip p50/p99 (standby's send -> its answer), and the
PostgreSQL server's CPU milliseconds per request (`/proc/<pid>/stat` of the server and
its backends, before and after; the polling runs count their idle polling too, which is
their price). Below: the leader's feed to a standby (`publish` -> `listen`): messages/s
and delivery delay p50/p99 for `--feed` messages of 400 bytes sent in batches of 16 (what
a wallboard refresh for a few screens costs).

Last (`--web`, skipped with `--url`): two real `callcenter serve` nodes on the same server
(tests/cluster/harness.py): `GET /api/me` answered by the leader and by the standby (which
relays it), and one agent's desktop socket open on each node while the agent's state
changes: how much later each change reaches the standby's socket than the leader's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

# Run from a checkout without installing: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from acd import AcdSettings, AgentSettings, QueueSettings
from benchmarks._common import print_table
from callcenter.app.logsetup import configure_logging
from callcenter.cluster.relay import JSON, Origin, Relay
from callcenter.db import make_engine, upgrade
from callcenter.sim import AgentPhone
from tests.cluster.harness import cluster
from tests.pg import PostgresServer, running_server, server_bin


class PollingRelay(Relay):
    """The relay with its notifications ignored: a table each side only polls."""

    def _on_request(self, _conn: object, _pid: int, _channel: str, _payload: str) -> None:
        return

    def _on_reply(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        return


def _server_cpu_s() -> float:
    """CPU seconds of every PostgreSQL process of this machine (the throwaway server's)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        if name.startswith("postgres"):
            fields = stat[stat.rindex(")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def _answer(body: JSON, origin: Origin) -> JSON:
    return {"ok": True, "n": body["n"]}


async def _requests(
    url: str, kind: type[Relay], poll_s: float, count: int, concurrency: int
) -> list[str]:
    leader, standby = kind(url, "a", poll_s=poll_s), kind(url, "b", poll_s=poll_s)
    await leader.start()
    await standby.start()
    leader.serve("echo", _answer)
    leader.lead()
    try:
        for n in range(20):  # warm the connections
            await standby.call("echo", {"n": n})
        trips: list[float] = []
        queue = iter(range(count))

        async def worker() -> None:
            for n in queue:
                sent = time.perf_counter()
                await standby.call("echo", {"n": n})
                trips.append(time.perf_counter() - sent)

        await asyncio.sleep(0.5)  # the previous run's server processes have exited
        cpu = _server_cpu_s()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        took = time.perf_counter() - started
        cpu = _server_cpu_s() - cpu
    finally:
        await standby.close()
        await leader.close()
    return [
        f"{count / took:,.0f}",
        f"{_pct(trips, 50) * 1000:.1f}",
        f"{_pct(trips, 99) * 1000:.1f}",
        f"{cpu / count * 1000:.2f}",
    ]


async def _feed(url: str, count: int) -> list[str]:
    leader, standby = Relay(url, "a"), Relay(url, "b")
    await leader.start()
    await standby.start()
    delays: list[float] = []
    done = asyncio.Event()

    def heard(payload: str) -> None:
        delays.append(time.perf_counter() - float(payload[:20]))
        if len(delays) == count:
            done.set()

    standby.listen("cc_feed_b", heard)
    await standby.heard_on("cc_feed_b")
    pad = "x" * 380
    try:
        started = time.perf_counter()
        for _ in range(0, count, 16):
            now = time.perf_counter()
            await leader.publish("cc_feed_b", [f"{now:20.6f}{pad}"] * 16)
        await asyncio.wait_for(done.wait(), 60)
        took = time.perf_counter() - started
    finally:
        await standby.close()
        await leader.close()
    return [
        f"{count:,}",
        f"{count / took:,.0f}",
        f"{_pct(delays, 50) * 1000:.1f}",
        f"{_pct(delays, 99) * 1000:.1f}",
    ]


WEB_ACD = AcdSettings(
    queues=(QueueSettings(name="general"),),
    agents=(AgentSettings(id="agent1", queues=("general",)),),
)


async def _web(args: argparse.Namespace, postgres: PostgresServer) -> list[list[str]]:
    """A browser on the leader against one on the standby (two real nodes)."""
    with tempfile.TemporaryDirectory(prefix="relay-web-") as tmp_name:
        tmp = Path(tmp_name)
        async with cluster(tmp, postgres, WEB_ACD, [AgentPhone("agent1")]) as c:
            leader = await c.leader()
            standby = next(n for n in c.nodes if n is not leader)

            async def standing_by() -> bool:
                return (await c.roles()).get(standby.name) == "standby"

            await c.until(standing_by, 30)
            await c.add_agent_login("agent1")
            csrf = await c.admin(leader)
            rows: list[list[str]] = []
            for name, node in (("leader", leader), ("standby (relayed)", standby)):
                trips = []
                for _ in range(args.web):
                    sent = time.perf_counter()
                    async with c.http.get(f"{node.url}/api/me") as response:
                        await response.read()
                        if response.status != 200:
                            raise SystemExit(f"GET /api/me on the {name}: {response.status}")
                    trips.append(time.perf_counter() - sent)
                rows.append([f"GET /api/me on the {name}", *_ms(trips)])
            # The same desktop feed on both nodes: how much later the standby's socket has
            # each change than the leader's (same machine, same clock).
            agent = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
            try:
                login = {"username": "agent1", "password": "agent1-pass"}
                async with agent.post(f"{leader.url}/api/login", json=login) as response:
                    response.raise_for_status()
                sockets = [await agent.ws_connect(f"{n.url}/ws/agent") for n in (leader, standby)]
                arrivals: list[list[float]] = [[], []]

                async def read(i: int) -> None:
                    async for msg in sockets[i]:
                        if json.loads(msg.data).get("type") == "state":
                            arrivals[i].append(time.perf_counter())

                for ws in sockets:  # each feed has started (its snapshot came)
                    first = json.loads((await ws.receive(timeout=30)).data)
                    if first.get("type") != "snapshot":
                        raise SystemExit(f"a desktop's first message: {first}")
                readers = [asyncio.create_task(read(i)) for i in (0, 1)]
                for n in range(args.web // 5 + 1):
                    state = "logged_in" if n == 0 else "ready" if n % 2 else "not_ready"
                    url = f"{leader.url}/api/agents/agent1/state"
                    body = {"state": state, "reason": "break" if state == "not_ready" else None}
                    async with c.http.post(url, json=body, headers=csrf) as response:
                        if response.status != 200:
                            raise SystemExit(f"agent1 {state}: {await response.text()}")
                    await asyncio.sleep(0.02)
                await asyncio.sleep(1.0)
                for reader in readers:
                    reader.cancel()
                for ws in sockets:
                    await ws.close()
            finally:
                await agent.close()
            pairs = list(zip(*arrivals, strict=False))
            delays = [standby_at - leader_at for leader_at, standby_at in pairs]
            rows.append(
                [f"desktop feed: standby after leader ({len(delays)} changes)", *_ms(delays)]
            )
            return rows


def _ms(values: list[float]) -> list[str]:
    return [f"{_pct(values, 50) * 1000:.2f}", f"{_pct(values, 99) * 1000:.2f}"]


async def _main(args: argparse.Namespace, url: str, postgres: PostgresServer | None) -> None:
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    ways: list[tuple[str, type[Relay], float]] = [
        ("notify (product)", Relay, 0.5),
        ("poll 50 ms", PollingRelay, 0.05),
        ("poll 10 ms", PollingRelay, 0.01),
    ]
    rows: list[list[str]] = []
    for concurrency in (1, args.concurrency):
        for name, kind, poll in ways:
            figures = await _requests(url, kind, poll, args.requests, concurrency)
            rows.append([name, str(concurrency), *figures])
    print(f"Relay: {args.requests} requests per row, standby -> leader -> standby")
    print_table(["way", "in flight", "requests/s", "p50 ms", "p99 ms", "PG CPU ms/req"], rows)
    print()
    print("Feed: leader publish -> standby listener (400-byte messages, batches of 16)")
    print_table(["messages", "messages/s", "p50 ms", "p99 ms"], [await _feed(url, args.feed)])
    if postgres is not None and args.web:
        print()
        print("The web of two real nodes: a standby's answers and feeds against the leader's")
        print_table(["what", "p50 ms", "p99 ms"], await _web(args, postgres))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--feed", type=int, default=20_000)
    parser.add_argument(
        "--web", type=int, default=500, help="relayed API requests (0: no web part)"
    )
    parser.add_argument(
        "--url", help="an existing PostgreSQL database (postgresql+asyncpg://; no web part)"
    )
    args = parser.parse_args(argv)
    configure_logging("warning", "console")
    if args.url:
        asyncio.run(_main(args, args.url, None))
        return 0
    bindir = server_bin()
    if bindir is None:
        print("no PostgreSQL server binaries (initdb): install postgresql to run this")
        return 1
    with running_server(bindir) as (host, port):
        server = PostgresServer(bindir, host, port)
        asyncio.run(_main(args, server.new_database(), server))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
