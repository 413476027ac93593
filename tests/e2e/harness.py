"""The whole service against the PBX simulator, over real sockets, for end-to-end tests.

`running(tmp_path, acd=..., phones=...)` starts the simulator (AMI server, FastAGI caller
side), then the real service (`Service.build` + `start`: database, live center, web,
FastAGI, AMI client, executor, facts) pointed at it, seeds customers and users, logs the
configured agents in and ready, and yields handles to drive and observe both. The shipped
flows are used, copied with the hotline's calendar opened around the clock so that a test
does not depend on the hour it runs at. `running_servers` does the same with one simulator
per Asterisk server, each with its own AMI port, phones and Uniqueids (`systemname`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from argon2 import PasswordHasher

from acd import AcdSettings, AgentLoggedIn, AgentReady, AgentState
from callcenter.app.service import Service
from callcenter.app.settings import Settings
from callcenter.db import CallEvent, CustomerRepository, NewCustomer, UserRepository
from callcenter.demo.run import open_hotline_flows
from callcenter.sim import AgentPhone, PbxSimulator, SimOptions
from cti.types import Tier

CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
SECRET = "e2e-secret"
KNOWN = "+49305550000"
"""A known gold customer (Jonas Richter, account 471102) from the demo customers."""
VIP = "+49305550001"
"""A known VIP customer (Felix Lange)."""
STANDARD = tuple(f"+4930555000{n}" for n in range(2, 10))
"""Known standard customers (German): they reach the menu without keying an account."""


def open_flows(target: Path) -> Path:
    """The shipped flows, with the hotline open at every hour of every day."""
    return open_hotline_flows(target)


async def free_port() -> int:
    """A loopback port nothing listens on."""
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port: int = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    return port


@dataclass
class E2E:
    """The running simulator and service."""

    sim: PbxSimulator
    service: Service
    settings: Settings
    sims: dict[str, PbxSimulator] = field(default_factory=dict)
    """With several servers (`running_servers`): each server's simulator by name."""

    @property
    def acd(self) -> Any:
        """The live ACD core (read-only use)."""
        return self.service.backend.center.host.acd

    @property
    def now(self) -> float:
        """The service's clock."""
        return float(self.service.backend.center.host.now())

    async def until(self, check: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until `check()` is truthy; its value."""
        async with asyncio.timeout(timeout):
            while True:
                value = check()
                if value:
                    return value
                await asyncio.sleep(0.02)

    def state(self, agent_id: str) -> AgentState:
        """An agent's state in the ACD."""
        return self.acd.agent_view(agent_id, self.now).state  # type: ignore[no-any-return]

    @property
    def web_url(self) -> str:
        """Where the service's web listens."""
        return f"http://127.0.0.1:{self.service.backend.server.port}"

    async def add_user(self, username: str, role: str) -> None:
        """A login `<username>` / `<username>-pass` (argon2 at a test cost)."""
        sessions = self.service.backend.context.events._sessions
        await UserRepository(sessions, CHEAP).add(username, f"{username}-pass", role)

    async def web_login(self, http: aiohttp.ClientSession, username: str) -> dict[str, str]:
        """Log `http` in as `username` (see `add_user`); the CSRF header changes must carry."""
        login = {"username": username, "password": f"{username}-pass"}
        async with http.post(f"{self.web_url}/api/login", json=login) as response:
            response.raise_for_status()
            return {"X-CSRF-Token": (await response.json())["csrf_token"]}

    def reason(self, agent_id: str) -> str | None:
        """Why an agent is not ready (None when they are, or no reason is given)."""
        return self.acd.agent_view(agent_id, self.now).reason  # type: ignore[no-any-return]

    async def log_in(self, agent_id: str, *, ready: bool = False) -> None:
        """Log an agent in, not ready unless `ready` (as from the desktop)."""
        host = self.service.backend.center.host
        await host.request(lambda now: AgentLoggedIn(now, agent_id, ready=ready))

    async def go_ready(self, agent_id: str) -> None:
        """A logged-in agent goes ready (as from the desktop)."""
        await self.service.backend.center.host.request(lambda now: AgentReady(now, agent_id))

    async def events(self, call_id: str) -> list[CallEvent]:
        """The event log's entries for one call, in log order (after a `flush`)."""
        logged = await self.service.backend.context.events.read()
        return [event for event in logged if event.call_id == call_id]

    async def flush(self) -> None:
        """Everything the ACD recorded so far is in the database."""
        await self.service.backend.center.host.drain()
        await self.service.writer.flush(timeout=5)


class Api:
    """One logged-in user's requests, raising on an unexpected status."""

    def __init__(self, e2e: E2E, http: aiohttp.ClientSession, headers: dict[str, str]) -> None:
        """Requests of `http` (logged in, `E2E.web_login`) carrying `headers` (its CSRF)."""
        self.e2e, self.http, self.headers = e2e, http, headers

    async def __call__(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        """The JSON answer to `method path` with `body`, which must come with `status`."""
        async with self.http.request(
            method, f"{self.e2e.web_url}{path}", json=body, headers=self.headers
        ) as response:
            assert response.status == status, await response.text()
            return await response.json()


def e2e_settings(
    tmp_path: Path,
    acd: AcdSettings,
    agi_port: int,
    ami_port: int,
    *,
    servers: Mapping[str, int] | None = None,
    **extra: Any,
) -> Settings:
    """Settings for one test: the simulator's AMI, a FastAGI port, a SQLite file;
    `servers`: several Asterisk servers instead, name -> AMI port (the first is the
    default)."""
    endpoints = {agent.id: f"PJSIP/{agent.id}" for agent in acd.agents}
    return Settings(
        asterisk={
            "servers": [
                {
                    "name": name,
                    "host": "127.0.0.1",
                    "port": port,
                    "username": "callcenter",
                    "secret": SECRET,
                    "auth": "md5",
                }
                for name, port in (servers or {"sim": ami_port}).items()
            ],
            "reconnect_initial_s": 0.05,
            "reconnect_max_s": 0.3,
            "ping_interval_s": 5,
        },
        fastagi={"host": "127.0.0.1", "port": agi_port},
        service={"shutdown_grace_s": 0.5},
        database={"url": f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}", "batch_interval_s": 0.0},
        ivr={
            "flows_dir": open_flows(tmp_path / "flows"),
            "timezone": "Europe/Berlin",
            "dnis": {"100": "main_hotline", "199": "after_hours"},
            **extra.pop("ivr", {}),
        },
        web={"host": "127.0.0.1", "port": 0, "coalesce_ms": 10},
        telephony={
            "agent_endpoints": endpoints,
            "hold_segment_s": 2,
            "supervisor_endpoints": {"sup1": "PJSIP/supervisor9001"},
            "voicemail_dir": str(tmp_path / "voicemail"),
            **extra.pop("telephony", {}),
        },
        acd=acd,
        **extra,
    )


@contextlib.asynccontextmanager
async def running(
    tmp_path: Path,
    acd: AcdSettings,
    phones: list[AgentPhone],
    *,
    ready: tuple[str, ...] | None = None,
    sim_options: SimOptions | None = None,
    **extra: Any,
) -> AsyncIterator[E2E]:
    """The simulator and the service, agents `ready` (default: all) logged in and ready."""
    agi_port = await free_port()
    # The simulated Asterisk has the voicemail folder the deployment makes (e2e_settings).
    spool = frozenset({str(tmp_path / "voicemail")})
    options = sim_options or SimOptions(prompt_s=0.05, agi_close_timeout_s=5.0, spool_dirs=spool)
    sim = PbxSimulator(agi_port=agi_port, secret=SECRET, options=options)
    await sim.start()
    for phone in phones:
        sim.add_phone(phone)
    settings = e2e_settings(tmp_path, acd, agi_port, sim.ami_port, **extra)
    service = Service.build(settings)
    await service.start()
    try:
        for client in service.ami:
            await client.wait_connected(timeout=10)
        await _seed(service)
        host = service.backend.center.host
        for agent in ready if ready is not None else tuple(a.id for a in acd.agents):
            await host.request(lambda now, a=agent: AgentLoggedIn(now, a, ready=True))
        yield E2E(sim, service, settings)
    finally:
        await service.stop()
        await sim.close()


@contextlib.asynccontextmanager
async def running_servers(
    tmp_path: Path,
    acd: AcdSettings,
    phones: Mapping[str, list[AgentPhone]],
    *,
    ready: tuple[str, ...] | None = None,
    name_in_url: tuple[str, ...] | None = None,
    system_names: Mapping[str, str] | None = None,
    **extra: Any,
) -> AsyncIterator[E2E]:
    """One simulator per Asterisk server (`phones`: server name -> the phones registered
    there; the first server is the default) and the service driving them all, agents
    `ready` (default: all) logged in and ready. The servers of `name_in_url` (default:
    all) name themselves in the FastAGI URL (`ivr?server=<name>`); the others are told
    apart by their address only, which on loopback is everyone's. Each server's
    `systemname` is its name unless `system_names` says otherwise ("" for none)."""
    agi_port = await free_port()
    spool = frozenset({str(tmp_path / "voicemail")})
    sims: dict[str, PbxSimulator] = {}
    for name, server_phones in phones.items():
        named = name_in_url is None or name in name_in_url
        options = SimOptions(
            prompt_s=0.05,
            agi_close_timeout_s=5.0,
            spool_dirs=spool,
            system_name=name if system_names is None else system_names.get(name, name),
            ivr_script=f"ivr?server={name}" if named else "ivr",
        )
        sim = PbxSimulator(agi_port=agi_port, secret=SECRET, options=options)
        await sim.start()
        for phone in server_phones:
            sim.add_phone(phone)
        sims[name] = sim
    ports = {name: sim.ami_port for name, sim in sims.items()}
    first = next(iter(sims.values()))
    settings = e2e_settings(tmp_path, acd, agi_port, first.ami_port, servers=ports, **extra)
    service = Service.build(settings)
    await service.start()
    try:
        for client in service.ami:
            await client.wait_connected(timeout=10)
        await _seed(service)
        host = service.backend.center.host
        for agent in ready if ready is not None else tuple(a.id for a in acd.agents):
            await host.request(lambda now, a=agent: AgentLoggedIn(now, a, ready=True))
        yield E2E(first, service, settings, sims)
    finally:
        await service.stop()
        for sim in sims.values():
            await sim.close()


@contextlib.asynccontextmanager
async def replaceable(
    tmp_path: Path, acd: AcdSettings, phones: list[AgentPhone]
) -> AsyncIterator[tuple[PbxSimulator, Settings, Service]]:
    """The simulator and a first service (customers seeded, nobody logged in), for tests
    that stop it and start another on the same settings (`start_service`): a restart, a
    fail-over. The test stops its services; the simulator outlives them."""
    agi_port = await free_port()
    options = SimOptions(prompt_s=0.05, agi_close_timeout_s=5)
    sim = PbxSimulator(agi_port=agi_port, secret=SECRET, options=options)
    await sim.start()
    for phone in phones:
        sim.add_phone(phone)
    settings = e2e_settings(tmp_path, acd, agi_port, sim.ami_port)
    try:
        first = await start_service(settings)
        await seed_customers(first)
        yield sim, settings, first
    finally:
        await sim.close()


async def start_service(settings: Settings) -> Service:
    """Build and start a service and wait for its AMI login."""
    service = Service.build(settings)
    await service.start()
    for client in service.ami:
        await client.wait_connected(timeout=10)
    return service


async def _seed(service: Service) -> None:
    await seed_repository(service.backend.context.customers)


async def seed_repository(customers: CustomerRepository) -> None:
    """The known callers of these tests (KNOWN, VIP, STANDARD) in `customers`."""
    await customers.add_many(
        [
            NewCustomer(
                name="Jonas Richter",
                account="471102",
                tier=Tier.GOLD,
                language="de",
                phones=(KNOWN,),
            ),
            NewCustomer(
                name="Felix Lange", account="471235", tier=Tier.VIP, language="en", phones=(VIP,)
            ),
            *(
                NewCustomer(
                    name=f"Customer {n}", account=f"5000{n:02d}", language="de", phones=(number,)
                )
                for n, number in enumerate(STANDARD, start=2)
            ),
        ]
    )


async def seed_customers(service: Service) -> None:
    """The known callers of these tests (KNOWN, VIP, STANDARD) in the service's database."""
    await _seed(service)
