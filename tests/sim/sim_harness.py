"""Shared helpers for the simulator tests: a raw AMI socket client and a FastAGI server.

`RawAMI` speaks AMI by hand over a real socket (no product code in between), so tests can
compare exactly what the simulator writes with the recordings. `agi_server()` starts the
product's own `FastAGIServer` on a free port with the given routes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress

from callcenter.agi import FastAGIServer, Handler
from callcenter.sim import AgentPhone, PbxSimulator, ScaledClock, SimOptions

TIMEOUT = 5.0
Pairs = list[tuple[str, str]]
Fields = Sequence[tuple[str, str]]


def parse(raw: bytes) -> Pairs:
    """The `(key, value)` lines of one AMI message."""
    lines = raw.decode().strip("\r\n").split("\r\n")
    return [(k, v) for k, _, v in (line.partition(": ") for line in lines)]


class RawAMI:
    """A hand-written AMI client: write actions, read whole messages."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.banner = b""

    @classmethod
    async def connect(cls, port: int, events: str | None = "on", login: bool = True) -> RawAMI:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        ami = cls(reader, writer)
        async with asyncio.timeout(TIMEOUT):
            ami.banner = await reader.readline()
        if login:
            fields = [("Username", "callcenter"), ("Secret", "callcenter")]
            if events is not None:
                fields.append(("Events", events))
            reply = await ami.action("Login", fields, "login-1")
            assert dict(reply)["Response"] == "Success", reply
        return ami

    def send(self, name: str, fields: Fields = (), action_id: str | None = None) -> None:
        lines = [f"Action: {name}"]
        if action_id is not None:
            lines.append(f"ActionID: {action_id}")
        lines += [f"{k}: {v}" for k, v in fields]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    async def read(self, timeout: float = TIMEOUT) -> Pairs:
        async with asyncio.timeout(timeout):
            return parse(await self.reader.readuntil(b"\r\n\r\n"))

    async def action(self, name: str, fields: Fields = (), action_id: str = "a-1") -> Pairs:
        """Send an action and return the first message that answers it (events skipped)."""
        self.send(name, fields, action_id)
        while True:
            msg = await self.read()
            if msg[0][0] == "Response" and dict(msg).get("ActionID") == action_id:
                return msg

    async def until(self, done: Callable[[Pairs], bool], timeout: float = TIMEOUT) -> list[Pairs]:
        """Every message up to and including the first for which `done` is true."""
        seen: list[Pairs] = []
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.read()
                seen.append(msg)
                if done(msg):
                    return seen

    async def close(self) -> None:
        self.writer.close()
        with suppress(ConnectionError):
            await self.writer.wait_closed()


def is_event(name: str, **fields: str) -> Callable[[Pairs], bool]:
    """A predicate: the message is event `name` with these field values."""

    def check(msg: Pairs) -> bool:
        d = dict(msg)
        return d.get("Event") == name and all(d.get(k) == v for k, v in fields.items())

    return check


@asynccontextmanager
async def agi_server(routes: dict[str, Handler]) -> AsyncIterator[FastAGIServer]:
    server = FastAGIServer(port=0, idle_timeout=TIMEOUT, close_linger=TIMEOUT)
    for script, handler in routes.items():
        server.route(script, handler)
    await server.start()
    try:
        yield server
    finally:
        await server.close(grace=0.5)


@asynccontextmanager
async def simulator(
    agi_port: int, *phones: AgentPhone, speed: float = 100.0, **options: object
) -> AsyncIterator[PbxSimulator]:
    settings: dict[str, object] = {"prompt_s": 0.5, "auth_fail_delay_s": 0.05, **options}
    opts = SimOptions(**settings)  # type: ignore[arg-type]
    sim = PbxSimulator(agi_port=agi_port, clock=ScaledClock(speed), options=opts)
    for phone in phones:
        sim.add_phone(phone)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.close()
