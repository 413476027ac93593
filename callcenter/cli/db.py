"""`callcenter db upgrade`, and what every command that uses the database shares.

Strategy: each database command (`db`, `users`, `customers`) reads the settings
(`--config`, or the environment, e.g. `CALLCENTER_DATABASE__URL`), says which database it
uses (the URL with its password masked, a SQLite file's full path, and where the URL came
from: the demo's is `--config var/demo.yaml`, not the default `var/callcenter.db`),
migrates the database first (a no-op when current, so a fresh install needs no setup step),
and reports to stderr. Exit status: 0 done, 1 refused (rejected rows, a taken username, a
database that cannot be opened), 2 unusable settings or input.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from callcenter.app.settings import Settings


def add_db_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `db upgrade` to the `callcenter` command."""
    db = subparsers.add_parser("db", help="database tools")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="create or migrate the database").set_defaults(
        func=cmd_db_upgrade
    )


def command_settings(config: Path) -> Settings:
    """The settings a database command uses (exit 2 when invalid); says which database."""
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


def run_work(settings: Settings, work: Coroutine[Any, Any, int]) -> int:
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

    settings = command_settings(args.config)

    async def run() -> int:
        engine = make_engine(settings.database.url, echo=settings.database.echo)
        try:
            await upgrade(engine)
            revision = await current_revision(engine)
        finally:
            await engine.dispose()
        print(f"database at revision {revision}", file=sys.stderr)
        return 0

    return run_work(settings, run())
