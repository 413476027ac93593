"""Shared harness for the AGI integration tests: a fake Asterisk that replays recordings.

`replay()` plays Asterisk's side of a recorded FastAGI session from
tests/fixtures/asterisk/agi/ (found by glob): it sends the RX bytes and reads each TX line
the server must send at that point. `ServerPool` starts real FastAGIServers on free ports,
each with an `Observer` of its session events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from callcenter.agi import (
    AGISession,
    DigitsResult,
    FastAGIServer,
    Handler,
    SessionEnded,
    SessionEvent,
)
from callcenter.agi.transcript import (
    CloseOurSide,
    Expect,
    ExpectClose,
    Send,
    Step,
    Transcript,
    load_transcript,
)
from tests.asterisk_fixtures import fixtures_root

TIMEOUT = 5.0


TRANSCRIPTS = {
    path.name.removesuffix(".txt"): load_transcript(path)
    for path in sorted((fixtures_root() / "agi").rglob("*.txt"))
}


def recording(prefix: str) -> Transcript:
    return next(t for name, t in TRANSCRIPTS.items() if name.startswith(prefix))


def environment(transcript: Transcript, script: str | None = None) -> bytes:
    """The recording's environment block, optionally for another script path."""
    lines: list[bytes] = []
    for row in transcript.rows:
        if row.kind == "RX":
            lines.append(row.data)
            if row.data == b"\n":
                break
    if script is not None:
        lines = [
            b"agi_network_script: %s\n" % script.encode()
            if line.startswith(b"agi_network_script:")
            else line
            for line in lines
        ]
    return b"".join(lines)


class Observer:
    """Collects the server's session events; a test awaits the ends it expects."""

    def __init__(self) -> None:
        self.ended: asyncio.Queue[SessionEnded] = asyncio.Queue()
        self.events: list[SessionEvent] = []

    def __call__(self, event: SessionEvent) -> None:
        self.events.append(event)
        if isinstance(event, SessionEnded):
            self.ended.put_nowait(event)

    async def next_end(self) -> SessionEnded:
        async with asyncio.timeout(TIMEOUT):
            return await self.ended.get()


ServerFactory = Callable[..., Awaitable[tuple[FastAGIServer, Observer]]]


class ServerPool:
    """Starts servers on free ports, each with an observer; closes them all at the end."""

    def __init__(self) -> None:
        self._servers: list[FastAGIServer] = []

    async def start(
        self, routes: dict[str, Handler], **options: Any
    ) -> tuple[FastAGIServer, Observer]:
        observer = Observer()
        options.setdefault("idle_timeout", TIMEOUT)
        options.setdefault("close_linger", TIMEOUT)
        server = FastAGIServer(port=0, observer=observer, **options)
        for script, handler in routes.items():
            server.route(script, handler)
        await server.start()
        self._servers.append(server)
        return server, observer

    async def close(self) -> None:
        for server in self._servers:
            await server.close(grace=0.1)


async def replay(port: int, steps: list[Step]) -> None:
    """Play Asterisk's side: send the RX bytes, read each TX line the server must send."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        async with asyncio.timeout(TIMEOUT):
            for step in steps:
                if isinstance(step, Send):
                    writer.write(step.data)
                    await writer.drain()
                elif isinstance(step, Expect):
                    assert await reader.readline() == step.data
                elif isinstance(step, ExpectClose):
                    assert await reader.read(1) == b""
                elif isinstance(step, CloseOurSide):
                    writer.close()
    finally:
        writer.close()
        with suppress(OSError):
            await writer.wait_closed()


async def read_until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything until the server closes (a reset counts as closed)."""
    try:
        async with asyncio.timeout(TIMEOUT):
            return await reader.read()
    except ConnectionResetError:
        return b""


def scripted(exchanges: list[tuple[bytes, bytes]], *, then: list[Step] | None = None) -> list[Step]:
    """Asterisk's side: the s1 environment, then (command expected, reply sent) pairs."""
    steps: list[Step] = [Send(environment(recording("agi-s1-")))]
    for command, reply in exchanges:
        steps += [Expect(command), Send(reply)]
    return steps + (then if then is not None else [ExpectClose(), CloseOurSide()])


async def answer_then(session: AGISession, then: Callable[[], Awaitable[object]]) -> None:
    await session.answer()
    await then()


async def start_call(port: int, env: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect, send the environment, and answer the server's ANSWER."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(env)
    async with asyncio.timeout(TIMEOUT):
        assert await reader.readline() == b"ANSWER\n"
    writer.write(b"200 result=0\n")
    return reader, writer


# Handlers more than one test module runs.


async def ivr_menu(session: AGISession) -> None:
    await session.answer()
    assert await session.stream_file("demo-congrats", "0123456789#*") == "1"
    assert await session.get_data("beep", 3000, 4) == DigitsResult("23", timed_out=False)
    await session.set_variable("IVR_RESULT", "sales")
    assert await session.get_variable("CALLERID(num)") == session.request.caller_number
    assert (await session.exec("Playback", "beep")).result == "0"
    await session.verbose("hello", 1)


async def s1_ivr(session: AGISession) -> None:
    await ivr_menu(session)
    await session.hangup()
    assert session.hung_up


async def s7_survey(session: AGISession) -> None:
    assert await session.channel_status() == 6
    assert (await session.get_data("beep", 5000, 1)).digits == "4"
    await session.set_variable("SURVEY_Q1", "4")
    await session.hangup()
