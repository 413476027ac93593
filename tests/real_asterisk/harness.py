"""The whole service against a real Asterisk 22, with SIPp phones, callers and a trunk.

`center(tmp_path, acd, phones={...})` starts Asterisk on the product's configuration
(`pbx.RealAsterisk`), registers each agent's SIPp phone with digest auth and gives it a
behaviour (answer, ring, busy), starts the trunk, starts the real service (`Service.build`
+ `start`) pointed at Asterisk's AMI and listening for its FastAGI, seeds the known
customers, logs the agents in and ready, and yields a `RealCenter` to drive and observe
everything. The shipped flows run with the hotline open around the clock.

`real_cluster(tmp_path, postgres, acd, sounds=..., phones={...})` runs the same Asterisk
with the dialplan's two backend nodes as `callcenter serve` processes on one throwaway
PostgreSQL (tests/cluster/harness.py's nodes), each linked to AMI through a relay that
records the actions it sent, and yields a `RealCluster`.

`two_servers(tmp_path, acd, sounds=...)` runs two such Asterisks (README "Several Asterisk
servers"), each naming itself in its FastAGI URLs, with one service whose
`asterisk.servers` lists both; each agent's phone registers at the server of their entry;
yields a `RealServers`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from acd import AcdSettings, AgentLoggedIn, AgentState
from callcenter.app.service import Service
from callcenter.app.settings import Settings
from callcenter.db import CallEvent, UserRepository
from callcenter.db.interactions import InteractionRecord
from tests.cluster.harness import BackendNodes, Node, backend_nodes, node_config
from tests.e2e.harness import CHEAP, open_flows, seed_customers
from tests.pg import PostgresServer
from tests.real_asterisk.pbx import (
    AGENT_PHONES,
    SUPERVISOR_PHONE,
    Build,
    RealAsterisk,
    Unavailable,
    build,
    free_tcp_port,
    free_udp_port,
)
from tests.real_asterisk.sipp import Answer, Behaviour, Sipp, SippParty, Step

ENDPOINTS = {f"agent{n}": f"PJSIP/{phone}" for n, phone in enumerate(AGENT_PHONES, start=1)}
"""The shipped mapping (config/callcenter.yaml telephony.agent_endpoints)."""


def require_build() -> Build:
    """The Asterisk build, or a skip with the reason (a failure under CI=true)."""
    try:
        return build()
    except Unavailable as why:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs the real Asterisk: {why}")
        pytest.skip(f"real Asterisk not available: {why}")


def agent_phone(agent_id: str) -> str:
    """The SIP user of `agent_id`'s phone (agent1 -> agent1001)."""
    return ENDPOINTS[agent_id].removeprefix("PJSIP/")


async def register_phone(asterisk: RealAsterisk, sipp: Sipp, agent_id: str, port: int) -> None:
    """Register `agent_id`'s phone with `asterisk` from 127.0.0.1:`port` (digest auth);
    a phone behaviour (`Sipp.phone`) on the same port takes its calls."""
    phone = agent_phone(agent_id)
    await sipp.register(phone, asterisk.secrets.phones[phone], port)


async def reachable(asterisk: RealAsterisk, endpoint: str, timeout: float = 10) -> None:
    """Wait until Asterisk's qualify reaches `endpoint`'s phone (as a real phone would be
    seen a moment after it registered)."""
    async with asyncio.timeout(timeout):
        while True:
            await asterisk.cli(f"pjsip qualify {endpoint}")
            contacts = await asterisk.cli(f"pjsip show contacts like {endpoint}")
            if " Avail " in contacts:
                return
            await asyncio.sleep(0.2)


@dataclass
class RealCenter:
    """Asterisk, the SIPp parties and the service of one test."""

    asterisk: RealAsterisk
    sipp: Sipp
    settings: Settings
    service: Service
    phones: dict[str, SippParty] = field(default_factory=dict)
    phone_ports: dict[str, int] = field(default_factory=dict)
    trunk: SippParty | None = None
    cutter: TcpCutter | None = None
    """The relay in front of AMI (`center(cutter=True)`)."""
    agi_cutter: TcpCutter | None = None
    """The relay between Asterisk and the service's FastAGI port (`center(agi_cutter=True)`)."""
    standby_port: int | None = None
    """The dialplan's second backend node (BACKEND2) when the service is not there: nothing
    listens on it until `start_standby` starts a service on it."""

    @property
    def acd(self) -> Any:
        """The live ACD core (read-only use)."""
        return self.service.backend.center.host.acd

    @property
    def now(self) -> float:
        """The service's clock."""
        return float(self.service.backend.center.host.now())

    @property
    def web_url(self) -> str:
        """Where the service's web listens."""
        return f"http://127.0.0.1:{self.service.backend.server.port}"

    def state(self, agent_id: str) -> AgentState:
        """An agent's state in the ACD."""
        return self.acd.agent_view(agent_id, self.now).state  # type: ignore[no-any-return]

    def reason(self, agent_id: str) -> str | None:
        """Why an agent is not ready."""
        return self.acd.agent_view(agent_id, self.now).reason  # type: ignore[no-any-return]

    async def until(self, check: Callable[[], Any], timeout: float = 20.0) -> Any:
        """Wait until `check()` (awaited if it is a coroutine) is truthy; its value."""
        async with asyncio.timeout(timeout):
            while True:
                value = check()
                if inspect.isawaitable(value):
                    value = await value
                if value:
                    return value
                await asyncio.sleep(0.05)

    async def call(self, number: str, steps: list[Step], **options: Any) -> SippParty:
        """A caller dials the hotline through the trunk (see `Sipp.call`)."""
        return await self.sipp.call(number, steps, **options)

    async def set_phone(self, agent_id: str, behaviour: Behaviour) -> SippParty:
        """The agent's phone behaves as `behaviour` from now on (same registration)."""
        old = self.phones.pop(agent_id, None)
        if old is not None:
            await old.stop()
        port = self.phone_ports[agent_id]
        party = await self.sipp.phone(behaviour, port, agent_phone(agent_id))
        self.phones[agent_id] = party
        return party

    async def register(self, agent_id: str, behaviour: Behaviour) -> SippParty:
        """Register the agent's phone (digest auth) and start it as `behaviour`."""
        port = self.phone_ports.setdefault(agent_id, free_udp_port())
        await register_phone(self.asterisk, self.sipp, agent_id, port)
        party = await self.set_phone(agent_id, behaviour)
        await self.reachable(agent_phone(agent_id))
        return party

    async def reachable(self, endpoint: str, timeout: float = 10) -> None:
        """Wait until Asterisk's qualify reaches `endpoint`'s phone (as a real phone would
        be seen a moment after it registered)."""
        await reachable(self.asterisk, endpoint, timeout)

    async def events(self, call_id: str | None = None) -> list[CallEvent]:
        """The event log (of one call), after a flush."""
        await self.flush()
        logged = await self.service.backend.context.events.read()
        return [e for e in logged if call_id is None or e.call_id == call_id]

    async def interaction(self, uniqueid: str) -> InteractionRecord:
        """The stored record of the call `uniqueid` (after a flush); fails if there is none."""
        await self.flush()
        record = await self.service.backend.context.interactions.record(uniqueid)
        assert record is not None, f"no interaction row for {uniqueid}"
        return record

    async def interactions(self) -> list[InteractionRecord]:
        """Every stored call record, newest first (after a flush)."""
        await self.flush()
        return await self.service.backend.context.interactions.search(limit=10_000)

    async def flush(self) -> None:
        """Everything the ACD recorded so far is in the database."""
        await self.service.backend.center.host.drain()
        await self.service.writer.flush(timeout=5)

    async def add_user(self, username: str, role: str) -> None:
        """A login `<username>` / `<username>-pass`."""
        sessions = self.service.backend.context.events._sessions
        await UserRepository(sessions, CHEAP).add(username, f"{username}-pass", role)

    async def web_login(self, http: aiohttp.ClientSession, username: str) -> dict[str, str]:
        """Log `http` in as `username`; the CSRF header changes must carry."""
        login = {"username": username, "password": f"{username}-pass"}
        async with http.post(f"{self.web_url}/api/login", json=login) as response:
            response.raise_for_status()
            return {"X-CSRF-Token": (await response.json())["csrf_token"]}

    async def restart_service(self) -> None:
        """Stop the service and start it again on the same database (calls stay up)."""
        await self.service.stop()
        self.service = Service.build(self.settings)
        await self.service.start()
        for client in self.service.ami:
            await client.wait_connected(timeout=10)

    async def kill_service(self) -> None:
        """The service's node dies: every FastAGI connection of the service is cut (a
        reset, as when its machine goes), its address refuses from then on, and the
        service is stopped. Needs `center(agi_cutter=True)`; `start_standby` next."""
        if self.agi_cutter is None:
            raise RuntimeError("kill_service needs center(agi_cutter=True)")
        await self.agi_cutter.close()
        await self.service.stop()

    async def start_standby(self) -> None:
        """A second node takes over: a new service on the same database (SQLite file),
        listening on the dialplan's second node address (BACKEND2)."""
        if self.standby_port is None:
            raise RuntimeError("the second node's address is taken (or the first is down)")
        fastagi = self.settings.fastagi.model_copy(update={"port": self.standby_port})
        self.settings = self.settings.model_copy(update={"fastagi": fastagi})
        self.service = Service.build(self.settings)
        await self.service.start()
        self.standby_port = None
        for client in self.service.ami:
            await client.wait_connected(timeout=10)

    async def active_channels(self) -> list[str]:
        """The channels Asterisk still has up (`core show channels concise`)."""
        out = await self.asterisk.cli("core show channels concise")
        return [line for line in out.splitlines() if "!" in line]

    async def channel_running(self, application: str, timeout: float = 10) -> str:
        """Wait for a channel running `application`; its `concise` line."""
        async with asyncio.timeout(timeout):
            while True:
                for line in await self.active_channels():
                    if f"!{application}!" in line:
                        return line
                await asyncio.sleep(0.1)

    async def register_supervisor(self, behaviour: Behaviour) -> SippParty:
        """Register the supervisor's phone (supervisor9001) and start it as `behaviour`."""
        port = free_udp_port()
        await self.sipp.register(
            SUPERVISOR_PHONE, self.asterisk.secrets.phones[SUPERVISOR_PHONE], port
        )
        party = await self.sipp.phone(behaviour, port, SUPERVISOR_PHONE)
        await self.reachable(SUPERVISOR_PHONE)
        return party

    def acd_idle(self) -> bool:
        """No call left in the ACD: none waiting, ringing or connected."""
        return not self.acd._floor.calls

    async def log_in(self, agent_id: str) -> None:
        """Log an agent in and ready (as from the desktop)."""
        host = self.service.backend.center.host
        await host.request(lambda now: AgentLoggedIn(now, agent_id, ready=True))


class TcpCutter:
    """A TCP relay in front of Asterisk's AMI whose connections a test can cut at will."""

    def __init__(self, target_port: int) -> None:
        """Relay to 127.0.0.1:`target_port`."""
        self.target_port = target_port
        self.port = free_tcp_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.connections = 0
        self.actions: list[tuple[float, str]] = []
        """(time.time() it passed, name) of every AMI action a client sent through."""

    async def start(self) -> None:
        """Listen on 127.0.0.1:`port`."""
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers |= {writer, up_writer}

        async def pipe(
            src: asyncio.StreamReader, dst: asyncio.StreamWriter, upstream: bool
        ) -> None:
            pending = b""
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    if upstream:
                        pending = self._note_actions(pending + data)
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))
        self._writers -= {writer, up_writer}

    def _note_actions(self, data: bytes) -> bytes:
        # The client's whole lines: each `Action:` line is an AMI action sent (the rest of
        # a line split across reads waits for its end).
        *lines, rest = data.split(b"\n")
        for line in lines:
            if line[:7].lower() == b"action:":
                self.actions.append((time.time(), line[7:].strip().decode(errors="replace")))
        return rest

    def sent(self, action: str, after: float = 0.0) -> list[float]:
        """When a client sent the AMI action `action` (any case) through, at `after` or later."""
        return [at for at, name in self.actions if at >= after and name.lower() == action.lower()]

    def cut(self) -> int:
        """Cut every connection now (a reset, as a broken link does); how many were cut."""
        cut = 0
        for writer in list(self._writers):
            transport = writer.transport
            sock = transport.get_extra_info("socket")
            if sock is not None:
                # SO_LINGER 0: close() sends a reset, as a pulled cable or a firewall does.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
            cut += 1
        self._writers.clear()
        return cut // 2

    async def close(self) -> None:
        """Stop relaying."""
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def ami_server(name: str, port: int, secret: str) -> dict[str, Any]:
    """One entry of `asterisk.servers`: the Asterisk called `name`, its AMI on loopback."""
    return {
        "name": name,
        "host": "127.0.0.1",
        "port": port,
        "username": "callcenter",
        "secret": secret,
        "auth": "md5",
    }


def real_settings(
    tmp_path: Path,
    asterisk: RealAsterisk,
    acd: AcdSettings,
    ami_port: int,
    agi_port: int | None = None,
    **extra: Any,
) -> Settings:
    """The service's settings for one test: this Asterisk's AMI, the FastAGI port the service
    listens on (default: the one Asterisk's dialplan calls), SQLite. `servers=[...]`
    (`ami_server` entries) lists several Asterisks instead."""
    telephony: Mapping[str, Any] = extra.pop("telephony", {})
    ivr: Mapping[str, Any] = extra.pop("ivr", {})
    web: Mapping[str, Any] = extra.pop("web", {})
    servers: list[dict[str, Any]] = extra.pop("servers", None) or [
        ami_server("pbx1", ami_port, asterisk.secrets.ami)
    ]
    return Settings(
        asterisk={
            "servers": servers,
            "reconnect_initial_s": 0.05,
            "reconnect_max_s": 0.5,
            "ping_interval_s": 5,
        },
        fastagi={"host": "127.0.0.1", "port": agi_port or asterisk.agi_port},
        service={"shutdown_grace_s": 0.5},
        database={"url": f"sqlite+aiosqlite:///{tmp_path / 'real.db'}", "batch_interval_s": 0.0},
        ivr={
            "flows_dir": open_flows(tmp_path / "flows"),
            "timezone": "Europe/Berlin",
            "dnis": {"100": "main_hotline", "199": "after_hours"},
            **ivr,
        },
        web={"host": "127.0.0.1", "port": 0, "coalesce_ms": 10, **web},
        telephony={
            "agent_endpoints": ENDPOINTS,
            "supervisor_endpoints": {"sup1": "PJSIP/supervisor9001"},
            "hold_segment_s": 2,
            "voicemail_dir": str(asterisk.voicemail),
            **telephony,
        },
        acd=acd,
        **extra,
    )


@contextlib.asynccontextmanager
async def center(
    tmp_path: Path,
    acd: AcdSettings,
    *,
    sounds: tuple[Path, Path],
    phones: Mapping[str, Behaviour] | None = None,
    ready: tuple[str, ...] | None = None,
    trunk: bool = True,
    cutter: bool = False,
    agi_cutter: bool = False,
    first_backend_down: bool = False,
    rtp_ports: int = 400,
    **extra: Any,
) -> AsyncIterator[RealCenter]:
    """Asterisk, phones (`phones`: agent -> behaviour; default every agent answers), the
    trunk and the service, with the agents in `ready` (default: all) logged in and ready.

    The dialplan's first backend node (BACKEND1) is the service, its second (BACKEND2) an
    address nothing listens on (`RealCenter.standby_port`); `first_backend_down` swaps
    them: calls find nobody at the first node and reach the service at the second."""
    unpacked = require_build()
    agi_port = free_tcp_port()
    spare = free_tcp_port()
    while spare == agi_port:
        spare = free_tcp_port()
    # With `agi_cutter` Asterisk's dialplan calls a relay, which passes on to the service.
    agi_relay = TcpCutter(agi_port) if agi_cutter else None
    served = agi_relay.port if agi_relay is not None else agi_port
    first, second = (spare, served) if first_backend_down else (served, spare)
    asterisk = RealAsterisk(
        unpacked,
        agi_port=first,
        agi_port2=second,
        sounds=sounds[0],
        moh=sounds[1],
        trunk=trunk,
        rtp_ports=rtp_ports,
    )
    sipp = Sipp(unpacked, asterisk.sip_port, tmp_path / "sipp")
    real: RealCenter | None = None
    relay = TcpCutter(asterisk.ami_port) if cutter else None
    try:
        await asterisk.start()
        if relay is not None:
            await relay.start()
        if agi_relay is not None:
            await agi_relay.start()
        ami_port = relay.port if relay is not None else asterisk.ami_port
        settings = real_settings(tmp_path, asterisk, acd, ami_port, agi_port, **extra)
        real = RealCenter(
            asterisk,
            sipp,
            settings,
            Service.build(settings),
            cutter=relay,
            agi_cutter=agi_relay,
            standby_port=None if first_backend_down else spare,
        )
        service = real.service
        wanted = phones if phones is not None else {a.id: Answer() for a in acd.agents}
        for agent_id, behaviour in wanted.items():
            await real.register(agent_id, behaviour)
        if trunk:
            real.trunk = await sipp.trunk()
        await service.start()
        for client in service.ami:
            await client.wait_connected(timeout=10)
        await seed_customers(service)
        host = service.backend.center.host
        for agent in ready if ready is not None else tuple(a.id for a in acd.agents):
            await host.request(lambda now, a=agent: AgentLoggedIn(now, a, ready=True))
        yield real
    finally:
        if real is not None:
            await real.service.stop()
        if relay is not None:
            await relay.close()
        if agi_relay is not None:
            await agi_relay.close()
        await sipp.close()
        await asterisk.stop()


@dataclass
class RealCluster:
    """The real Asterisk, the SIPp parties and two `callcenter serve` nodes on one
    PostgreSQL (`real_cluster`): node1 is BACKEND1 of the dialplan, node2 BACKEND2."""

    asterisk: RealAsterisk
    sipp: Sipp
    backend: BackendNodes
    ami: dict[str, TcpCutter]
    """Each node's AMI link to Asterisk (node name -> the relay it connects through), which
    records the actions the node sent: Asterisk's view of who originated what."""
    phones: dict[str, SippParty] = field(default_factory=dict)
    trunk: SippParty | None = None

    @property
    def nodes(self) -> list[Node]:
        """The nodes, node1 first."""
        return self.backend.nodes

    def node(self, name: str) -> Node:
        """The node called `name`."""
        return next(node for node in self.nodes if node.name == name)

    async def call(self, number: str, steps: list[Step], **options: Any) -> SippParty:
        """A caller dials the hotline through the trunk (see `Sipp.call`)."""
        return await self.sipp.call(number, steps, **options)

    async def active_channels(self) -> list[str]:
        """The channels Asterisk still has up (`core show channels concise`)."""
        out = await self.asterisk.cli("core show channels concise")
        return [line for line in out.splitlines() if "!" in line]


@contextlib.asynccontextmanager
async def real_cluster(
    tmp_path: Path,
    postgres: PostgresServer,
    acd: AcdSettings,
    *,
    sounds: tuple[Path, Path],
    phones: Mapping[str, Behaviour],
    backends: tuple[int, ...] = (1, 2),
) -> AsyncIterator[RealCluster]:
    """Asterisk on the product's configuration with the two backend nodes of its dialplan
    (BACKEND1, BACKEND2), each a `callcenter serve` process with `cluster.enabled`
    (tests/cluster/harness.py: node1 leads, node2 waits as a standby) on a fresh database of
    `postgres`; the agents' phones (`phones`: agent -> behaviour) registered and the trunk
    answering. Agents are not logged in: a test does that on the leader's web.
    `backends`: the nodes the dialplan names, BACKEND1 first (`(2,)`: only node2, the
    standby; BACKEND2 empty)."""
    unpacked = require_build()
    agi_ports = [free_tcp_port()]
    while len(agi_ports) < 2:
        port = free_tcp_port()
        if port not in agi_ports:
            agi_ports.append(port)
    listed = [agi_ports[n - 1] for n in backends]
    asterisk = RealAsterisk(
        unpacked,
        agi_port=listed[0],
        agi_port2=listed[1] if len(listed) > 1 else None,
        sounds=sounds[0],
        moh=sounds[1],
    )
    sipp = Sipp(unpacked, asterisk.sip_port, tmp_path / "sipp")
    relays = {f"node{n}": TcpCutter(asterisk.ami_port) for n in (1, 2)}
    flows = open_flows(tmp_path / "flows")
    telephony = {
        "agent_endpoints": ENDPOINTS,
        "supervisor_endpoints": {"sup1": f"PJSIP/{SUPERVISOR_PHONE}"},
        "voicemail_dir": str(asterisk.voicemail),
    }

    def configure(name: str, url: str, web_port: int, agi_port: int) -> Path:
        ami_port = relays[name].port
        return node_config(
            tmp_path, name, url, acd, ami_port, web_port, agi_port, flows,
            ami_server="pbx1", telephony=telephony,
        )  # fmt: skip

    try:
        await asterisk.start()
        for relay in relays.values():
            await relay.start()
        parties: dict[str, SippParty] = {}
        for agent_id, behaviour in phones.items():
            port = free_udp_port()
            await register_phone(asterisk, sipp, agent_id, port)
            parties[agent_id] = await sipp.phone(behaviour, port, agent_phone(agent_id))
            await reachable(asterisk, agent_phone(agent_id))
        trunk = await sipp.trunk()
        env = {"CALLCENTER_AMI_SECRET_PBX1": asterisk.secrets.ami}
        async with backend_nodes(tmp_path, postgres, agi_ports, configure, env=env) as nodes:
            yield RealCluster(asterisk, sipp, nodes, relays, parties, trunk)
    finally:
        for relay in relays.values():
            await relay.close()
        await sipp.close()
        await asterisk.stop()


@dataclass
class RealServers(RealCenter):
    """Several Asterisks (`two_servers`), each with its own phones and callers, and one
    service naming them all in `asterisk.servers`. `asterisk` and `sipp` are the default
    (first) server's; `servers` has each by name."""

    servers: dict[str, RealAsterisk] = field(default_factory=dict)
    sipps: dict[str, Sipp] = field(default_factory=dict)
    """Each server's SIPp parties (callers dial that server's SIP port)."""
    ami: dict[str, TcpCutter] = field(default_factory=dict)
    """Each server's AMI link, through a relay that records the actions sent on it."""

    async def call_on(
        self, server: str, number: str, steps: list[Step], **options: Any
    ) -> SippParty:
        """A caller dials the hotline of `server` (through the trunk, see `Sipp.call`)."""
        return await self.sipps[server].call(number, steps, **options)

    async def register_on(self, server: str, agent_id: str, behaviour: Behaviour) -> SippParty:
        """Register `agent_id`'s phone (digest auth) with `server` and start it as `behaviour`."""
        asterisk, sipp = self.servers[server], self.sipps[server]
        port = self.phone_ports.setdefault(agent_id, free_udp_port())
        await register_phone(asterisk, sipp, agent_id, port)
        party = await sipp.phone(behaviour, port, agent_phone(agent_id))
        self.phones[agent_id] = party
        await reachable(asterisk, agent_phone(agent_id))
        return party

    async def set_phone(self, agent_id: str, behaviour: Behaviour) -> SippParty:
        """Not for several servers: `register_on` names the server."""
        raise NotImplementedError("RealServers: use register_on(server, agent_id, behaviour)")


@contextlib.asynccontextmanager
async def two_servers(
    tmp_path: Path,
    acd: AcdSettings,
    *,
    sounds: tuple[Path, Path],
    names: tuple[str, str] = ("pbxA", "pbxB"),
    phones: Mapping[str, Behaviour] | None = None,
    ready: tuple[str, ...] | None = None,
    **extra: Any,
) -> AsyncIterator[RealServers]:
    """Two Asterisks on the product's configuration (`names`, the first the default), each
    with its own SIP, AMI and RTP ports and its `?server=<name>` FastAGI URLs, both calling
    the one service, whose `asterisk.servers` lists both (each AMI link through a recording
    `TcpCutter`). Each agent's phone (`phones`: agent -> behaviour; default every agent
    answers) registers with the server their `acd.agents` entry names (none: the first);
    the agents in `ready` (default: all) are logged in and ready. No trunk party: callers
    dial each server directly from TRUNK_HOST (`call_on`)."""
    unpacked = require_build()
    agi_port = free_tcp_port()
    servers: dict[str, RealAsterisk] = {}
    sipps: dict[str, Sipp] = {}
    relays: dict[str, TcpCutter] = {}
    real: RealServers | None = None
    try:
        for name in names:
            servers[name] = RealAsterisk(
                unpacked,
                agi_port=agi_port,
                sounds=sounds[0],
                moh=sounds[1],
                rtp_ports=200,
                server=name,
            )
            sipps[name] = Sipp(unpacked, servers[name].sip_port, tmp_path / f"sipp-{name}")
            relays[name] = TcpCutter(servers[name].ami_port)
        for name in names:
            await servers[name].start()
            await relays[name].start()
        first = servers[names[0]]
        entries = [ami_server(n, relays[n].port, servers[n].secrets.ami) for n in names]
        settings = real_settings(tmp_path, first, acd, 0, agi_port, servers=entries, **extra)
        real = RealServers(
            first,
            sipps[names[0]],
            settings,
            Service.build(settings),
            servers=servers,
            sipps=sipps,
            ami=relays,
        )
        wanted = phones if phones is not None else {a.id: Answer() for a in acd.agents}
        home = {a.id: a.server or names[0] for a in acd.agents}
        for agent_id, behaviour in wanted.items():
            await real.register_on(home[agent_id], agent_id, behaviour)
        service = real.service
        await service.start()
        for client in service.ami:
            await client.wait_connected(timeout=10)
        await seed_customers(service)
        for agent in ready if ready is not None else tuple(a.id for a in acd.agents):
            await real.log_in(agent)
        yield real
    finally:
        if real is not None:
            await real.service.stop()
        for relay in relays.values():
            await relay.close()
        for sipp in sipps.values():
            await sipp.close()
        for asterisk in servers.values():
            await asterisk.stop()
