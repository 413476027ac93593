"""`callcenter users add`: a login with a role, its password never on the command line.

Strategy: the password is read with getpass (twice) when stdin is a terminal, or from
stdin with `--password-stdin` (for scripts and `docker compose exec -T`); without a
terminal and without that flag the command says how to pass it instead of hanging. An
agent's login whose username is no agent of the ACD configuration in force (the newest
version in the database) is created with a warning, since it could not take calls.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from callcenter.cli.db import command_settings, run_work


def add_users_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `users add` to the `callcenter` command."""
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
    from callcenter.app.center_config import seed_from_files  # noqa: PLC0415
    from callcenter.db import (  # noqa: PLC0415
        ConfigVersions,
        UserError,
        UserRepository,
        make_engine,
        make_sessions,
        upgrade,
    )
    from callcenter.db.agent_logins import unconfigured_agent  # noqa: PLC0415

    settings = command_settings(args.config)
    password = _password(args.password_stdin)

    async def run() -> int:
        engine = make_engine(settings.database.url, echo=settings.database.echo)
        try:
            await upgrade(engine)
            sessions = make_sessions(engine)
            users = UserRepository(sessions)
            user = await users.add(
                args.username, password, args.role, display_name=args.display_name
            )
            # The agents in force are the stored configuration's, not the file's.
            acd = (await ConfigVersions(sessions).seed(seed_from_files(settings))).settings
        except UserError as error:
            print(f"callcenter: {error}", file=sys.stderr)
            return 1
        finally:
            await engine.dispose()
        print(f"user {user.username} added ({user.role.value})", file=sys.stderr)
        warning = unconfigured_agent(user.username, user.role.value, acd)
        if warning is not None:
            print(f"callcenter: warning: {warning}", file=sys.stderr)
        return 0

    return run_work(settings, run())
