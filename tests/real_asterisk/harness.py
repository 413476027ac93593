"""The whole service against a real Asterisk 22, with SIPp phones, callers and a trunk.

`center(tmp_path, acd, phones={...})` starts Asterisk on the product's configuration
(`pbx.RealAsterisk`), registers each agent's SIPp phone with digest auth and gives it a
behaviour (answer, ring, busy), starts the trunk, starts the real service (`Service.build`
+ `start`) pointed at Asterisk's AMI and listening for its FastAGI, seeds the known
customers, logs the agents in and ready, and yields a `RealCenter` to drive and observe
everything. The shipped flows run with the hotline open around the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import socket
import struct
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
from tests.e2e.harness import CHEAP, open_flows, seed_customers
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
        phone = agent_phone(agent_id)
        port = self.phone_ports.setdefault(agent_id, free_udp_port())
        await self.sipp.register(phone, self.asterisk.secrets.phones[phone], port)
        party = await self.set_phone(agent_id, behaviour)
        await self.reachable(phone)
        return party

    async def reachable(self, endpoint: str, timeout: float = 10) -> None:
        """Wait until Asterisk's qualify reaches `endpoint`'s phone (as a real phone would
        be seen a moment after it registered)."""
        async with asyncio.timeout(timeout):
            while True:
                await self.asterisk.cli(f"pjsip qualify {endpoint}")
                contacts = await self.asterisk.cli(f"pjsip show contacts like {endpoint}")
                if " Avail " in contacts:
                    return
                await asyncio.sleep(0.2)

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

    async def start(self) -> None:
        """Listen on 127.0.0.1:`port`."""
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

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


def real_settings(
    tmp_path: Path,
    asterisk: RealAsterisk,
    acd: AcdSettings,
    ami_port: int,
    agi_port: int | None = None,
    **extra: Any,
) -> Settings:
    """The service's settings for one test: this Asterisk's AMI, the FastAGI port the service
    listens on (default: the one Asterisk's dialplan calls), SQLite."""
    telephony: Mapping[str, Any] = extra.pop("telephony", {})
    ivr: Mapping[str, Any] = extra.pop("ivr", {})
    web: Mapping[str, Any] = extra.pop("web", {})
    return Settings(
        asterisk={
            "servers": [
                {
                    "name": "pbx1",
                    "host": "127.0.0.1",
                    "port": ami_port,
                    "username": "callcenter",
                    "secret": asterisk.secrets.ami,
                    "auth": "md5",
                }
            ],
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
