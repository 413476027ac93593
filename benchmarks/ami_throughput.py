"""AMI event throughput: the real s11 stream over loopback TCP into typed events.

A fake Asterisk (this process) serves the banner, answers the login and then streams the
events of `ami/ami-s11-load-events.txt` (the real 150-call load, 12,319 events) repeated
to at least `--events` events. Each consumer runs in a fresh child process and reports
how long it took from login to the last event, and its peak memory:

- callcenter: `AMIClient` + a subscription read with `next_batch()`, i.e. typed events as
  the product's consumers take them;
- panoramisk 1.4: `Manager` with a `*` event callback;
- pyst2 0.5.1: `asterisk.manager.Manager` with a `*` event callback. It reads one byte per
  system call, so it gets a smaller slice of the same stream (`--pyst2-events`).

Virtual machines steal CPU time unevenly (this one showed 100% steal in `top`), so each
consumer runs `--repeat` times, interleaved with the others, and the table keeps each one's
best run; "events/CPU-s" divides by the consumer's own CPU time. `--instructions` adds the
steal-proof measure: each consumer runs under valgrind's callgrind at two stream lengths,
and the difference in instructions divided by the difference in events is its cost per
event, start-up excluded (pyst2 is left out: under valgrind it would take an hour).

Run: python benchmarks/ami_throughput.py [--events 200000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import fixtures_dir, print_table

USER, SECRET = "bench", "bench-secret"


def load_events() -> list[bytes]:
    """Every `Event:` message of the s11 stream, CRLF-terminated, as sent by Asterisk."""
    raw = (fixtures_dir() / "ami" / "ami-s11-load-events.txt").read_bytes()
    return [m + b"\r\n\r\n" for m in raw.split(b"\r\n\r\n") if m.startswith(b"Event: ")]


def build_stream(target: int) -> tuple[bytes, int]:
    """The event stream repeated until it holds at least `target` events."""
    events = load_events()
    reps = -(-target // len(events))
    return b"".join(events) * reps, len(events) * reps


async def serve(stream: bytes) -> tuple[asyncio.Server, int]:
    """A fake Asterisk: banner, login answered, then the whole stream."""

    async def answer_actions(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Answer whatever the consumer sends after login (pings, Logoff) as Asterisk would.
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            fields = dict(line.split(b": ", 1) for line in head.split(b"\r\n") if b": " in line)
            action_id = fields.get(b"ActionID", b"")
            if fields.get(b"Action", b"").lower() == b"logoff":
                writer.write(
                    b"Response: Goodbye\r\nActionID: "
                    + action_id
                    + b"\r\nMessage: Thanks for all the fish.\r\n\r\n"
                )
                return
            writer.write(b"Response: Success\r\nActionID: " + action_id + b"\r\n\r\n")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        answering = None
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            action_id = b""
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"actionid:"):
                    action_id = line.split(b":", 1)[1].strip()
            writer.write(
                b"Response: Success\r\nActionID: "
                + action_id
                + b"\r\nMessage: Authentication accepted\r\n\r\n"
            )
            await writer.drain()
            answering = asyncio.create_task(answer_actions(reader, writer))
            view = memoryview(stream)
            for i in range(0, len(stream), 256 * 1024):
                writer.write(view[i : i + 256 * 1024])
                await writer.drain()
            await answering
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if answering is not None:
                answering.cancel()
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


# -- consumers (run in a child process) ----------------------------------------------


def consume_callcenter(port: int, n: int) -> tuple[float, float]:
    from callcenter.ami import AMIClient, AMIClientOptions, AMIServer, Event

    async def run() -> tuple[float, float]:
        client = AMIClient(
            AMIServer("bench", "127.0.0.1", port, USER, SECRET),
            AMIClientOptions(ping_interval=3600),
        )
        sub = client.subscribe(maxsize=10_000)
        await client.connect(timeout=10)
        t0, c0 = time.perf_counter(), time.process_time()
        count = 0
        # The batch API, as the product's consumers take events (panoramisk calls a plain
        # function per event: neither pays a coroutine step per event).
        while count < n:
            for item in await sub.next_batch():
                if isinstance(item, Event):
                    # Every consumer reads one field of every event: none wins by not parsing.
                    item.headers.get("Uniqueid")
                    count += 1
                    if count == n:
                        break
        measured = time.perf_counter() - t0, time.process_time() - c0
        await client.close()
        return measured

    return asyncio.run(run())


def consume_panoramisk(port: int, n: int) -> tuple[float, float]:
    import logging

    from panoramisk import Manager

    logging.getLogger("panoramisk").setLevel(logging.CRITICAL)

    async def run() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[tuple[float, float]] = loop.create_future()
        count = 0
        t0 = c0 = 0.0

        def on_event(manager: object, message: dict[str, str]) -> None:
            nonlocal count
            message.get("Uniqueid")
            count += 1
            if count == n and not done.done():
                done.set_result((time.perf_counter() - t0, time.process_time() - c0))

        manager = Manager(
            loop=loop, host="127.0.0.1", port=port, username=USER, secret=SECRET, ping_delay=0
        )
        manager.register_event("*", on_event)
        t0, c0 = time.perf_counter(), time.process_time()
        await manager.connect()
        elapsed = await asyncio.wait_for(done, 600)
        manager.close()
        return elapsed

    return asyncio.run(run())


def consume_pyst2(port: int, n: int) -> tuple[float, float]:
    import threading

    from asterisk.manager import Manager

    done = threading.Event()
    count = 0

    def on_event(event: Any, manager: object) -> None:
        nonlocal count
        event.headers.get("Uniqueid")
        count += 1
        if count == n:
            done.set()

    manager = Manager()
    manager.connect("127.0.0.1", port)
    manager.login(USER, SECRET)
    manager.register_event("*", on_event)
    t0, c0 = time.perf_counter(), time.process_time()
    if not done.wait(600):
        raise TimeoutError(f"pyst2 delivered {count} of {n} events")
    # Its threads never stop cleanly: the child hard-exits after reporting.
    return time.perf_counter() - t0, time.process_time() - c0


CONSUMERS = {
    "callcenter": consume_callcenter,
    "panoramisk": consume_panoramisk,
    "pyst2": consume_pyst2,
}


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM; ru_maxrss would count the parent's before exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_main(name: str, port: int, n: int) -> None:
    elapsed, cpu = CONSUMERS[name](port, n)
    print(json.dumps({"elapsed": elapsed, "cpu": cpu, "rss_mb": peak_rss_mb()}), flush=True)
    os._exit(0)  # pyst2 leaves non-daemon threads blocked on its socket


# -- driver ---------------------------------------------------------------------------


async def start_child(
    name: str, port: int, n_events: int, *wrapper: str
) -> asyncio.subprocess.Process:
    """This script as a consumer child process (optionally run under `wrapper`)."""
    return await asyncio.create_subprocess_exec(
        *wrapper,
        sys.executable,
        __file__,
        "--child",
        name,
        "--port",
        str(port),
        "--events",
        str(n_events),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


async def measure(name: str, n_events: int, timeout: float) -> dict[str, float] | str:
    stream, _ = build_stream(n_events)
    # The consumer counts exactly n_events; the server has at least that many to send.
    server, port = await serve(stream)
    try:
        proc = await start_child(name, port, n_events)
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            return f"timed out after {timeout:.0f} s"
        if proc.returncode != 0:
            return "failed: " + err.decode(errors="replace").strip().splitlines()[-1][:60]
        result: dict[str, float] = json.loads(out.decode().strip().splitlines()[-1])
        return result
    finally:
        server.close()


async def instructions_per_event(name: str, small: int, large: int) -> float | str:
    """Instructions per event of consumer `name` under callgrind (start-up cancels out)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return "valgrind not installed"
    stream, _ = build_stream(large)
    server, port = await serve(stream)
    counts = []
    try:
        for n in (small, large):
            proc = await start_child(
                name, port, n, valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null"
            )
            _, err = await proc.communicate()
            found = re.search(rb"Collected : (\d+)", err)
            if proc.returncode != 0 or found is None:
                return "callgrind run failed"
            counts.append(int(found.group(1)))
    finally:
        server.close()
    return (counts[1] - counts[0]) / (large - small)


async def print_instructions(small: int, large: int) -> None:
    rows, costs = [], {}
    for name in ("callcenter", "panoramisk"):
        cost = await instructions_per_event(name, small, large)
        costs[name] = cost
    base = costs["panoramisk"]
    for name, cost in costs.items():
        if isinstance(cost, str):
            rows.append([name, "-", "-", cost])
            continue
        ratio = f"{base / cost:.2f}x" if isinstance(base, float) else "-"
        rows.append([name, f"{cost:,.0f}", ratio, "ok"])
    print()
    print(f"Instructions per event under callgrind ({small:,} and {large:,} events; steal-proof)")
    print_table(["consumer", "instructions/event", "panoramisk / it", "status"], rows)


async def main_async(args: argparse.Namespace) -> None:
    plan = [
        ("callcenter", args.events),
        ("panoramisk", args.events),
        ("pyst2", args.pyst2_events),
    ]
    results: dict[str, dict[str, float] | str] = {}
    for _ in range(args.repeat):
        for name, n in plan:
            if isinstance(results.get(name), str):
                continue  # it failed or timed out: once is enough
            res = await measure(name, n, args.timeout)
            best = results.get(name)
            if isinstance(res, str) or best is None or res["elapsed"] < best["elapsed"]:
                results[name] = res
    rates = {
        name: (n / res["elapsed"], n / res["cpu"])
        for name, n in plan
        if isinstance(res := results[name], dict)
    }
    base = rates.get("panoramisk")
    rows = []
    for name, n in plan:
        res = results[name]
        if isinstance(res, str):
            rows.append([name, f"{n:,}", "-", "-", "-", "-", "-", res])
            continue
        wall, cpu = rates[name]
        ratio = f"{wall / base[0]:.2f}x / {cpu / base[1]:.2f}x" if base else "-"
        rows.append(
            [
                name,
                f"{n:,}",
                f"{res['elapsed']:.3f}",
                f"{wall:,.0f}",
                f"{cpu:,.0f}",
                ratio,
                f"{res['rss_mb']:.0f}",
                "ok",
            ]
        )
    print(
        f"AMI event throughput over loopback TCP (stream: ami-s11-load-events.txt, "
        f"best of {args.repeat}, Python {sys.version.split()[0]})"
    )
    print_table(
        [
            "consumer",
            "events",
            "seconds",
            "events/s",
            "events/CPU-s",
            "vs panoramisk (wall / CPU)",
            "peak RSS MB",
            "status",
        ],
        rows,
    )
    if args.instructions:
        await print_instructions(*((1_000, 3_000) if args.quick else (10_000, 30_000)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--pyst2-events", type=int, default=5_000)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--instructions", action="store_true", help="also count instructions per event (valgrind)"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke test")
    parser.add_argument("--child", choices=sorted(CONSUMERS))
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.child:
        child_main(args.child, args.port, args.events)
        return
    if args.quick:
        args.events, args.pyst2_events, args.timeout, args.repeat = 5_000, 300, 60.0, 1
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
