"""`callcenter customers import`: check the whole file, then write it in one transaction.

Strategy: `callcenter.db.customer_import` reads and checks the file; this module asks the
database which accounts and numbers are taken, prints the report (`line N: reason` per
rejected row, to stderr) and, only when no row is rejected, stores every customer in one
transaction behind a tqdm progress bar, so an interrupted or failed import leaves nothing
behind.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from callcenter.app.settings import Settings
from callcenter.cli.db import command_settings, run_work
from callcenter.db import CustomerRepository, make_engine, make_sessions, upgrade
from callcenter.db.customer_import import check_taken, read_customers


def add_customers_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add `customers import FILE.csv` to the `callcenter` command."""
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


def cmd_customers_import(args: argparse.Namespace) -> int:
    """Import a customers CSV file; any rejected row means nothing is imported."""
    settings = command_settings(args.config)
    return run_work(settings, import_customers(settings, args.file))


async def import_customers(settings: Settings, path: Path) -> int:
    """Import `path`; the exit status (0 imported, 1 rejected rows or unreadable file)."""
    try:
        plan = read_customers(path, region=settings.cti.default_region)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"callcenter: cannot read {path}: {exc}", file=sys.stderr)
        return 1
    engine = make_engine(settings.database.url, echo=settings.database.echo)
    try:
        await upgrade(engine)
        customers = CustomerRepository(make_sessions(engine), region=settings.cti.default_region)
        if plan.customers:
            accounts = await customers.existing_accounts(c.account for c in plan.customers)
            numbers = await customers.existing_numbers(p for c in plan.customers for p in c.phones)
            check_taken(plan, accounts, numbers)
        if plan.rejected:
            for line, reason in plan.rejected:
                print(f"{path}: line {line}: {reason}", file=sys.stderr)
            count = len(plan.rejected)
            print(
                f"{count} row{'s' if count != 1 else ''} rejected; nothing was imported",
                file=sys.stderr,
            )
            return 1
        with tqdm(
            total=len(plan.customers), unit="customers", file=sys.stderr, desc="importing"
        ) as bar:
            await customers.add_many(plan.customers, on_progress=bar.update)
    finally:
        await engine.dispose()
    print(f"{len(plan.customers)} customers imported from {path}", file=sys.stderr)
    return 0
