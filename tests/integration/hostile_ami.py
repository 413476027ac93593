"""A hostile Asterisk for the service's AMI link: the simulator behind a proxy that attacks.

`HostileLink` listens on 127.0.0.1 and forwards every AMI connection to an upstream AMI
server (the `PbxSimulator`'s), so calls still work end to end; between two whole messages
of the upstream's stream it can inject whatever a broken or hostile Asterisk would send:
events with fields missing or malformed (`inject`), tens of thousands of them at once, a
message cut off by a close (`cut_mid_message`). It can stop answering the client's Pings
(`swallow_pongs`: the Pong replies are dropped) and refuse new connections for a while
(`refuse`: accepted and closed at once, as an Asterisk that is down). `connections`
counts the connections the client made; `pings` the Pings it sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping

TERMINATOR = b"\r\n\r\n"


def event(name: str, fields: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> bytes:
    """One AMI event as Asterisk frames it (`Event:` first, CRLF lines, a blank line)."""
    pairs = fields.items() if isinstance(fields, Mapping) else fields
    lines = [f"Event: {name}", "Privilege: call,all", *(f"{k}: {v}" for k, v in pairs)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


class _Pipe:
    """One client connection and its upstream connection."""

    def __init__(self, link: HostileLink, client: asyncio.StreamWriter) -> None:
        self.link = link
        self.client = client
        self.pings: set[str] = set()
        self.tasks: list[asyncio.Task[None]] = []

    async def run(self, reader: asyncio.StreamReader) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.link.upstream)
        except OSError:
            self.client.close()
            return
        self.tasks = [
            asyncio.create_task(self._to_upstream(reader, up_writer)),
            asyncio.create_task(self._to_client(up_reader)),
        ]
        try:
            await asyncio.wait(self.tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in self.tasks:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            for writer in (up_writer, self.client):
                writer.close()
                with contextlib.suppress(ConnectionError):
                    await writer.wait_closed()
            self.link.pipes.discard(self)

    async def _to_upstream(self, reader: asyncio.StreamReader, up: asyncio.StreamWriter) -> None:
        buffer = b""
        while data := await reader.read(65536):
            buffer += data
            *actions, buffer = buffer.split(TERMINATOR)
            for action in actions:
                fields = dict(
                    line.split(": ", 1) for line in action.decode().split("\r\n") if ": " in line
                )
                if fields.get("Action", "").lower() == "ping":
                    self.link.pings += 1
                    self.pings.add(fields.get("ActionID", ""))
            up.write(data)
            await up.drain()

    async def _to_client(self, up: asyncio.StreamReader) -> None:
        banner = await up.readuntil(b"\r\n")
        self.client.write(banner)
        buffer = b""
        while data := await up.read(65536):
            buffer += data
            *messages, buffer = buffer.split(TERMINATOR)
            for message in messages:
                if self.link.swallow_pongs and self._is_pong(message):
                    continue
                self.client.write(message + TERMINATOR)
            await self.client.drain()

    def _is_pong(self, message: bytes) -> bool:
        for line in message.split(b"\r\n"):
            if line.startswith(b"ActionID: "):
                return line[10:].decode() in self.pings
        return False


class HostileLink:
    """The AMI proxy that turns hostile on demand (see the module's docstring)."""

    def __init__(self, upstream: int) -> None:
        """Forward to the AMI server on 127.0.0.1:`upstream`."""
        self.upstream = upstream
        self.port = 0
        self.connections = 0
        self.pings = 0
        self.swallow_pongs = False
        self.refuse = False
        self.pipes: set[_Pipe] = set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> HostileLink:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refuse:
            writer.close()
            return
        self.connections += 1
        pipe = _Pipe(self, writer)
        self.pipes.add(pipe)
        task = asyncio.create_task(pipe.run(reader))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def inject(self, messages: Iterable[bytes]) -> int:
        """Write `messages` to every connected client, between two whole upstream
        messages; how many were written to each."""
        payload = list(messages)
        for pipe in list(self.pipes):
            for message in payload:
                pipe.client.write(message)
            await pipe.client.drain()
        return len(payload)

    async def cut_mid_message(self, message: bytes) -> None:
        """Send the first half of `message` to every client, then close its connection."""
        for pipe in list(self.pipes):
            pipe.client.write(message[: len(message) // 2])
            await pipe.client.drain()
            for task in pipe.tasks:
                task.cancel()
