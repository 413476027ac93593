"""A fake Asterisk for the AMI client's integration tests: it replays a recorded session.

A `Recording` is one `ami-*.timeline.txt` of tests/fixtures/asterisk/ami cut into the
banner (the RX rows before the first TX) and one `Exchange` per action the recorded client
sent (TX): the RX rows that followed it up to the next TX, and whether Asterisk then closed
the connection (an `EOF from Asterisk` note). For an `-events` recording the Login's
exchange holds the reply and then the whole event stream, as it came.

`FakeAsterisk` serves a recording on 127.0.0.1 (port 0). Each connection gets the banner;
then each action the client sends is compared with the next recorded one: the `Action:`
name and every other header, in order, except the `ignore`d ones (ActionID by default), so
a recorded MD5 `Key` must match exactly. The answer is the recorded bytes with the recorded
ActionID rewritten to the client's. Outside the recording only two things are accepted: a
Ping (a keep-alive comes at any time) gets a recorded Pong, and a Logoff gets a recorded
Goodbye and the connection closes (close() may come at any point). Anything else is a
mismatch: noted in `mismatches`, the connection is closed, and leaving `async with` raises
AssertionError naming what the recording expected and what the client sent.

Knobs: `drop_after[i]` lets connection i+1 send that many messages (banner included), then
stay silent `drop_delay` seconds and close, mid-stream; the first `ignore_pings` connections
never answer a Ping; `delays` waits before answering an action, by name. `connections`
counts connections and `received` logs (connection, Action, ActionID) of every action.
Instances are independent: run several for several Asterisk servers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from tests.asterisk_fixtures import fixtures_root, read_transcript

Headers = tuple[tuple[str, str], ...]
# Asterisk's own answers to a Ping and a Logoff, from ami-cli-actions.timeline.txt.
PONG = b"Response: Success\r\nActionID: %s\r\nPing: Pong\r\nTimestamp: 1795341220.196450\r\n\r\n"
GOODBYE = b"Response: Goodbye\r\nActionID: %s\r\nMessage: Thanks for all the fish.\r\n\r\n"


def parse_action(raw: bytes) -> Headers:
    """The `(key, value)` lines of one message's bytes, in order, repeats kept."""
    lines = raw.decode("utf-8").strip("\r\n").split("\r\n")
    return tuple((key, value) for key, _, value in (line.partition(": ") for line in lines))


@dataclass(frozen=True)
class Exchange:
    """One recorded action, what Asterisk sent after it, and whether it then hung up."""

    action: Headers
    replies: tuple[bytes, ...] = ()
    eof: bool = False

    @property
    def name(self) -> str:
        return dict(self.action).get("Action", "")

    @property
    def action_id(self) -> str | None:
        return dict(self.action).get("ActionID")


@dataclass(frozen=True)
class Recording:
    """A recorded AMI session: banner rows, then exchanges in recorded order."""

    banner: tuple[bytes, ...]
    exchanges: tuple[Exchange, ...]

    @classmethod
    def load(cls, name: str) -> Recording:
        """The session of `ami-<name>.timeline.txt`."""
        path = fixtures_root() / "ami" / f"ami-{name}.timeline.txt"
        banner: list[bytes] = []
        exchanges: list[Exchange] = []
        for row in read_transcript(path):
            if row.direction == "TX":
                exchanges.append(Exchange(parse_action(row.data)))
            elif row.direction == "RX" and not exchanges:
                banner.append(row.data)
            elif row.direction == "RX":
                exchanges[-1] = replace(exchanges[-1], replies=(*exchanges[-1].replies, row.data))
            elif "EOF from Asterisk" in row.note and exchanges:
                exchanges[-1] = replace(exchanges[-1], eof=True)
        return cls(tuple(banner), tuple(exchanges))

    def pick(self, *indices: int) -> Recording:
        """The same session with only the exchanges at `indices` (recorded bytes kept)."""
        return Recording(self.banner, tuple(self.exchanges[i] for i in indices))

    def events(self) -> list[bytes]:
        """Every recorded event, in order (list items of list actions included)."""
        return [r for ex in self.exchanges for r in ex.replies if r.startswith(b"Event: ")]


class _Hangup(Exception):
    """Ends one connection on purpose (drop, mismatch, EOF in the recording)."""


class FakeAsterisk:
    """An asyncio AMI server on 127.0.0.1 that plays `recording` to every connection."""

    def __init__(
        self,
        recording: Recording,
        *,
        drop_after: Sequence[int] = (),
        drop_delay: float = 0.0,
        ignore_pings: int = 0,
        delays: Mapping[str, float] | None = None,
        ignore: Iterable[str] = ("ActionID",),
    ) -> None:
        self.recording = recording
        self.drop_after = tuple(drop_after)
        self.drop_delay = drop_delay
        self.ignore_pings = ignore_pings
        self.delays = dict(delays or {})
        self.ignore = frozenset(ignore)
        self.port = 0
        self.connections = 0
        self.received: list[tuple[int, str, str]] = []
        self.mismatches: list[str] = []
        self._server: asyncio.Server | None = None
        self._tasks: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._closed = False

    async def __aenter__(self) -> FakeAsterisk:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
        assert not self.mismatches, "the client strayed from the recording:\n" + "\n".join(
            self.mismatches
        )

    async def close(self) -> None:
        """Stop listening and end every open connection."""
        if self._server is not None:
            self._server.close()
        for _ in range(10):  # a connection accepted just before reaches _accept in a few turns
            await asyncio.sleep(0)
        self._closed = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in self._tasks.values():  # a task cancelled before it ran closed nothing
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        if self._server is not None:
            await self._server.wait_closed()

    def _comparable(self, action: Headers) -> Headers:
        return tuple((k, v) for k, v in action if k not in self.ignore)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._closed:
            writer.close()
            return
        self.connections += 1
        task = asyncio.create_task(self._serve(self.connections, reader, writer))
        self._tasks[task] = writer  # known at once, so close() can end it even before it runs

    async def _serve(
        self, conn: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            await self._session(conn, reader, writer)
        except (_Hangup, ConnectionError, asyncio.IncompleteReadError):
            pass  # a planned hang-up, or the client closed its side
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _session(
        self, conn: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        limit = self.drop_after[conn - 1] if conn <= len(self.drop_after) else None
        sent = 0

        async def send(messages: Iterable[bytes]) -> None:
            nonlocal sent
            for message in messages:
                if limit is not None and sent >= limit:
                    await asyncio.sleep(self.drop_delay)
                    raise _Hangup
                writer.write(message)
                sent += 1
            await writer.drain()

        await send(self.recording.banner)
        script = list(self.recording.exchanges)
        while True:
            action = parse_action(await reader.readuntil(b"\r\n\r\n"))
            name, client_id = dict(action).get("Action", "?"), dict(action).get("ActionID", "")
            self.received.append((conn, name, client_id))
            if name == "Ping" and conn <= self.ignore_pings:
                continue
            await asyncio.sleep(self.delays.get(name, 0.0))
            want = script[0] if script else None
            if want is not None and self._comparable(action) == self._comparable(want.action):
                script.pop(0)
                old, new = f"ActionID: {want.action_id}\r\n", f"ActionID: {client_id}\r\n"
                await send(r.replace(old.encode(), new.encode()) for r in want.replies)
                if want.eof:
                    raise _Hangup
            elif name == "Ping":
                await send([PONG % client_id.encode()])
            elif name == "Logoff":
                await send([GOODBYE % client_id.encode()])
                raise _Hangup
            else:
                expected = "nothing more" if want is None else repr(want.action)
                self.mismatches.append(
                    f"connection {conn}: the recording expects {expected}, "
                    f"the client sent {action!r}"
                )
                raise _Hangup
