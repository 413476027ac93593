"""`callcenter demo`: the whole service on the embedded default, with people to log in as.

Strategy: the demo runs the shipped settings on a SQLite file of its own (`var/demo.db`,
so it never touches a real database), seeds it once (a login for every configured agent,
a supervisor and an admin, and the demo customers of `config/demo/customers.csv`; seeding
again adds only what is missing), prints where to open the pages and how to log in, then
serves until interrupted. Demo passwords are printed on purpose: they are for a laptop,
and the banner says so.
"""

from __future__ import annotations

import sys

from argon2 import PasswordHasher

from callcenter.customer_import import read_customers
from callcenter.db import CustomerRepository, UserRepository, make_engine, make_sessions, upgrade
from callcenter.paths import config_dir
from callcenter.settings import Settings

DEMO_DB = "sqlite+aiosqlite:///var/demo.db"
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


def banner(settings: Settings, port: int, logins: list[str]) -> str:
    """What the demo prints once it is up."""
    url = f"http://{settings.web.host}:{port}"
    return "\n".join(
        [
            "",
            "callcenter demo is running (demo passwords below are for this laptop only)",
            f"  agent desktop  {url}/agent",
            f"  wallboard      {url}/wallboard",
            f"  reports        {url}/reports",
            f"  admin          {url}/admin",
            f"  API            {url}/api/openapi.json",
            "logins:",
            *logins,
            "Press Ctrl-C to stop.",
            "",
        ]
    )


def print_banner(text: str) -> None:
    """Print the banner where a person running the demo sees it."""
    print(text, file=sys.stderr, flush=True)


async def run_demo(settings: Settings) -> int:
    """Seed the demo database, then serve it, printing the banner once the web is up."""
    from callcenter.service import run  # noqa: PLC0415 - the service imports the web stack

    settings = demo_settings(settings)
    logins = await seed_demo(settings)
    return await run(
        settings,
        on_started=lambda service: print_banner(
            banner(settings, service.backend.server.port, logins)
        ),
    )
