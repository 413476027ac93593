"""`callcenter config check|export|import`: the settings file, and the configuration
stored as versions in the database.

Strategy: `check` validates the settings file and prints it (secrets hidden). The center's
configuration is data (`callcenter.db.config_versions`): `export` writes the newest
stored version as YAML in the settings file's shape (an `acd:` section holding the ACD's
keys and the center's: dialled numbers, calendars, dispositions ...; the file's own `acd`
section can be imported as it is, and the center's keys it lacks keep their values), and
`import` stores a file as a new version, all or nothing: every problem is printed as
`FILE:LINE: acd.<key path>: <problem>` and nothing is stored (exit 1). A database that
holds no version yet is first seeded from the settings file as version 1, exactly as the
service's first start would. `import`
only stores: a running service keeps its configuration until it restarts (a change made
on the admin page or through `PUT /api/config/acd` is applied live).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from callcenter.cli.db import command_settings, run_work

SECTION = "acd"


def add_config_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `config check`, `config export` and `config import` to the `callcenter` command."""
    config = subparsers.add_parser("config", help="settings tools")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    config_sub.add_parser("check", help="validate the settings").set_defaults(func=cmd_config_check)
    export = config_sub.add_parser(
        "export", help="write the ACD configuration in force (the newest version) as YAML"
    )
    export.add_argument(
        "file", nargs="?", default="-", help="where to write it (default -: stdout)"
    )
    export.set_defaults(func=cmd_config_export)
    imp = config_sub.add_parser(
        "import",
        help="store a YAML file's acd section as a new version (all or nothing; a running "
        "service uses it from its next start)",
    )
    imp.add_argument("file", type=Path, help="YAML with an acd: section (as export writes)")
    imp.add_argument("--comment", default="", help="why: stored with the version")
    imp.add_argument("--author", default=None, help="who (default: the name you are logged in as)")
    imp.set_defaults(func=cmd_config_import)


def cmd_config_check(args: argparse.Namespace) -> int:
    """Validate the settings file and print the effective settings (secrets hidden)."""
    from callcenter.app.settings import SettingsError, load_settings  # noqa: PLC0415

    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"callcenter: invalid settings\n{exc}", file=sys.stderr)
        return 2
    print(f"{args.config}: valid")
    print(settings.model_dump_json(indent=2))
    return 0


def cmd_config_export(args: argparse.Namespace) -> int:
    """Write the newest stored ACD configuration as YAML (to a file, or `-` for stdout)."""
    import yaml  # noqa: PLC0415

    from callcenter.app.center_config import seed_from_files  # noqa: PLC0415
    from callcenter.db import (  # noqa: PLC0415
        ConfigVersions,
        StoredVersion,
        make_engine,
        make_sessions,
        upgrade,
    )

    settings = command_settings(args.config)
    found: list[StoredVersion] = []

    async def run() -> int:
        engine = make_engine(settings.database.url, echo=settings.database.echo)
        try:
            await upgrade(engine)
            found.append(
                await ConfigVersions(make_sessions(engine)).seed(seed_from_files(settings))
            )
        finally:
            await engine.dispose()
        return 0

    status = run_work(settings, run())
    if status != 0:
        return status
    current = found[0]
    header = (
        f"# The configuration, version {current.version} of the database "
        f"({current.author}, {current.created_at:%Y-%m-%d %H:%M} UTC"
        + (f": {_one_line(current.comment)}" if current.comment else "")
        + ").\n# Store an edited copy with: callcenter config import FILE --comment '...'\n"
    )
    text = header + yaml.safe_dump({SECTION: current.document}, sort_keys=False, allow_unicode=True)
    if args.file == "-":
        sys.stdout.write(text)
        return 0
    try:
        Path(args.file).write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"callcenter: cannot write {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"version {current.version} written to {args.file}", file=sys.stderr)
    return 0


def _one_line(text: str) -> str:
    return " ".join(text.split())


def cmd_config_import(args: argparse.Namespace) -> int:
    """Store a file's `acd` section as a new version; every problem by key, or nothing."""
    from callcenter.app.center_config import seed_from_files  # noqa: PLC0415
    from callcenter.db import (  # noqa: PLC0415
        ConfigInvalid,
        ConfigVersions,
        make_engine,
        make_sessions,
        upgrade,
    )

    settings = command_settings(args.config)
    read = _read_section(args.file)
    if isinstance(read, list):
        for line in read:
            print(line, file=sys.stderr)
        return 1
    section, root = read
    author = args.author or _login_name()

    async def run() -> int:
        engine = make_engine(settings.database.url, echo=settings.database.echo)
        try:
            await upgrade(engine)
            versions = ConfigVersions(make_sessions(engine))
            before = await versions.seed(seed_from_files(settings))
            try:
                stored = await versions.save(section, author, args.comment)
            except ConfigInvalid as exc:
                for problem in exc.problems:
                    line = _line(root, (SECTION, *problem.loc))
                    where = f"{args.file}:{line}" if line is not None else str(args.file)
                    key = f"{SECTION}.{problem.key}" if problem.loc else SECTION
                    print(f"{where}: {key}: {problem.message}", file=sys.stderr)
                print(
                    f"callcenter: {args.file}: {len(exc.problems)} problem(s); nothing stored, "
                    f"version {before.version} stays in force",
                    file=sys.stderr,
                )
                return 1
            except ValueError as exc:  # the author or comment
                print(f"callcenter: {exc}", file=sys.stderr)
                return 1
        finally:
            await engine.dispose()
        if stored.version == before.version:
            print(f"no change: version {stored.version} already holds this configuration")
            return 0
        print(f"version {stored.version} stored ({stored.author}): {stored.summary}")
        print(
            "a running service uses it from its next start; a change made on the admin page "
            "is applied at once",
            file=sys.stderr,
        )
        return 0

    return run_work(settings, run())


def _login_name() -> str:
    try:
        return getpass.getuser()[:64] or "cli"
    except (KeyError, OSError):
        return "cli"


def _read_section(path: Path) -> tuple[Any, Any] | list[str]:
    """The file's `acd` section and its YAML node tree, or the problems, one a line."""
    import yaml  # noqa: PLC0415

    from callcenter.app.settings import Settings  # noqa: PLC0415

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        return [f"callcenter: cannot read {path}: {reason}"]
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        return [f"{where}: not valid YAML: {problem}"]
    if not isinstance(data, dict) or SECTION not in data:
        return [
            f"{path}:1: {SECTION}: the file needs an `{SECTION}:` section "
            "(as `callcenter config export` writes it)"
        ]
    others = sorted(str(key) for key in data if key != SECTION)
    unknown = [key for key in others if key not in Settings.model_fields]
    if unknown:
        return [f"{path}:{_line(root, (key,))}: {key}: not a settings section" for key in unknown]
    if others:
        print(
            f"{path}: not imported: {', '.join(others)} (read from the settings file at start)",
            file=sys.stderr,
        )
    return data[SECTION], root


def _line(root: Any, loc: tuple[int | str, ...]) -> int | None:
    from callcenter.app.settings import line_of  # noqa: PLC0415

    return line_of(root, loc)
