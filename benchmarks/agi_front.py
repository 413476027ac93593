"""One FastAGI address in front of several backend nodes, for the simulator.

On a real Asterisk the dialplan lists the backend nodes (`[globals]` BACKEND1, BACKEND2 and
the `[fastagi]` context: a refused or dropped node passes the call to the next); the PBX
simulator has one FastAGI address. `AgiFront` stands in for that list: it listens on one
port and relays each FastAGI connection to the first node that accepts it, retrying while
none does. The cluster tests (tests/cluster/harness.py) and the benchmarks that run
several nodes (benchmarks/failover.py, benchmarks/e2e_load.py) put it between the
simulator and the nodes. A standby that hands a caller to the leader ends its session with
`CC_LEADER=<host:port>`: the simulator follows that itself, straight to the leader's own
FastAGI address (callcenter/sim/calls.py, as the dialplan's [fastagi] does), not through
this front.
"""

from __future__ import annotations

import asyncio


class AgiFront:
    """One FastAGI address in front of several nodes: each connection is relayed to the
    first node that accepts it (in order), retrying every `retry_s` for `patience_s`."""

    def __init__(self, ports: list[int], *, retry_s: float = 0.1, patience_s: float = 15.0) -> None:
        self.ports = ports
        self.retry_s = retry_s
        self.patience_s = patience_s
        self.port = 0
        self.relayed: dict[int, int] = {}
        """Backend port -> connections relayed to it."""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            backend = await self._connect()
            if backend is None:
                return
            up_reader, up_writer = backend
            await asyncio.gather(
                _pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True
            )
        finally:
            writer.close()
            if task is not None:
                self._tasks.discard(task)

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.patience_s
        while loop.time() < deadline:
            for port in self.ports:
                try:
                    pair = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    continue
                self.relayed[port] = self.relayed.get(port, 0) + 1
                return pair
            await asyncio.sleep(self.retry_s)
        return None


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()
