"""FastAGI under load: our server and panoramisk 1.4's, side by side, on the same traffic.

Run from the repository root:  python -m benchmarks.agi_sessions [--quick]

Each server runs alone in a child process (so a server that freezes its event loop cannot
freeze the load), and a load client in this process plays Asterisk:
- s11 calls: N sessions, C at a time, each replaying a recorded call of the s11 load test
  (tests/fixtures/asterisk/agi/s11-sample/): environment, ANSWER, STREAM FILE, GET DATA,
  two MusicOnHold segments (the second ended by the bridge: -1, then an async HANGUP line
  before the next reply), GET VARIABLE, HANGUP answered 511. The client checks every byte
  the server sends; the server's handler checks every reply it decodes ("misread").
- round trips: sessions that each run K `SET VARIABLE` commands, for command throughput.
- connect-and-close: clients that connect and close at once, then one s11 call that must
  still be served within the timeout.
Every wait is bounded, so a frozen server shows in the table instead of hanging the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import structlog
from panoramisk.fast_agi import Application

from benchmarks._common import fixtures_dir
from callcenter.agi import AGIHangup, AGISession, FastAGIServer, GetVariable, Hangup
from callcenter.agi.transcript import (
    CloseOurSide,
    Expect,
    ExpectClose,
    Send,
    Step,
    load_transcript,
    replay_steps,
)

ROOT = Path(__file__).resolve().parents[1]
SERVERS = ("callcenter", "panoramisk 1.4")
SET_VARIABLE = b"SET VARIABLE IVR_RESULT sales\n"


def s11_steps() -> list[Step]:
    path = sorted((fixtures_dir() / "agi" / "s11-sample").glob("*.txt"))[0]
    return replay_steps(load_transcript(path))


# The servers under test (run in the child process).


class PanoramiskRequest(Protocol):
    """The part of panoramisk's FastAGI request the benchmark uses."""

    async def send_command(self, command: str) -> dict[str, Any]: ...


@dataclass
class Tally:
    sessions: int = 0
    misread: int = 0


async def ours_s11(session: AGISession, tally: Tally) -> None:
    misread = 0
    await session.answer()
    misread += await session.stream_file("demo-congrats", "0123456789#*") != "1"
    misread += (await session.get_data("beep", 3000, 2)).digits != "42"
    misread += (await session.exec("MusicOnHold", "default", "3")).result != "0"
    try:
        await session.exec("MusicOnHold", "default", "30")
        misread += 1
    except AGIHangup:
        pass
    reply = await session.command(GetVariable("CALLERID(num)"), after_hangup=True)
    misread += reply.data != ""
    try:
        await session.command(Hangup(), after_hangup=True)
        misread += 1
    except AGIHangup as dead:
        misread += dead.response is None or dead.response.code != 511
    tally.sessions += 1
    tally.misread += misread


async def pano_s11(request: PanoramiskRequest, tally: Tally) -> None:
    send = request.send_command
    expected = [  # (command, status, result) as the recording answers each one
        ("ANSWER", 200, "0"),
        ('STREAM FILE demo-congrats "0123456789#*"', 200, "49"),
        ("GET DATA beep 3000 2", 200, "42"),
        ("EXEC MusicOnHold default,3", 200, "0"),
        ("EXEC MusicOnHold default,30", None, None),
        ("GET VARIABLE CALLERID(num)", 200, "1"),
        ("HANGUP", 511, None),
    ]
    misread = 0
    for command, status, result in expected:
        reply = await send(command)
        if status is None:  # -1: panoramisk reports it as an AGIAppError, which is right
            misread += reply.get("error") != "AGIAppError"
        else:
            misread += reply.get("status_code") != status or (
                result is not None and reply.get("result", ("",))[0] != result
            )
    tally.sessions += 1
    tally.misread += misread


async def serve(kind: str, commands: int) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    tally = Tally()
    if kind == "callcenter":

        async def ivr(session: AGISession) -> None:
            await ours_s11(session, tally)

        async def rt(session: AGISession) -> None:
            for _ in range(commands):
                await session.set_variable("IVR_RESULT", "sales")
            tally.sessions += 1

        server = FastAGIServer(port=0, max_sessions=2000)
        server.route("ivr", ivr)
        server.route("rt", rt)
        await server.start()
        port = server.port
    else:

        async def pano_ivr(request: PanoramiskRequest) -> None:
            await pano_s11(request, tally)

        async def pano_rt(request: PanoramiskRequest) -> None:
            for _ in range(commands):
                reply = await request.send_command(SET_VARIABLE.decode().strip())
                tally.misread += reply.get("status_code") != 200
            tally.sessions += 1

        app = Application()
        app.add_route("ivr", pano_ivr)
        app.add_route("rt", pano_rt)
        listener = await asyncio.start_server(app.handler, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    while await asyncio.to_thread(sys.stdin.readline):
        print(json.dumps({"sessions": tally.sessions, "misread": tally.misread}), flush=True)


# The load (this process).


@dataclass
class Result:
    scenario: str
    server: str
    sessions: int = 0
    ok: int = 0
    round_trips: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    misread: int | None = None
    failures: dict[str, int] = field(default_factory=dict)
    note: str = ""

    def describe(self) -> str:
        failed = ", ".join(f"{count} x {name}" for name, count in sorted(self.failures.items()))
        return "; ".join(part for part in (failed, self.note) if part)


async def play(port: int, steps: list[Step], timeout: float) -> float:
    """One call as Asterisk; returns its duration, raises on any difference or timeout."""
    started = time.perf_counter()
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        async with asyncio.timeout(timeout):
            for step in steps:
                if isinstance(step, Send):
                    writer.write(step.data)
                elif isinstance(step, Expect):
                    line = await reader.readline()
                    if line != step.data:
                        raise AssertionError(f"expected {step.data!r}, got {line!r}")
                elif isinstance(step, ExpectClose):
                    if await reader.read(1) != b"":
                        raise AssertionError("expected the server to close")
                elif isinstance(step, CloseOurSide):
                    break
    finally:
        writer.close()
    return time.perf_counter() - started


def round_trip_steps(script_env: list[Step], commands: int) -> list[Step]:
    exchange: list[Step] = [Expect(SET_VARIABLE), Send(b"200 result=1\n")]
    return [*script_env, *exchange * commands, ExpectClose(), Send(b"HANGUP\n"), CloseOurSide()]


async def load(
    port: int, steps: list[Step], sessions: int, args: argparse.Namespace, result: Result
) -> None:
    gate = asyncio.Semaphore(args.concurrency)

    async def one() -> None:
        async with gate:
            try:
                result.latencies.append(await play(port, steps, args.timeout))
                result.ok += 1
            except (AssertionError, OSError, TimeoutError, asyncio.IncompleteReadError) as error:
                name = type(error).__name__
                result.failures[name] = result.failures.get(name, 0) + 1

    started = time.perf_counter()
    try:
        async with asyncio.timeout(args.deadline):
            await asyncio.gather(*(one() for _ in range(sessions)))
    except TimeoutError:
        result.note = f"stopped at the {args.deadline:g} s deadline: the server stopped serving"
    result.seconds = time.perf_counter() - started
    result.sessions = sessions


async def connect_and_close(
    port: int, clients: int, steps: list[Step], timeout: float, result: Result
) -> None:
    started = time.perf_counter()
    for _ in range(clients):
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
            writer.close()
        except (OSError, TimeoutError):
            break
    try:
        result.latencies.append(await play(port, steps, timeout))
        result.ok = 1
        result.note = f"served a call after {clients} connect-and-close clients"
    except (AssertionError, OSError, TimeoutError, asyncio.IncompleteReadError):
        result.note = f"froze: no call served within {timeout:g} s after connect-and-close"
    result.sessions = 1
    result.seconds = time.perf_counter() - started


async def run_scenario(kind: str, scenario: str, args: argparse.Namespace) -> Result:
    result = Result(scenario=scenario, server=kind)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.agi_sessions",
        "--serve",
        kind,
        "--commands",
        str(args.commands),
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    try:
        port = int((await asyncio.wait_for(child.stdout.readline(), 30)).split()[1])
        steps = s11_steps()
        env = steps[: next(i for i, step in enumerate(steps) if isinstance(step, Expect))]
        rt_env = [
            Send(s.data.replace(b"script: ivr", b"script: rt")) if isinstance(s, Send) else s
            for s in env
        ]
        if scenario == "s11 calls":
            await load(port, steps, args.sessions, args, result)
            result.round_trips = result.ok * sum(isinstance(s, Expect) for s in steps)
        elif scenario == "round trips":
            rt_steps = round_trip_steps(rt_env, args.commands)
            await load(port, rt_steps, args.rt_sessions, args, result)
            result.round_trips = result.ok * args.commands
        else:
            await connect_and_close(port, args.clients, steps, args.timeout, result)
        child.stdin.write(b"stats\n")
        stats = json.loads(await asyncio.wait_for(child.stdout.readline(), args.timeout))
        result.misread = stats["misread"]
    except (TimeoutError, ValueError, IndexError):
        result.note = result.note or "server stopped answering"
    finally:
        if child.returncode is None:
            child.kill()
        await child.wait()
    return result


def table(results: list[Result], args: argparse.Namespace) -> str:
    header = (
        "scenario",
        "server",
        "ok/sessions",
        "round trips",
        "s",
        "sessions/s",
        "round trips/s",
        "p50 ms",
        "p99 ms",
        "misread",
        "note",
    )
    rows = [header]
    for r in results:
        lat = sorted(r.latencies)
        p50 = f"{statistics.median(lat) * 1000:.1f}" if lat else "-"
        p99 = f"{lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000:.1f}" if lat else "-"
        rows.append(
            (
                r.scenario,
                r.server,
                f"{r.ok}/{r.sessions}",
                str(r.round_trips),
                f"{r.seconds:.2f}",
                f"{r.ok / r.seconds:.0f}" if r.seconds else "-",
                f"{r.round_trips / r.seconds:.0f}" if r.seconds else "-",
                p50,
                p99,
                "-" if r.misread is None else str(r.misread),
                r.describe(),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    title = (
        f"FastAGI over loopback: s11 calls {args.sessions} x {args.concurrency} concurrent;"
        f" round trips {args.rt_sessions} sessions x {args.commands} commands;"
        f" connect-and-close {args.clients} clients; timeout {args.timeout:g} s"
    )
    return "\n".join([title, *lines])


async def main_async(args: argparse.Namespace) -> None:
    results = [
        await run_scenario(kind, scenario, args)
        for scenario in ("s11 calls", "round trips", "connect-and-close")
        for kind in args.servers
    ]
    print(table(results, args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run for smoke tests")
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--rt-sessions", type=int, default=200)
    parser.add_argument("--commands", type=int, default=100)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=10.0, help="per call, seconds")
    parser.add_argument("--deadline", type=float, default=120.0, help="per scenario, seconds")
    parser.add_argument("--servers", nargs="+", choices=SERVERS, default=list(SERVERS))
    parser.add_argument("--serve", choices=SERVERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.commands))
        return
    if args.quick:
        args.sessions, args.concurrency, args.rt_sessions = 100, 20, 10
        args.commands, args.clients, args.timeout, args.deadline = 20, 10, 2.0, 20.0
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
