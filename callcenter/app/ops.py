"""The running service's health figures for /metrics and /readyz, and the loop-lag probe.

Strategy: `ServiceProbe` implements the web's `OpsProbe` port by reading the adapters the
service already has (AMI clients' states, the FastAGI server's session count, the
database writer's queue, the offers Asterisk could not place, the supervised tasks, the
events dropped), so nothing is counted twice. An AMI link counts as up only while its
client is logged in AND every supervised task that follows it runs: a link whose events
nobody applies is as good as down. The one figure nobody keeps is the event loop's lag:
`LoopLag` sleeps `interval_s` in a task and records how late it woke, the delay every
call, AMI event and web request waits for too.
"""

from __future__ import annotations

import asyncio
from collections import deque

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.agi import FastAGIServer
from callcenter.ami import AMIClient
from callcenter.app.tasks import TaskState, TaskSupervisor, stop_task
from callcenter.db import BatchedWriter
from callcenter.pbx.fact_errors import DroppedFacts
from callcenter.pbx.health import PbxHealth
from callcenter.pbx.system_names import SystemNames


class LoopLag:
    """Measures how late the event loop runs a timer (seconds, 0 when on time), and
    remembers the long stalls (a process frozen by SIGSTOP or a paused VM stalls too)."""

    def __init__(self, interval_s: float = 0.5) -> None:
        """Sample every `interval_s` seconds once started."""
        self.interval_s = interval_s
        self.lag = 0.0
        self._task: asyncio.Task[None] | None = None
        self._sampled_at: float | None = None
        self._stalls: deque[tuple[float, float]] = deque(maxlen=64)
        """(loop time the stall ended, its seconds) of the stalls longer than a second."""

    def stalled_since(self, since: float, longer_than: float) -> bool:
        """Whether the loop stood still for more than `longer_than` seconds after `since`
        (`loop.time()`), a stall not sampled yet included (a process that just woke up
        runs what was waiting before this sampler). False while not sampling."""
        if self._sampled_at is None:
            return False
        now = asyncio.get_running_loop().time()
        if now - self._sampled_at - self.interval_s > longer_than:
            return True
        return any(end > since and seconds > longer_than for end, seconds in self._stalls)

    def start(self) -> asyncio.Task[None]:
        """Start sampling (idempotent; again if it ended); the task."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="loop-lag")
        return self._task

    async def stop(self) -> None:
        """Stop sampling."""
        await stop_task(self._task)
        self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                before = self._sampled_at = loop.time()
                await asyncio.sleep(self.interval_s)
                now = loop.time()
                self.lag = max(0.0, now - before - self.interval_s)
                if self.lag > 1.0:
                    self._stalls.append((now, self.lag))
        finally:
            self._sampled_at = None


class ServiceProbe:
    """The `OpsProbe` of a running `Service`."""

    def __init__(
        self,
        *,
        ami: list[AMIClient],
        server_names: list[str],
        agi: FastAGIServer,
        writer: BatchedWriter,
        engine: AsyncEngine,
        lag: LoopLag,
        pbx: PbxHealth | None = None,
        supervisor: TaskSupervisor | None = None,
        dropped_facts: list[DroppedFacts] | None = None,
        system_names: SystemNames | None = None,
        db_timeout_s: float = 2.0,
    ) -> None:
        """Read the given adapters; `server_names` lists every configured AMI server."""
        self._ami = ami
        self._names = server_names
        self._agi = agi
        self._writer = writer
        self._engine = engine
        self._lag = lag
        self._pbx = pbx
        self._supervisor = supervisor or TaskSupervisor()
        self._dropped_facts = dropped_facts or []
        self._system_names = system_names
        self._db_timeout_s = db_timeout_s

    def ami_states(self) -> dict[str, bool]:
        """Each configured server -> connected and followed (a server without a client,
        or one whose events a dead task should apply, is down)."""
        up = {client.server.name: client.connected for client in self._ami}
        for task in self._supervisor.down():
            if task.group in up:
                up[task.group] = False
        return {name: up.get(name, False) for name in self._names}

    def asterisk_problems(self) -> list[str]:
        """Several servers whose `systemname`s do not keep their Uniqueids apart."""
        return [] if self._system_names is None else self._system_names.problems()

    def tasks(self) -> list[TaskState]:
        """The supervised tasks: running or not, restarts, last error."""
        return self._supervisor.states()

    def events_dropped(self) -> dict[str, int]:
        """Events dropped since the start: `ami:<server>` for consumers that fell behind,
        the consumer's name for events that could not be applied."""
        dropped = {f"ami:{client.server.name}": client.events_dropped for client in self._ami}
        for facts in self._dropped_facts:
            dropped[facts.consumer] = facts.dropped
        return dropped

    def agi_listening(self) -> bool:
        """Whether the FastAGI server is bound."""
        try:
            self._agi.port  # noqa: B018  (raises while not listening)
        except RuntimeError:
            return False
        return True

    def agi_sessions(self) -> int:
        """Calls on FastAGI now."""
        return self._agi.active_sessions

    def agi_refused(self) -> dict[str, int]:
        """FastAGI connections closed before they became a call, by why, since the start;
        `waiting` the connections waiting for their environment now."""
        return {**self._agi.counters.refused, "waiting": self._agi.waiting_connections}

    def loop_lag(self) -> float:
        """The latest loop lag sample."""
        return self._lag.lag

    def writer_stats(self) -> tuple[int, int]:
        """(pending, rejected) writes."""
        return self._writer.pending, self._writer.rejected

    def pbx_health(self) -> tuple[int, bool, dict[str, int]]:
        """Offers Asterisk could not place: in a row, alert up, since the start by kind."""
        if self._pbx is None:
            return 0, False, {}
        figures = self._pbx.figures()
        return figures.in_a_row, figures.failing, figures.by_kind

    async def db_ready(self) -> bool:
        """A `SELECT 1` within the timeout."""
        try:
            async with asyncio.timeout(self._db_timeout_s), self._engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OSError, SQLAlchemyError, TimeoutError):
            return False
        return True
