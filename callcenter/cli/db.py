"""`callcenter db upgrade`, `callcenter customers import FILE.csv`, `callcenter users add`.

Strategy: each command reads the settings (`--config`, or the environment, e.g.
`CALLCENTER_DATABASE__URL`), says which database it uses (the URL with its password
masked, a SQLite file's full path, and where the URL came from: the demo's is `--config
var/demo.yaml`, not the default `var/callcenter.db`), migrates the database first (a no-op
when current, so a fresh install needs no setup step), and reports to stderr. Exit status:
0 done, 1 refused (rejected rows, a taken username, a database that cannot be opened), 2
unusable settings or input. A password is read with getpass (twice) when stdin is a
terminal, or from stdin with `--password-stdin` (for scripts and `docker compose exec
-T`), never from the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from callcenter.app.settings import Settings


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
    add = users_sub.add_parser(
        "add", help="create a user (the password is prompted for, or read with --password-stdin)"
    )
    add.add_argument("username")
    add.add_argument(
        "--role",
        choices=["agent", "supervisor", "admin"],
        required=True,
        help="an agent's username must be the id of an agent in acd.agents of the settings",
    )
    add.add_argument("--display-name", default="")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (no terminal needed, e.g. "
        "printf '%%s\\n' \"$PW\" | docker compose exec -T backend callcenter users add ...)",
    )
    add.set_defaults(func=cmd_users_add)


def _settings(config: Path) -> Settings:
    from callcenter.app.settings import SettingsError, load_settings  # noqa: PLC0415

    try:
        settings = load_settings(config, require_secrets=False)
    except SettingsError as error:
        print(f"callcenter: invalid settings\n{error}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"database: {describe_database(settings, config)}", file=sys.stderr)
    return settings


def describe_database(settings: Settings, config: Path) -> str:
    """Which database a command uses and why: the URL (password masked), a SQLite file's
    full path, and whether the URL came from the environment or the settings file."""
    env = "CALLCENTER_DATABASE__URL"
    source = f"from {env}" if env in os.environ else f"database.url in {config}"
    shown = settings.database.shown_url
    for prefix in ("sqlite+aiosqlite:///", "sqlite:///"):
        if shown.startswith(prefix):
            return f"{shown} (the file {Path(shown.removeprefix(prefix)).resolve()}; {source})"
    return f"{shown} ({source})"


def _run(settings: Settings, work: Coroutine[Any, Any, int]) -> int:
    """Run a command's database work; a database that cannot be opened is a clear error."""
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    try:
        return asyncio.run(work)
    except (OSError, SQLAlchemyError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        print(
            f"callcenter: cannot use the database {settings.database.shown_url}: {first}",
            file=sys.stderr,
        )
        return 1


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Create the database or bring it to the newest schema."""
    from callcenter.db import current_revision, make_engine, upgrade  # noqa: PLC0415

    settings = _settings(args.config)

    async def run() -> int:
        engine = make_engine(settings.database.url, echo=settings.database.echo)
        try:
            await upgrade(engine)
            revision = await current_revision(engine)
        finally:
            await engine.dispose()
        print(f"database at revision {revision}", file=sys.stderr)
        return 0

    return _run(settings, run())


def cmd_customers_import(args: argparse.Namespace) -> int:
    """Import a customers CSV file; any rejected row means nothing is imported."""
    from callcenter.cli.customers import import_customers  # noqa: PLC0415

    settings = _settings(args.config)
    return _run(settings, import_customers(settings, args.file))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            print("callcenter: --password-stdin: stdin held no password", file=sys.stderr)
            raise SystemExit(2)
        return password
    if not sys.stdin.isatty():
        # getpass would fall back to reading stdin with a warning, and crash on its end.
        print(
            "callcenter: no terminal to ask for the password (docker compose exec -T, a pipe, "
            "a script); pass it on stdin with --password-stdin, e.g.\n"
            "  printf '%s\\n' \"$PASSWORD\" | docker compose exec -T backend "
            "callcenter users add --password-stdin --role agent agent7",
            file=sys.stderr,
        )
        raise SystemExit(2)
    try:
        first = getpass.getpass("password: ")
        again = getpass.getpass("again: ")
    except EOFError:
        print("\ncallcenter: no password given", file=sys.stderr)
        raise SystemExit(2) from None
    if again != first:
        print("callcenter: the passwords differ", file=sys.stderr)
        raise SystemExit(1)
    return first


def cmd_users_add(args: argparse.Namespace) -> int:
    """Create a user with a role; the password never appears on the command line."""
    from callcenter.db import (  # noqa: PLC0415
        UserError,
        UserRepository,
        make_engine,
        make_sessions,
        upgrade,
    )
    from callcenter.db.agent_logins import unconfigured_agent  # noqa: PLC0415

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

    return _run(settings, run())
