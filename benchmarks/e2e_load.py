"""End-to-end load: calls per second through IVR, queue, offer, pop and wrap-up.

The service runs in a child process of its own, exactly as `callcenter serve` builds it
(`Service.build` on settings loaded from a generated YAML file: SQLite file, FastAGI port,
AMI to the simulator with an md5 secret, a flows directory holding one short flow), so the
CPU it uses (read from `/proc/<pid>/stat` over the measured window) is the server's alone.
The only differences from `serve`: logins verify against the cheap argon2 parameters the
users were seeded with (no rehash to the production cost), and a latency probe listens to
the ACD host. The benchmark process holds the PBX simulator (real AMI and FastAGI over
loopback), the callers, the agents' phones and one agent-desktop websocket per agent.

Before traffic: users and customers are seeded through the db layer, every agent logs in
over the API (POST /api/login), opens /ws/agent and goes logged-in then ready with
POST /api/agents/{id}/state and the CSRF token. Then callers arrive as a Poisson process
at `--rate`: the flow looks the caller up by number (half are known customers), plays a
greeting, asks for one menu key (pressed after 0.1 s) and queues the call on `general`;
the caller holds on MusicOnHold segments until an agent's phone (ringing `--ring`
seconds) answers, talks `--talk` seconds and hangs up; the agent then has `--wrap-up`
seconds of wrap-up. The first `--warmup` seconds are excluded from every figure.

How each figure is measured (one machine, one `time.time()` clock for all processes):

* AGI turnaround: in the simulator (Asterisk's side of the socket), the time from writing
  a reply (or the `agi_*` environment) to reading the service's next command line. Prompt
  and music-on-hold playing times are not in it; the simulator's own event-loop lag is.
* ready -> Originate: in the service, from the moment an agent became free with a call
  waiting (the wrap-up timer's due time) or a call arrived with an agent free (the
  `CallQueued` fact's `now`), to `PbxExecutor.on_originate`, called just before the AMI
  Originate is written to the socket.
* ring -> whole record: the same to the `pop` message that follows the offer with the
  record from the database (history, open tickets); the offer itself carries what the IVR
  learnt (name, tier, answers).
* ring -> pop: the simulator's `Newstate Ringing` of the agent leg to the `offer` message
  arriving on that agent's websocket. The pop is gathered as the offer is made, so it may
  arrive before the phone rings: negative values are real.
  "rung without a pop" counts agent legs whose `offer` never came: the feed drops a pop
  that is ready only after the phone was answered, so a pop slower than `--ring` is lost.
* completed calls/s: calls that were connected to an agent and ended inside the window.
* CPU/call: the service's user + system CPU over the window / calls arriving in it.
* failed: calls arriving in the window that never reached an agent (abandoned after
  `--patience` seconds on hold, or still unfinished when the run ends).

Below the table: offers by the fact that triggered them, pops that never came, the
harness's own CPU, the service's event-loop lag (how late a 100 ms sleep wakes up) and
its event-log writer backlog, and the warnings and errors in the service's log.

    .venv/bin/python benchmarks/e2e_load.py [--quick] [--rate 100] [--agents 500] [--seconds 30]

With `--database-url postgresql+asyncpg://...` (an empty database) the service runs on
PostgreSQL, as in production; the default is a SQLite file, the embedded default, whose
work runs in the service's own process. With `--nodes N` as well, N service processes run
as the nodes of a cluster (`cluster.enabled`, the default cluster timings): node1 leads,
the others stand by, and the server CPU is all of theirs; `--front` relays FastAGI
through benchmarks/agi_front.py, the dialplan's list of nodes (benchmarks/failover.py
compares one node with a cluster this way).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import yaml
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url

from acd import Command, Event, OfferCall, StartTimer, TimerFired, TimerKind
from benchmarks._common import print_table
from benchmarks.agi_front import AgiFront
from callcenter.app.logsetup import configure_logging
from callcenter.db import (
    CustomerRepository,
    NewCustomer,
    UserRepository,
    make_engine,
    make_sessions,
    upgrade,
)
from callcenter.sim import AgentPhone, CallerScript, PbxSimulator, Press, SimCall, SimOptions
from callcenter.sim.agi_client import AGILeg
from callcenter.sim.agi_media import Reply
from callcenter.sim.wire import Pairs

HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
SECRET = "load-secret"
QUEUE = "general"
FLOW = {
    "description": "Load line: identify by number, greet, one menu key, the general queue.",
    "start": "identify",
    "nodes": {
        "identify": {
            "type": "lookup_customer",
            "by": "caller_number",
            "found": "welcome",
            "not_found": "welcome",
        },
        "welcome": {"type": "play", "prompts": "custom/welcome", "next": "menu"},
        "menu": {
            "type": "menu",
            "prompts": "custom/main-menu",
            "choices": {1: QUEUE},
            "store_as": "menu_choice",
            "timeout_s": 3,
            "retries": 1,
            "fallback": QUEUE,
        },
        QUEUE: {"type": "queue", "queue": QUEUE},
    },
}


def _number(n: int) -> str:
    return f"+4930{7000000 + n}"


# --- the service, in its own process ------------------------------------------------------


@dataclass
class OfferProbe:
    """Ready -> Originate, measured in the service: a listener on the ACD host remembers
    when each offer's agent or call became available, the executor's hook stamps the send."""

    wrap_up_ends: dict[str, float] = field(default_factory=dict)
    pending: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)
    sent: dict[tuple[str, str], float] = field(default_factory=dict)
    samples: list[tuple[float, float, str]] = field(default_factory=list)
    lag: list[tuple[float, float]] = field(default_factory=list)
    writes: list[tuple[float, int]] = field(default_factory=list)
    gc: list[tuple[float, int, float]] = field(default_factory=list)
    _gc_start: float = 0.0

    def on_gc(self, phase: str, info: dict[str, int]) -> None:
        """A garbage collection starts or ends (`gc.callbacks`): its pause is noted."""
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc.append((time.time(), info["generation"], time.perf_counter() - self._gc_start))

    def on_commands(self, commands: Sequence[Command], event: Event) -> None:
        """Note the moment behind every offer of this batch."""
        for command in commands:
            if isinstance(command, StartTimer) and command.key.kind is TimerKind.WRAP_UP:
                self.wrap_up_ends[command.key.subject] = command.at
        for command in commands:
            if not isinstance(command, OfferCall):
                continue
            moment, cause = event.now, type(event).__name__
            if isinstance(event, TimerFired) and event.key.kind is TimerKind.WRAP_UP:
                # The agent was free when wrap-up was due, not when the timer got to run.
                moment = min(moment, self.wrap_up_ends.get(event.key.subject, moment))
                cause = "wrap-up ended"
            key = (command.call_id, command.agent_id)
            sent = self.sent.pop(key, None)
            if sent is None:
                self.pending[key] = (moment, cause)
            else:  # the executor, an earlier listener, has written the Originate already
                self.samples.append((sent, sent - moment, cause))

    def on_originate(self, call_id: str, agent_id: str) -> None:
        """The executor is writing the Originate now."""
        sent = time.time()
        noted = self.pending.pop((call_id, agent_id), None)
        if noted is None:
            self.sent[(call_id, agent_id)] = sent
        else:
            self.samples.append((sent, sent - noted[0], noted[1]))


async def _serve(config: Path) -> None:
    # Only the child needs the service itself.
    from callcenter.app.service import Service, settle_heap
    from callcenter.app.settings import load_settings

    settings = load_settings(config)
    configure_logging(settings.service.log_level, settings.service.log_format)
    service = Service.build(settings)
    service.backend.context.users = UserRepository(make_sessions(service.engine), HASHER)
    probe = OfferProbe()
    service.backend.center.host.add_listener(probe)
    gc.callbacks.append(probe.on_gc)
    service.telephony.executor.on_originate = probe.on_originate
    await service.start()
    settle_heap()  # as `callcenter serve` does once the service is up
    lag = asyncio.create_task(_watch_loop(service, probe))
    lead: asyncio.Task[str] | None = None
    if service.leadership is not None:
        # A cluster node (benchmarks/failover.py) answers as a standby until it gets the
        # lock; `serve_cluster` then leads, as `callcenter serve` does.
        print(f"standby {service.backend.server.port}", flush=True)
        lead = asyncio.create_task(service.serve_cluster(), name="cluster")
    announce = asyncio.create_task(_announce_ready(service))
    try:
        loop = asyncio.get_running_loop()
        while (await loop.run_in_executor(None, sys.stdin.readline)).strip() not in ("dump", ""):
            pass
        lag.cancel()
        announce.cancel()
        dump = {
            "originates": probe.samples,
            "lag": probe.lag,
            "writes": probe.writes,
            "gc": probe.gc,
        }
        print(json.dumps(dump), flush=True)
        sys.stdout.close()
    finally:
        lag.cancel()
        announce.cancel()
        if lead is not None:
            lead.cancel()
            await asyncio.gather(lead, return_exceptions=True)
        await service.stop()


async def _announce_ready(service: Any) -> None:
    # "ready <web port>" once the node leads (at once without a cluster) and every AMI
    # link is up: the harness then logs the agents in on this node.
    from callcenter.cluster.leadership import Role

    # The role has no event to wait on: look as often as a standby tries the lock.
    while service.leadership is not None and service.leadership.role is not Role.LEADER:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    for client in service.ami:
        await client.wait_connected(timeout=30)
    print(f"ready {service.backend.server.port}", flush=True)


async def _watch_loop(service: Any, probe: OfferProbe) -> None:
    # How late a 100 ms sleep wakes up: every await in the service waits about this long
    # for its turn. The writer's backlog shows whether the event log keeps up.
    while True:
        asked = time.time()
        await asyncio.sleep(0.1)
        woke = time.time()
        probe.lag.append((woke, woke - asked - 0.1))
        probe.writes.append((woke, service.writer.pending))


# --- the PBX side, in this process --------------------------------------------------------


@dataclass
class SimProbes:
    """Stamps taken on the simulator's side: AGI turnarounds and agent legs ringing."""

    agi: list[tuple[float, float]] = field(default_factory=list)
    rings: dict[tuple[str, str], float] = field(default_factory=dict)

    def install(self, sim: PbxSimulator) -> None:
        """Wrap the simulator's AGI command loop and its AMI event fan-out."""
        samples = self.agi
        environment = AGILeg.environment
        execute = AGILeg._execute

        def timed_environment(leg: AGILeg) -> bytes:
            data = environment(leg)
            leg._bench_sent = time.time()  # type: ignore[attr-defined]
            return data

        async def timed_execute(leg: AGILeg, text: str) -> Reply:
            received = time.time()
            sent = getattr(leg, "_bench_sent", None)
            if sent is not None:
                samples.append((received, received - sent))
            try:
                return await execute(leg, text)
            finally:
                leg._bench_sent = time.time()  # type: ignore[attr-defined]

        # Patched on the class: the simulator builds one AGILeg per FastAGI session.
        AGILeg.environment = timed_environment  # type: ignore[method-assign,assignment]
        AGILeg._execute = timed_execute  # type: ignore[method-assign,assignment]
        broadcast = sim.pbx.emit
        pbx = sim.pbx

        def emit(pairs: Pairs) -> None:
            if pairs[0][1] == "Newstate" and ("ChannelState", "5") in pairs:
                channel = pbx.channels.get(dict(pairs).get("Channel", ""))
                if channel is not None and "CC_CALL_ID" in channel.variables:
                    key = (channel.variables["CC_AGENT"], channel.variables["CC_CALL_ID"])
                    self.rings[key] = time.time()
            broadcast(pairs)

        pbx.emit = emit


@dataclass
class Desktops:
    """One logged-in, ready agent desktop per agent, noting when each offer arrives."""

    http: aiohttp.ClientSession
    pops: dict[tuple[str, str], float] = field(default_factory=dict)
    records: dict[tuple[str, str], float] = field(default_factory=dict)
    """When the whole record (the `pop` message after the offer's first lines) arrived."""
    sockets: list[aiohttp.ClientWebSocketResponse] = field(default_factory=list)
    readers: list[asyncio.Task[None]] = field(default_factory=list)

    async def open(self, url: str, agent_id: str) -> None:
        """Log `agent_id` in over the API, open their websocket, go ready."""
        login = {"username": agent_id, "password": f"{agent_id}-password"}
        async with self.http.post(f"{url}/api/login", json=login) as r:
            assert r.status == 200, await r.text()
            cookie = {"Cookie": f"cc_session={r.cookies['cc_session'].value}"}
            csrf = (await r.json())["csrf_token"]
        ws = await self.http.ws_connect(f"{url}/ws/agent", headers=cookie)
        first = json.loads((await ws.receive()).data)
        assert first["type"] == "snapshot", first
        self.sockets.append(ws)
        self.readers.append(asyncio.create_task(self._read(agent_id, ws)))
        for state in ("logged_in", "ready"):
            async with self.http.post(
                f"{url}/api/agents/{agent_id}/state",
                json={"state": state},
                headers={**cookie, "X-CSRF-Token": csrf},
            ) as r:
                assert r.status == 200, await r.text()

    async def _read(self, agent_id: str, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                return
            arrived = time.time()
            if msg.data.startswith('{"type": "offer"'):
                self.pops[(agent_id, json.loads(msg.data)["call_id"])] = arrived
            elif msg.data.startswith('{"type": "pop"'):
                self.records[(agent_id, json.loads(msg.data)["call_id"])] = arrived

    async def close(self) -> None:
        """Close every websocket."""
        for ws in self.sockets:
            await ws.close()
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)


def _write_config(
    tmp: Path, args: argparse.Namespace, ami_port: int, agi_port: int, node: str | None = None
) -> Path:
    """The service's settings file; with `node`, one node of a cluster (the product's
    default cluster timings) on `args.database_url`."""
    flows = tmp / "flows"
    flows.mkdir(exist_ok=True)
    (flows / "load_line.yaml").write_text(yaml.safe_dump(FLOW, sort_keys=False), "utf-8")
    agents = [f"agent{i}" for i in range(args.agents)]
    settings = {
        "service": {"log_level": args.log_level, "shutdown_grace_s": 1},
        "asterisk": {
            "servers": [
                {
                    "name": "sim",
                    "host": "127.0.0.1",
                    "port": ami_port,
                    "username": "callcenter",
                    "auth": "md5",
                }
            ],
            "reconnect_initial_s": 0.05,
            "reconnect_max_s": 0.5,
        },
        "fastagi": {"host": "127.0.0.1", "port": agi_port, "max_sessions": 5000},
        "ivr": {
            "flows_dir": str(flows),
            "default_flow": "load_line",
            "dnis": {"100": "load_line"},
            "scripts": {},
        },
        "database": {"url": args.database_url or f"sqlite+aiosqlite:///{tmp / 'load.db'}"},
        "web": {"host": "127.0.0.1", "port": 0},
        "acd": {
            "queues": [
                {
                    "name": QUEUE,
                    "ring_timeout_seconds": 15,
                    "wrap_up_seconds": args.wrap_up,
                }
            ],
            "agents": [{"id": a, "name": f"Agent {a[5:]}", "queues": [QUEUE]} for a in agents],
        },
        "telephony": {
            "agent_endpoints": {a: f"PJSIP/{a}" for a in agents},
            "voicemail_dir": str(tmp / "voicemail"),
        },
    }
    if node is not None:
        settings["cluster"] = {"enabled": True, "node": node}
    path = tmp / f"{node or 'callcenter'}.yaml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False), "utf-8")
    return path


async def _seed(db_url: str, agents: int, customers: int) -> None:
    engine = make_engine(db_url)
    await upgrade(engine)
    sessions = make_sessions(engine)
    users = UserRepository(sessions, HASHER)
    for i in range(agents):
        await users.add(f"agent{i}", f"agent{i}-password", "agent")
    await CustomerRepository(sessions).add_many(
        [
            NewCustomer(name=f"Customer {n}", account=str(100000 + n), phones=(_number(n),))
            for n in range(customers)
        ]
    )
    await engine.dispose()


async def _free_port() -> int:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port: int = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    return port


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of process `pid` (all its threads) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_port(url: str | None) -> int | None:
    """The port of a PostgreSQL on this machine at `url` (None: SQLite, or elsewhere)."""
    if url is None or not url.startswith("postgresql"):
        return None
    parsed = make_url(url)
    if parsed.host not in ("127.0.0.1", "localhost", "::1"):
        return None
    return parsed.port or 5432


def _postgres_cpu_seconds(port: int) -> float | None:
    """User + system CPU of the PostgreSQL server listening on `port` here: the
    postmaster, the backends it has reaped (its children's times) and the live ones.
    None when no such postmaster is found in /proc."""
    stats: dict[int, list[str]] = {}
    found: set[int] = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # ended meanwhile
        stats[int(proc.name)] = fields
        if argv[0].endswith(b"postgres") and b"-p" in argv and str(port).encode() in argv:
            found.add(int(proc.name))
    # A backend just forked still shows the postmaster's command line: the postmaster is
    # the one whose parent is not one of them.
    masters = [pid for pid in found if int(stats[pid][1]) not in found]
    if len(masters) != 1:
        return None
    master = masters[0]
    own = stats[master]
    ticks = sum(int(own[i]) for i in (11, 12, 13, 14))
    ticks += sum(int(f[11]) + int(f[12]) for f in stats.values() if int(f[1]) == master)
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    """What one run measured, inside the window."""

    offered: int
    completed: int
    failed: int
    window_s: float
    agi: list[float]
    originate: list[float]
    ring_to_pop: list[float]
    ring_to_record: list[float]
    rung_without_pop: int
    server_cpu_s: float
    leader_cpu_s: float
    """The first process's share of `server_cpu_s` (a cluster's leader)."""
    harness_cpu_s: float
    begin: float
    end: float
    causes: dict[str, int] = field(default_factory=dict)
    service_log: str = ""
    loop_lag: list[float] = field(default_factory=list)
    gc_pauses: list[tuple[int, float]] = field(default_factory=list)
    writes_pending: int = 0
    db_cpu_s: float | None = None
    """PostgreSQL's CPU over the window (its server on this machine; None otherwise)."""


async def _at(moment: float, action: Callable[[], Any]) -> Any:
    await asyncio.sleep(max(0.0, moment - time.time()))
    return action()


async def _measure(args: argparse.Namespace) -> Run:
    """One run. `args.nodes` (0: a single service, the default) > 0 runs that many nodes
    of a cluster on `args.database_url`: node1 leads, the others stand by; `args.front`
    puts the FastAGI front of benchmarks/agi_front.py between the simulator and the
    node(s), as the dialplan's list of backend nodes does on a real Asterisk."""
    nodes: int = args.nodes
    with tempfile.TemporaryDirectory(prefix="e2e-load-") as tmp_name:
        tmp = Path(tmp_name)
        agi_ports = [await _free_port() for _ in range(max(1, nodes))]
        # The front tries the nodes in order: the standby first puts the IVR there.
        order = agi_ports[::-1] if getattr(args, "standby_first", False) else agi_ports
        front = AgiFront(order) if args.front else None
        if front is not None:
            await front.start()
        options = SimOptions(prompt_s=args.prompt, agi_close_timeout_s=5.0)
        sim_agi = agi_ports[0] if front is None else front.port
        sim = PbxSimulator(agi_port=sim_agi, secret=SECRET, options=options)
        probes = SimProbes()
        probes.install(sim)
        await sim.start()
        for i in range(args.agents):
            sim.add_phone(AgentPhone(f"agent{i}", answer_after_s=args.ring))
        names: list[str | None] = [f"node{n + 1}" for n in range(nodes)] or [None]
        configs = [
            _write_config(tmp, args, sim.ami_port, port, name)
            for port, name in zip(agi_ports, names, strict=True)
        ]
        url = args.database_url or f"sqlite+aiosqlite:///{tmp / 'load.db'}"
        await _seed(url, args.agents, args.customers)
        logs = [tmp / f"{name or 'service'}.log" for name in names]
        children: list[asyncio.subprocess.Process] = []
        try:
            # The first leads (a single service is ready at once); the others stand by.
            web_port = await _start_child(children, configs[0], logs[0], "ready")
            for config, log in zip(configs[1:], logs[1:], strict=True):
                standby_port = await _start_child(children, config, log, "standby")
                if getattr(args, "desktops_on_standby", False):
                    # The desktops' pages, API and websockets served by the standby.
                    web_port = standby_port
            url = f"http://127.0.0.1:{web_port}"
            connector = aiohttp.TCPConnector(limit=0)  # one socket per desktop
            async with aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar()
            ) as http:
                desktops = Desktops(http)
                agents = [f"agent{i}" for i in range(args.agents)]
                for start in range(0, len(agents), 25):
                    batch = agents[start : start + 25]
                    await asyncio.gather(*(desktops.open(url, a) for a in batch))
                pids = [child.pid for child in children]
                run = await _traffic(args, sim, pids, probes, desktops)
                dumps = [await _dump(child) for child in children]
                await desktops.close()
            for child in children:
                await asyncio.wait_for(child.wait(), 30)
        finally:
            for child in children:
                if child.returncode is None:
                    child.kill()
                    await child.wait()
            await sim.close()
            if front is not None:
                await front.close()
        run.service_log = _log_summary(logs)
        if args.keep_log is not None:
            shutil.copyfile(logs[0], args.keep_log)
            for name, log in zip(names[1:], logs[1:], strict=True):  # the standbys'
                shutil.copyfile(log, args.keep_log.with_suffix(f".{name}{args.keep_log.suffix}"))
        dump = dumps[0]  # the leader's (a standby's loop has nothing to do)
        run.loop_lag = [late for at, late in dump["lag"] if run.begin <= at < run.end]
        run.gc_pauses = [(gen, took) for at, gen, took in dump["gc"] if run.begin <= at < run.end]
        run.writes_pending = max(
            (n for at, n in dump["writes"] if run.begin <= at < run.end), default=0
        )
        for sent, latency, cause in (o for d in dumps for o in d["originates"]):
            if run.begin <= sent < run.end:
                run.originate.append(latency)
                run.causes[cause] = run.causes.get(cause, 0) + 1
        return run


async def _start_child(
    children: list[asyncio.subprocess.Process], config: Path, log: Path, until: str
) -> int:
    """Start the service on `config` (appended to `children`); its web port once it
    says `until` ("ready": leads, AMI up; "standby": a cluster node waiting)."""
    env = {**os.environ, "CALLCENTER_AMI_SECRET_SIM": SECRET}
    with log.open("wb") as log_file:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--serve",
            str(config),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log_file,
            env=env,
        )
    children.append(child)
    assert child.stdout is not None
    while True:
        line = await asyncio.wait_for(child.stdout.readline(), 60)
        if line.startswith(f"{until} ".encode()):
            return int(line.split()[1])
        if not line:
            raise SystemExit(f"the service did not start:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


async def _dump(child: asyncio.subprocess.Process) -> dict[str, Any]:
    """Ask the service for what it measured; it stops after answering."""
    assert child.stdin is not None
    assert child.stdout is not None
    child.stdin.write(b"dump\n")
    await child.stdin.drain()
    child.stdin.close()
    text = (await asyncio.wait_for(child.stdout.read(), 60)).decode()
    # A cluster node that led printed "ready <port>" after "standby <port>": skip those.
    found: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    return found


async def _traffic(
    args: argparse.Namespace,
    sim: PbxSimulator,
    pids: list[int],
    probes: SimProbes,
    desktops: Desktops,
) -> Run:
    rng = random.Random(11)
    placed_at: list[float] = []

    def caller(n: int) -> CallerScript:
        placed_at.append(time.time())
        known = rng.random() < 0.5
        return CallerScript(
            _number(rng.randrange(args.customers) if known else args.customers + n),
            "100",
            steps=(Press("1", after_s=0.1),),
            patience_s=args.patience,
            talk_s=args.talk,
        )

    start = time.time()
    begin, end = start + args.warmup, start + args.warmup + args.seconds
    harness = time.process_time

    db_port = _postgres_port(args.database_url)

    def cpu() -> tuple[float, float, float | None, float]:
        db = None if db_port is None else _postgres_cpu_seconds(db_port)
        return sum(_cpu_seconds(pid) for pid in pids), harness(), db, _cpu_seconds(pids[0])

    cpu_begin = asyncio.create_task(_at(begin, cpu))
    cpu_end = asyncio.create_task(_at(end, cpu))
    ended: dict[str, float] = {}
    calls = await _arrivals(sim, args.rate, caller, end, ended)
    (server0, harness0, db0, lead0), (server1, harness1, db1, lead1) = (
        await cpu_begin,
        await cpu_end,
    )
    pending = [c.done for c in calls if not c.done.done()]
    if pending:
        await asyncio.wait(pending, timeout=args.patience + args.talk + 10)
    await asyncio.sleep(0.5)  # the last wrap-ups and pops
    inside = [c for c, t in zip(calls, placed_at, strict=True) if begin <= t < end]
    failed = sum(1 for c in inside if not c.done.done() or c.record.bridged_to is None)
    completed = sum(
        1
        for c in calls
        if c.record.bridged_to is not None and begin <= ended.get(c.uniqueid, 0.0) < end
    )
    agi = [lat for t, lat in probes.agi if begin <= t < end]
    ring_to_pop = []
    ring_to_record = []
    rung_without_pop = 0
    for key, rang in probes.rings.items():
        if begin <= rang < end:
            popped = desktops.pops.get(key)
            if popped is None:
                rung_without_pop += 1
            else:
                ring_to_pop.append(popped - rang)
            recorded = desktops.records.get(key)
            if recorded is not None:  # none when the call ended before the record came
                ring_to_record.append(recorded - rang)
    return Run(
        offered=len(inside),
        completed=completed,
        failed=failed,
        window_s=args.seconds,
        agi=agi,
        originate=[],
        ring_to_pop=ring_to_pop,
        ring_to_record=ring_to_record,
        rung_without_pop=rung_without_pop,
        server_cpu_s=server1 - server0,
        leader_cpu_s=lead1 - lead0,
        harness_cpu_s=harness1 - harness0,
        db_cpu_s=None if db0 is None or db1 is None else db1 - db0,
        begin=begin,
        end=end,
    )


async def _arrivals(
    sim: PbxSimulator,
    rate: float,
    script: Callable[[int], CallerScript],
    until: float,
    ended: dict[str, float],
) -> list[SimCall]:
    # Poisson arrivals on an absolute schedule (unlike `run_traffic`, which sleeps each gap
    # after the last call was placed), so a busy harness loop does not lower the rate.
    gaps = random.Random(7)
    calls: list[SimCall] = []
    due = time.time()
    while True:
        due += gaps.expovariate(rate)
        if due >= until:
            return calls
        await asyncio.sleep(max(0.0, due - time.time()))
        call = await sim.place_call(script(len(calls)))
        call.done.add_done_callback(partial(_stamp, ended, call.uniqueid))
        calls.append(call)


def _stamp(ended: dict[str, float], uniqueid: str, _done: object) -> None:
    ended[uniqueid] = time.time()


def _log_summary(paths: list[Path]) -> str:
    """Warnings and errors the service (every node) logged, by event, most frequent first."""
    counts: dict[str, int] = {}
    for path in paths:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    if entry.get("level") in ("warning", "error", "critical"):
                        counts[entry["event"]] = counts.get(entry["event"], 0) + 1
    top = sorted(counts.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{event} x{n}" for event, n in top) or "none"


def _ms(values: list[float], q: int) -> str:
    if len(values) < 2:
        return "n/a"
    return f"{statistics.quantiles(values, n=100)[q - 1] * 1000:.1f}"


def _row(args: argparse.Namespace, run: Run) -> list[str]:
    return [
        f"{args.agents}",
        f"{run.offered / run.window_s:.1f}",
        f"{run.completed / run.window_s:.1f}",
        f"{_ms(run.agi, 50)} / {_ms(run.agi, 99)}",
        f"{_ms(run.originate, 50)} / {_ms(run.originate, 99)}",
        f"{_ms(run.ring_to_pop, 50)} / {_ms(run.ring_to_pop, 99)}",
        f"{_ms(run.ring_to_record, 50)} / {_ms(run.ring_to_record, 99)}",
        f"{1000 * run.server_cpu_s / max(1, run.offered):.2f}",
        f"{100 * run.server_cpu_s / run.window_s:.0f}%",
        f"{100 * run.failed / max(1, run.offered):.1f}%",
    ]


HEADERS = [
    "agents",
    "offered calls/s",
    "completed calls/s",
    "AGI turnaround p50/p99 ms",
    "ready->Originate p50/p99 ms",
    "ring->pop p50/p99 ms",
    "ring->whole record p50/p99 ms",
    "server CPU ms/call",
    "server CPU",
    "failed",
]


def options_parser() -> argparse.ArgumentParser:
    """The command line (benchmarks/failover.py takes its defaults for each of its runs)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=100.0, help="new calls per second")
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=30.0, help="the measured window")
    parser.add_argument("--warmup", type=float, default=10.0, help="excluded from the figures")
    parser.add_argument("--talk", type=float, default=2.0, help="seconds connected")
    parser.add_argument("--ring", type=float, default=1.0, help="seconds a phone rings")
    parser.add_argument("--wrap-up", type=float, default=1.0, help="seconds of wrap-up")
    parser.add_argument("--prompt", type=float, default=0.3, help="seconds a prompt plays")
    parser.add_argument("--patience", type=float, default=30.0, help="seconds on hold")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument(
        "--database-url",
        help="an empty PostgreSQL database (postgresql+asyncpg://...); default: a SQLite file",
    )
    parser.add_argument("--log-level", default="info", help="the service's log level")
    parser.add_argument(
        "--keep-log",
        type=Path,
        help="copy the service's (node1's) log to this file; node2's to FILE.node2.SUFFIX...",
    )
    parser.add_argument("--quick", action="store_true", help="20 calls/s, 100 agents, 10 s")
    parser.add_argument(
        "--nodes",
        type=int,
        default=0,
        help="run this many nodes of a cluster on --database-url (0: one service, no cluster)",
    )
    parser.add_argument(
        "--front",
        action="store_true",
        help="relay FastAGI through the front of benchmarks/agi_front.py (as the cluster does)",
    )
    parser.add_argument(
        "--standby-first",
        action="store_true",
        help="with --front and --nodes 2: FastAGI tries the standby first (the IVR runs there)",
    )
    parser.add_argument(
        "--desktops-on-standby",
        action="store_true",
        help="with --nodes 2: the desktops use the standby's web (API and feeds relayed)",
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    return parser


def main() -> None:
    args = options_parser().parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve))
        return
    if args.quick:
        args.rate, args.agents, args.seconds, args.warmup = 20.0, 100, 10.0, 3.0
    configure_logging("warning", "console")
    run = asyncio.run(_measure(args))
    print(
        f"End-to-end load: {args.rate:g} calls/s offered for {args.warmup:g} s warm-up"
        f" + {args.seconds:g} s measured; talk {args.talk:g} s, ring {args.ring:g} s,"
        f" wrap-up {args.wrap_up:g} s"
    )
    print_table(HEADERS, [_row(args, run)])
    causes = ", ".join(f"{k} {v}" for k, v in sorted(run.causes.items()))
    print(
        f"offers by cause: {causes}; rung without a pop: {run.rung_without_pop};"
        f" harness CPU {100 * run.harness_cpu_s / run.window_s:.0f}%"
    )
    print(
        f"service event loop lag p50/p99 {_ms(run.loop_lag, 50)} / {_ms(run.loop_lag, 99)} ms;"
        f" event-log writes pending at most {run.writes_pending}"
    )
    full = [took for gen, took in run.gc_pauses if gen == 2]
    print(
        f"service garbage collections: {len(run.gc_pauses)}, all pauses"
        f" {1000 * sum(t for _, t in run.gc_pauses):.0f} ms; full ones {len(full)},"
        f" longest {1000 * max(full, default=0):.0f} ms"
    )
    print(f"service warnings and errors: {run.service_log}")


if __name__ == "__main__":
    main()
