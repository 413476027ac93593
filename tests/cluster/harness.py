"""Several `callcenter serve` processes on one throwaway PostgreSQL, driven by the simulator.

`cluster(tmp_path, postgres, acd, phones, nodes=2)` makes a fresh database (migrated, with
an admin login), starts the PBX simulator and a FastAGI front (`AgiFront`, in
benchmarks/agi_front.py: what the dialplan's list of backend addresses does on a real
Asterisk - each new FastAGI connection goes to the first node that accepts it, retrying
while none does), then starts
each node as a real child process with `cluster.enabled` (so a test can kill -9 it,
SIGSTOP it, SIGCONT it), and yields a `Cluster` to drive and observe them: which node
leads (its /readyz), the web of the leader, the event log.

The nodes and their database are not tied to the simulator: `backend_nodes` starts them
for any PBX (`node_config` takes the AMI server's name, address and telephony settings,
`Node` the environment with its secret); tests/real_asterisk/cluster.py runs them against
the real Asterisk.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from acd import AcdSettings
from benchmarks.agi_front import AgiFront
from callcenter.db import (
    CallEvent,
    CustomerRepository,
    EventLog,
    InteractionRepository,
    UserRepository,
    make_engine,
    make_sessions,
    upgrade,
)
from callcenter.db.interactions import InteractionRecord
from callcenter.sim import AgentPhone, PbxSimulator, SimOptions
from tests.e2e.harness import CHEAP, SECRET, free_port, open_flows, seed_repository
from tests.pg import PostgresServer

ADMIN = "admin"
ADMIN_PASSWORD = "admin-pass"


@dataclass
class Node:
    """One `callcenter serve` process of the cluster."""

    name: str
    web_port: int
    agi_port: int
    config: Path
    log: Path
    env: Mapping[str, str] = field(default_factory=lambda: {"CALLCENTER_AMI_SECRET_SIM": SECRET})
    """What the process gets on top of the test's environment (the AMI secret)."""
    proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    async def start(self) -> None:
        env = {**os.environ, **self.env}
        out = self.log.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "callcenter", "--config", str(self.config), "serve",
            stdout=out, stderr=out, env=env,
        )  # fmt: skip
        out.close()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def kill(self) -> None:
        """kill -9: no goodbye to anyone."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)

    def pause(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGCONT)
            self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 15)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    async def readyz(self, http: aiohttp.ClientSession) -> dict[str, Any] | None:
        """The node's /readyz body (None while it does not answer)."""
        try:
            async with http.get(f"{self.url}/readyz", timeout=aiohttp.ClientTimeout(2)) as r:
                body: dict[str, Any] = await r.json()
                return body
        except (aiohttp.ClientError, TimeoutError):
            return None

    def lines(self) -> list[dict[str, Any]]:
        """The node's JSON log lines so far (every run of the process)."""
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
        return out


@dataclass
class BackendNodes:
    """The running nodes over one database, whatever PBX they drive."""

    nodes: list[Node]
    url: str
    http: aiohttp.ClientSession
    events: EventLog
    _engine: Any = field(repr=False, default=None)

    async def until(self, check: Callable[[], Any], timeout: float = 20.0) -> Any:
        async with asyncio.timeout(timeout):
            while True:
                value = check()
                if asyncio.iscoroutine(value):
                    value = await value
                if value:
                    return value
                await asyncio.sleep(0.05)

    async def leader(self, timeout: float = 30.0) -> Node:
        """The node whose /readyz says it leads and is ready (waits for one)."""

        async def find() -> Node | None:
            for node in self.nodes:
                if not node.alive:
                    continue
                body = await node.readyz(self.http)
                if body is not None and body.get("ready") and body["cluster"]["role"] == "leader":
                    return node
            return None

        found: Node = await self.until(find, timeout)
        return found

    async def roles(self) -> dict[str, str | None]:
        """Each live node's role as its /readyz says (None: not answering)."""
        out: dict[str, str | None] = {}
        for node in self.nodes:
            body = await node.readyz(self.http) if node.alive else None
            out[node.name] = None if body is None else body["cluster"]["role"]
        return out

    async def admin(self, node: Node) -> dict[str, str]:
        """Log the admin in on `node`; the CSRF header for changes."""
        return await self.login(node, ADMIN, ADMIN_PASSWORD)

    async def login(self, node: Node, username: str, password: str | None = None) -> dict[str, str]:
        """Log `username` in on `node` (password `<username>-pass` by default); the CSRF
        header for changes. The session cookie is the test's (one per loopback host)."""
        login = {"username": username, "password": password or f"{username}-pass"}
        async with self.http.post(f"{node.url}/api/login", json=login) as response:
            response.raise_for_status()
            return {"X-CSRF-Token": (await response.json())["csrf_token"]}

    async def add_agent_login(self, agent: str) -> None:
        """A login for `agent` (`<agent>` / `<agent>-pass`, role agent)."""
        await UserRepository(make_sessions(self._engine), CHEAP).add(
            agent, f"{agent}-pass", "agent"
        )

    async def set_state(self, node: Node, csrf: dict[str, str], agent: str, state: str) -> int:
        async with self.http.post(
            f"{node.url}/api/agents/{agent}/state", json={"state": state}, headers=csrf
        ) as response:
            return response.status

    async def metric(self, node: Node, name: str) -> dict[tuple[tuple[str, str], ...], float]:
        """The samples of `name` on the node's /metrics, by their sorted labels."""
        async with self.http.get(f"{node.url}/metrics") as response:
            text = await response.text()
        return {
            tuple(sorted(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name
        }

    async def log(self) -> list[CallEvent]:
        """The whole event log, in order."""
        out: list[CallEvent] = []
        after = 0
        while page := await self.events.read(after_id=after, limit=5000):
            out += page
            after = page[-1].id or after
        return out

    async def terms(self) -> list[int | None]:
        """The term of every event-log entry, in log order."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(text("SELECT term FROM call_events ORDER BY id"))
            return [row[0] for row in rows]

    async def interactions(self) -> list[InteractionRecord]:
        """Every stored call record, newest first."""
        return await InteractionRepository(make_sessions(self._engine)).search(limit=10_000)


@dataclass
class Cluster(BackendNodes):
    """The running simulator, FastAGI front and nodes over one database."""

    sim: PbxSimulator = field(kw_only=True)
    front: AgiFront = field(kw_only=True)


def node_config(
    tmp_path: Path,
    name: str,
    url: str,
    acd: AcdSettings,
    ami_port: int,
    web_port: int,
    agi_port: int,
    flows: Path,
    *,
    ami_server: str = "sim",
    telephony: Mapping[str, Any] | None = None,
) -> Path:
    """The settings file of one node: the AMI server `ami_server` at 127.0.0.1:`ami_port`
    (its secret comes from the node's environment), FastAGI on `agi_port`, the web on
    `web_port`; `telephony` adds to (or replaces) the simulator's telephony settings."""
    document = {
        "service": {"log_format": "json", "shutdown_grace_s": 0.5},
        "asterisk": {
            "servers": [
                {
                    "name": ami_server,
                    "host": "127.0.0.1",
                    "port": ami_port,
                    "username": "callcenter",
                    "auth": "md5",
                }
            ],
            "reconnect_initial_s": 0.05,
            "reconnect_max_s": 0.3,
            "ping_interval_s": 5,
        },
        "fastagi": {"host": "127.0.0.1", "port": agi_port},
        "database": {"url": url, "batch_interval_s": 0.05},
        "ivr": {
            "flows_dir": str(flows),
            "timezone": "Europe/Berlin",
            "dnis": {"100": "main_hotline", "199": "after_hours"},
        },
        "web": {"host": "127.0.0.1", "port": web_port, "coalesce_ms": 10},
        "telephony": {
            "agent_endpoints": {a.id: f"PJSIP/{a.id}" for a in acd.agents},
            "hold_segment_s": 2,
            "voicemail_dir": str(tmp_path / "voicemail"),
            **(telephony or {}),
        },
        "acd": acd.model_dump(mode="json"),
        "cluster": {
            "enabled": True,
            "node": name,
            "lease_s": 4.0,
            "heartbeat_s": 0.25,
            "poll_s": 0.1,
        },
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


async def fresh_database(postgres: PostgresServer) -> tuple[str, Any]:
    """A new database on `postgres`, migrated, with the admin login and the known
    customers; its URL and an engine on it."""
    url = postgres.new_database()
    engine = make_engine(url)
    await upgrade(engine)
    await UserRepository(make_sessions(engine), CHEAP).add(ADMIN, ADMIN_PASSWORD, "admin")
    await seed_repository(CustomerRepository(make_sessions(engine)))
    return url, engine


NodeConfig = Callable[[str, str, int, int], Path]
"""Writes one node's settings file: (node name, database URL, web port, FastAGI port)."""


@contextlib.asynccontextmanager
async def backend_nodes(
    tmp_path: Path,
    postgres: PostgresServer,
    agi_ports: list[int],
    configure: NodeConfig,
    *,
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[BackendNodes]:
    """A fresh database (`fresh_database`) and one node per FastAGI port in `agi_ports`
    (node1, node2 ...), each set up by `configure` and run with `env` added to its
    environment. node1 is started first and left to lead before the others start; every
    node is stopped at the end."""
    url, engine = await fresh_database(postgres)
    web_ports = [await free_port() for _ in agi_ports]
    members = []
    for n, (web_port, agi_port) in enumerate(zip(web_ports, agi_ports, strict=True), start=1):
        name = f"node{n}"
        config = configure(name, url, web_port, agi_port)
        node = Node(name, web_port, agi_port, config, tmp_path / f"{name}.log")
        if env is not None:
            node.env = env
        members.append(node)
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    running = BackendNodes(members, url, http, EventLog(make_sessions(engine)), engine)
    try:
        await members[0].start()
        await running.leader()
        for member in members[1:]:
            await member.start()
        yield running
    finally:
        for member in members:
            await member.stop()
        await http.close()
        await engine.dispose()


@contextlib.asynccontextmanager
async def cluster(
    tmp_path: Path,
    postgres: PostgresServer,
    acd: AcdSettings,
    phones: list[AgentPhone],
    *,
    nodes: int = 2,
    standby_first: bool = False,
) -> AsyncIterator[Cluster]:
    """A fresh database, the simulator, the FastAGI front and `nodes` nodes (node1 is
    started first and left to lead before the others start). The front tries the nodes in
    order, or the last first with `standby_first` (BACKEND1 is a standby then)."""
    agi_ports = [await free_port() for _ in range(nodes)]
    front = AgiFront(agi_ports[::-1] if standby_first else agi_ports)
    await front.start()
    spool = frozenset({str(tmp_path / "voicemail")})
    sim = PbxSimulator(
        agi_port=front.port,
        secret=SECRET,
        options=SimOptions(prompt_s=0.05, agi_close_timeout_s=5.0, spool_dirs=spool),
    )
    await sim.start()
    for phone in phones:
        sim.add_phone(phone)
    flows = open_flows(tmp_path / "flows")

    def configure(name: str, url: str, web_port: int, agi_port: int) -> Path:
        return node_config(tmp_path, name, url, acd, sim.ami_port, web_port, agi_port, flows)

    try:
        async with backend_nodes(tmp_path, postgres, agi_ports, configure) as running:
            shared = {f.name: getattr(running, f.name) for f in fields(BackendNodes)}
            yield Cluster(**shared, sim=sim, front=front)
    finally:
        await sim.close()
        await front.close()
