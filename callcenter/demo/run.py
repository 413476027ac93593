"""`callcenter demo`: the whole service on the embedded default, with people to log in as.

Strategy: the demo runs the shipped settings on a SQLite file of its own (`var/demo.db`,
so it never touches a real database), seeds it once (a login for every configured agent,
a supervisor and an admin, and the demo customers of `config/demo/customers.csv`; seeding
again adds only what is missing), prints where to open the pages and how to log in, then
serves until interrupted. Demo passwords are printed on purpose: they are for a laptop,
and the banner says so.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import shlex
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
import yaml
from argon2 import PasswordHasher
from pydantic import SecretStr

from acd import AcdError, AgentLoggedIn
from callcenter.app.paths import config_dir
from callcenter.app.settings import SHIPPED_FLOWS, AMIServerSettings, Settings
from callcenter.db import CustomerRepository, UserRepository, make_engine, make_sessions, upgrade
from callcenter.db.customer_import import read_customers
from callcenter.demo.traffic import (
    DEFAULT_CALLS_PER_MINUTE,
    DemoCallers,
    DemoLoad,
    agent_phones,
    run_demo_traffic,
)
from callcenter.demo.voicemail_bots import VoicemailBots
from callcenter.ivr.dialplan import contract_dialplan
from callcenter.sim import PbxSimulator, SimOptions

if TYPE_CHECKING:
    from callcenter.app.service import Service

log = structlog.get_logger(__name__)

DEMO_DB = "sqlite+aiosqlite:///var/demo.db"
DEMO_CONFIG = Path("var") / "demo.yaml"
"""The demo's settings as it runs them, for other commands: `--config var/demo.yaml`."""
STAFF = (("sup1", "supervisor", "Sam Supervisor"), ("admin", "admin", "Ada Admin"))


def demo_password(username: str) -> str:
    """The demo login's password (printed in the banner; never used outside the demo)."""
    return f"{username}-demo"


def demo_settings(settings: Settings) -> Settings:
    """The shipped settings on the demo's own database file."""
    database = settings.database.model_copy(update={"url": DEMO_DB})
    return settings.model_copy(update={"database": database})


async def seed_demo(settings: Settings, *, hasher: PasswordHasher | None = None) -> list[str]:
    """Create what is missing of the demo logins and customers; the logins, as text lines."""
    engine = make_engine(settings.database.url)
    try:
        await upgrade(engine)
        sessions = make_sessions(engine)
        users = UserRepository(sessions, hasher)
        logins = [(a.id, "agent", a.name or a.id) for a in settings.acd.agents]
        logins += list(STAFF)
        lines = []
        for username, role, name in logins:
            if await users.get(username) is None:
                await users.add(username, demo_password(username), role, display_name=name)
            lines.append(f"  {role:<10} {username:<8} password {demo_password(username)}")
        customers = CustomerRepository(sessions, region=settings.cti.default_region)
        plan = read_customers(config_dir() / "demo" / "customers.csv")
        accounts = await customers.existing_accounts(c.account for c in plan.customers)
        fresh = [c for c in plan.customers if c.account not in accounts]
        if fresh:
            await customers.add_many(fresh)
        return lines
    finally:
        await engine.dispose()


def write_demo_config(settings: Settings, path: Path = DEMO_CONFIG) -> Path:
    """Write the demo's settings to `path` (absolute paths, this run's AMI secret, readable
    by its owner only), so that `callcenter --config var/demo.yaml doctor`, `users add` or
    `customers import` work on the demo's simulated Asterisk and database."""
    data = settings.model_dump(mode="json")
    for server, configured in zip(
        data["asterisk"]["servers"], settings.asterisk.servers, strict=True
    ):
        if configured.secret is not None:
            server["secret"] = configured.secret.get_secret_value()
    database = Path(settings.database.url.removeprefix("sqlite+aiosqlite:///"))
    data["database"]["url"] = f"sqlite+aiosqlite:///{database.resolve()}"
    data["ivr"]["flows_dir"] = str(Path(data["ivr"]["flows_dir"]).resolve())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    header = "# Written by `callcenter demo` for this run; valid while it runs.\n"
    path.write_text(header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path.resolve()


def _command() -> str:
    """How this program was started, for lines the user copies (`.venv/bin/callcenter`)."""
    program = Path(sys.argv[0])
    if program.name == "callcenter":
        return shlex.quote(str(program))
    return f"{shlex.quote(sys.executable)} -m callcenter"


def banner(settings: Settings, port: int, logins: list[str], config: Path | None = None) -> str:
    """What the demo prints once it is up."""
    url = f"http://{settings.web.host}:{port}"
    checks = []
    if config is not None:
        command = f"{_command()} --config {shlex.quote(str(config))}"
        database = settings.database.url.removeprefix("sqlite+aiosqlite:///")
        checks = [
            f"check it:      {command} doctor",
            f"its database:  {Path(database).resolve()}, for other commands too:",
            f"               {command} users add ... / customers import FILE.csv",
        ]
    return "\n".join(
        [
            "",
            "callcenter demo is running: the PBX simulator places calls on the hotline (open",
            "around the clock); agent1 is yours, the other agents are simulated.",
            "Demo passwords below are for this laptop only.",
            f"  agent desktop  {url}/agent",
            f"  wallboard      {url}/wallboard",
            f"  reports        {url}/reports",
            f"  admin          {url}/admin",
            f"  API            {url}/api/openapi.json",
            "logins:",
            *logins,
            *checks,
            "Press Ctrl-C to stop.",
            "",
        ]
    )


def print_banner(text: str) -> None:
    """Print the banner where a person running the demo sees it."""
    print(text, file=sys.stderr, flush=True)


def open_hotline_flows(target: Path) -> Path:
    """The shipped flows copied to `target`, the hotline open at every hour of every day.

    The demo (and the end-to-end tests) must not send every caller to voicemail because
    they run at night.
    """
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(SHIPPED_FLOWS, target)
    hotline = target / "main_hotline.yaml"
    flow = yaml.safe_load(hotline.read_text(encoding="utf-8"))
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    flow["calendars"]["hotline"]["weekly"] = {day: ["00:00-24:00"] for day in days}
    flow["calendars"]["hotline"]["holidays"] = []
    hotline.write_text(yaml.safe_dump(flow, sort_keys=False), encoding="utf-8")
    return target


async def run_demo(
    settings: Settings,
    *,
    calls_per_minute: float | None = None,
    peaks: bool = True,
) -> int:
    """Seed the demo database, start the PBX simulator and its callers, then serve.

    `calls_per_minute` is a normal day's rate (default `DEFAULT_CALLS_PER_MINUTE`, which
    the simulated agents serve on target); `peaks` adds a busy spell now and then.
    """
    from callcenter.app.service import run  # noqa: PLC0415 - the service imports the web stack

    load = DemoLoad(calls_per_minute or DEFAULT_CALLS_PER_MINUTE)
    if not peaks:
        load = replace(load, peak_factor=1.0)
    settings = demo_settings(settings)
    secret = secrets.token_urlsafe(18)  # a fresh lab secret per run: nothing to leak
    agi_port = settings.fastagi.port or await _free_port(settings.fastagi.host)
    sim = PbxSimulator(
        agi_host=settings.fastagi.host,
        agi_port=agi_port,
        secret=secret,
        # It lists the dialplan a real Asterisk would need, for `doctor`.
        options=SimOptions(
            prompt_s=1.5,
            dialplan=contract_dialplan(settings, settings.fastagi.host, agi_port),
        ),
    )
    await sim.start()
    rng = random.Random(7)
    endpoints = [settings.telephony.endpoint(a.id, settings.acd) for a in settings.acd.agents]
    # A demo database from before phones were part of the agents runs a version without
    # them: its offers ring PJSIP/<id>, which must answer too.
    endpoints += [f"PJSIP/{a.id}" for a in settings.acd.agents if f"PJSIP/{a.id}" not in endpoints]
    endpoints += list(settings.telephony.supervisor_endpoints.values())
    for phone in agent_phones(endpoints, rng):
        sim.add_phone(phone)
    server = AMIServerSettings(
        name="sim",
        host="127.0.0.1",
        port=sim.ami_port,
        username="callcenter",
        secret=SecretStr(secret),
        auth="md5",
    )
    settings = settings.model_copy(
        update={
            "asterisk": settings.asterisk.model_copy(update={"servers": [server]}),
            "fastagi": settings.fastagi.model_copy(update={"port": agi_port}),
            "ivr": settings.ivr.model_copy(
                update={
                    "flows_dir": open_hotline_flows(Path("var") / "demo-flows"),
                    "orders_file": config_dir() / "demo" / "orders.csv",
                }
            ),
        }
    )
    logins = await seed_demo(settings)
    config = write_demo_config(settings)
    known = await _known_numbers()
    tasks: list[asyncio.Task[object]] = []

    def started(service: Service) -> None:
        print_banner(banner(settings, service.backend.server.port, logins, config))
        bots = [a.id for a in settings.acd.agents[1:]]
        tasks.append(asyncio.create_task(_log_in(service, bots)))
        # No phone rings for a voicemail: the bots take theirs on their "desktop".
        service.backend.center.host.add_listener(
            VoicemailBots(
                service.backend.center,
                service.backend.context.voicemails,
                set(bots),
                random.Random(13),
                disposition=(settings.web.dispositions or ["callback-promised"])[0],
            )
        )
        callers = DemoCallers(known)
        traffic = run_demo_traffic(
            sim, load, callers, duration_s=365 * 86400.0, rng=random.Random(11)
        )
        tasks.append(asyncio.create_task(traffic))

    try:
        return await run(settings, on_started=started)
    finally:
        for task in tasks:
            task.cancel()
        await sim.close()


async def _log_in(service: Service, agents: list[str]) -> None:
    host = service.backend.center.host
    for agent in agents:

        def log_in(now: float, agent: str = agent) -> AgentLoggedIn:
            return AgentLoggedIn(now, agent, ready=True)

        try:
            await host.request(log_in)
        except AcdError as exc:  # already logged in (the log was replayed): fine
            log.info("demo.bot_not_logged_in", agent=agent, reason=str(exc))


async def _known_numbers() -> list[str]:
    plan = read_customers(config_dir() / "demo" / "customers.csv")
    return [phone for customer in plan.customers for phone in customer.phones]


async def _free_port(host: str) -> int:
    probe = await asyncio.start_server(lambda r, w: None, host, 0)
    port: int = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    return port
