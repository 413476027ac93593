"""`callcenter db upgrade`, `callcenter customers import FILE.csv`, `callcenter users add`.

Strategy: each command reads the settings (`--config`, or the environment, e.g.
`CALLCENTER_DATABASE__URL`), migrates the database first (a no-op when current, so a fresh
install needs no setup step), and reports to stderr. Exit status: 0 done, 1 refused
(rejected rows, a taken username), 2 unusable settings. A password is read with getpass
(twice) or from stdin (`--password-stdin`, for scripts), never from the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from callcenter.settings import Settings


def add_db_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `db upgrade`, `customers import` and `users add` to the `callcenter` command."""
    db = subparsers.add_parser("db", help="database tools")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="create or migrate the database").set_defaults(
        func=cmd_db_upgrade
    )
    customers = subparsers.add_parser("customers", help="customer records")
    customers_sub = customers.add_subparsers(dest="customers_command", required=True)
    load = customers_sub.add_parser(
        "import",
        help="import customers from CSV (all or nothing)",
        description="Header: account,name,tier,language,phones,notes "
        "(phones separated by ';'; tier, language, phones, notes optional).",
    )
    load.add_argument("file", type=Path, metavar="FILE.csv")
    load.set_defaults(func=cmd_customers_import)
    users = subparsers.add_parser("users", help="users who log in")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="create a user (the password is prompted for)")
    add.add_argument("username")
    add.add_argument(
        "--role",
        choices=["agent", "supervisor", "admin"],
        required=True,
        help="an agent's username must be the id of an agent in acd.agents of the settings",
    )
    add.add_argument("--display-name", default="")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(func=cmd_users_add)


def _settings(config: Path) -> Settings:
    from callcenter.settings import SettingsError, load_settings  # noqa: PLC0415

    try:
        return load_settings(config, require_secrets=False)
    except SettingsError as error:
        print(f"callcenter: invalid settings\n{error}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Create the database or bring it to the newest schema."""
    from callcenter.db import current_revision, make_engine, upgrade  # noqa: PLC0415

    settings = _settings(args.config)

    async def run() -> str | None:
        engine = make_engine(settings.database.url, echo=settings.database.echo)
        try:
            await upgrade(engine)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    print(f"database at revision {asyncio.run(run())}", file=sys.stderr)
    return 0


def cmd_customers_import(args: argparse.Namespace) -> int:
    """Import a customers CSV file; any rejected row means nothing is imported."""
    from callcenter.db_import import import_customers  # noqa: PLC0415

    settings = _settings(args.config)
    return asyncio.run(import_customers(settings, args.file))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        print("callcenter: the passwords differ", file=sys.stderr)
        raise SystemExit(1)
    return first


def cmd_users_add(args: argparse.Namespace) -> int:
    """Create a user with a role; the password never appears on the command line."""
    from callcenter.agent_logins import unconfigured_agent  # noqa: PLC0415
    from callcenter.db import (  # noqa: PLC0415
        UserError,
        UserRepository,
        make_engine,
        make_sessions,
        upgrade,
    )

    settings = _settings(args.config)
    password = _password(args.password_stdin)

    async def run() -> int:
        engine = make_engine(settings.database.url, echo=settings.database.echo)
        try:
            await upgrade(engine)
            users = UserRepository(make_sessions(engine))
            user = await users.add(
                args.username, password, args.role, display_name=args.display_name
            )
        except UserError as error:
            print(f"callcenter: {error}", file=sys.stderr)
            return 1
        finally:
            await engine.dispose()
        print(f"user {user.username} added ({user.role.value})", file=sys.stderr)
        warning = unconfigured_agent(user.username, user.role.value, settings.acd)
        if warning is not None:
            print(f"callcenter: warning: {warning}", file=sys.stderr)
        return 0

    return asyncio.run(run())
