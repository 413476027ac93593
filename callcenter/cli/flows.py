"""`callcenter flows check|import|export`: validate IVR flows and draw the valid ones as
trees; store flow files as versions in the database, or write the active versions out.

Strategy: the same loader as the service, so what the check accepts the service starts
with. Without files it checks the flows directory of the settings (`--config`) and that
every route there names a flow. Problems go to stderr, one per line with file and line;
the exit status is 1 when any flow is broken (2, as for every command, when the settings
themselves are). Valid flows are printed as trees on stdout. With `--sounds DIR` the
prompts the valid flows (and the service) play are also looked up in an Asterisk sounds
directory, per language; each missing one goes to stderr with the flow file and node that
need it, and makes the exit status 1 (`callcenter prompts build DIR` makes them).

The service runs the flows stored in the database (`callcenter.db.flow_versions`; the
files of `ivr.flows_dir` only seed a fresh database). `import [FILES]` stores the files
(default: those of `flows_dir`) that differ from their flow's active version as new
versions, checked with the other stored flows exactly as `check` checks files, all or
nothing (each problem printed as `check` prints it; exit 1). A running service takes them
at its next start (the flows page and `PUT /api/flows/<name>` change them live).
`export DIR` writes each flow's active version as `DIR/<flow>.yaml`, as it was uploaded.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from callcenter.app.settings import Settings
    from callcenter.db.flow_versions import StoredFlow
    from callcenter.ivr.catalog import FlowCatalog
    from ivr_flows import FlowSet


def add_flows_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `flows check [FILES]`, `flows import [FILES]` and `flows export DIR` to the
    `callcenter` command's subparsers."""
    flows = subparsers.add_parser("flows", help="IVR flow tools")
    flows_sub = flows.add_subparsers(dest="flows_command", required=True)
    check = flows_sub.add_parser(
        "check", help="validate IVR flows and print each valid flow as a tree"
    )
    check.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="flow files (default: the flows directory named in the settings)",
    )
    check.add_argument(
        "--sounds",
        type=Path,
        metavar="DIR",
        help="also report the prompts missing from this Asterisk sounds directory",
    )
    check.set_defaults(func=cmd_flows_check)
    imp = flows_sub.add_parser(
        "import",
        help="store flow files that differ from the active versions as new versions "
        "(checked as check does; all or nothing)",
    )
    imp.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="flow files (default: the flows directory named in the settings)",
    )
    imp.add_argument("--comment", default="", help="why: stored with the versions")
    imp.add_argument("--author", default=None, help="who (default: the name you are logged in as)")
    imp.set_defaults(func=cmd_flows_import)
    export = flows_sub.add_parser(
        "export", help="write the active version of every stored flow as DIR/<flow>.yaml"
    )
    export.add_argument("directory", type=Path, metavar="DIR", help="where to write the files")
    export.set_defaults(func=cmd_flows_export)


def cmd_flows_check(args: argparse.Namespace) -> int:
    """Check the flows; print problems (exit 1) or the trees of the valid flows (exit 0)."""
    # Imported here so that the other commands (`version`) start without the IVR.
    from callcenter.ivr.loader import FlowLoadError, load_flow_files  # noqa: PLC0415
    from ivr_flows import flow_tree  # noqa: PLC0415

    files: list[Path] = args.files
    try:
        if files:
            flows = load_flow_files(files)
            shown = [path.stem for path in files]
            # Sub-flows were read from beside the files that call them.
            paths = {name: str(files[0].parent / f"{name}.yaml") for name in flows.names}
            paths.update({path.stem: str(path) for path in files})
        else:
            flows, paths = configured_flows(args.config)
            shown = list(flows.names)
    except FlowLoadError as error:
        count = len(error.messages)
        print("callcenter: broken flows", file=sys.stderr)
        for message in error.messages:
            print(message, file=sys.stderr)
        print(f"{count} problem{'s' if count != 1 else ''}; nothing was loaded", file=sys.stderr)
        return 1
    for name in shown:
        print("\n".join(flow_tree(flows[name])))
        print()
    print(f"{len(shown)} flow{'s' if len(shown) != 1 else ''} valid")
    if args.sounds is not None:
        return _check_sounds(flows, args.sounds, paths)
    return 0


def configured_flows(config: Path) -> tuple[FlowSet, dict[str, str]]:
    """The flows the settings at `config` run, and each flow's file; exits 2 on bad settings.

    Raises FlowLoadError when a flow is broken or a route names a missing one.
    """
    from callcenter.app.settings import SettingsError, load_settings  # noqa: PLC0415
    from callcenter.ivr.loader import FLOW_SUFFIX, FlowLibrary  # noqa: PLC0415

    try:
        settings = load_settings(config, require_secrets=False)
    except SettingsError as error:
        print(f"callcenter: invalid settings\n{error}", file=sys.stderr)
        raise SystemExit(2) from None
    flows = FlowLibrary(settings.ivr).flows
    folder = settings.ivr.flows_dir
    return flows, {name: str(folder / f"{name}{FLOW_SUFFIX}") for name in flows.names}


def _check_sounds(flows: FlowSet, sounds_dir: Path, paths: dict[str, str]) -> int:
    from callcenter.sounds.catalog import describe, languages_of, missing_sounds  # noqa: PLC0415

    languages = languages_of(flows)
    missing = missing_sounds(flows, sounds_dir, languages, paths)
    if not missing:
        print(f"every prompt is in {sounds_dir} for {', '.join(languages)}")
        return 0
    count = sum(len(sounds) for sounds in missing.values())
    noun = "prompt" if count == 1 else "prompts"
    print(f"callcenter: {count} {noun} missing from {sounds_dir}", file=sys.stderr)
    for language, sounds in missing.items():
        for sound, places in sounds.items():
            print(f"{language}: {sound}: needed by {describe(places)}", file=sys.stderr)
    print(f"make them with: callcenter prompts build {sounds_dir}", file=sys.stderr)
    return 1


def _stored_flows(config: Path) -> tuple[Settings, FlowCatalog, AsyncEngine]:
    """The settings, a catalog over the database and its engine (the caller upgrades the
    schema and seeds it, as the service's first start would, and disposes of it); exits
    2 on bad settings."""
    from callcenter.cli.db import command_settings  # noqa: PLC0415
    from callcenter.db import make_engine, make_sessions  # noqa: PLC0415
    from callcenter.db.flow_versions import FlowVersions  # noqa: PLC0415
    from callcenter.ivr.catalog import FlowCatalog  # noqa: PLC0415
    from callcenter.ivr.loader import FlowLibrary  # noqa: PLC0415
    from ivr_flows import FlowSet  # noqa: PLC0415

    settings = command_settings(config)
    engine = make_engine(settings.database.url, echo=settings.database.echo)
    library = FlowLibrary(settings.ivr, FlowSet([]))
    return settings, FlowCatalog(library, FlowVersions(make_sessions(engine))), engine


def cmd_flows_import(args: argparse.Namespace) -> int:
    """Store the flow files that changed as new versions; every problem, or nothing."""
    from callcenter.cli.config import _login_name  # noqa: PLC0415
    from callcenter.cli.db import run_work  # noqa: PLC0415
    from callcenter.db import upgrade  # noqa: PLC0415
    from callcenter.db.flow_versions import FlowConflict  # noqa: PLC0415
    from callcenter.ivr.catalog import read_flow_files  # noqa: PLC0415
    from callcenter.ivr.loader import FLOW_SUFFIX, FlowLoadError  # noqa: PLC0415

    settings, catalog, engine = _stored_flows(args.config)
    files: list[Path] = args.files
    if files:
        unreadable = []
        texts = {}
        for path in files:
            try:
                texts[path.stem] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                unreadable.append(f"{path}: cannot read the flow file: {error}")
        if unreadable:
            print("\n".join(unreadable), file=sys.stderr)
            return 1
        labels = {path.stem: str(path) for path in files}
    else:
        folder = settings.ivr.flows_dir
        texts = read_flow_files(folder)
        labels = {name: str(folder / f"{name}{FLOW_SUFFIX}") for name in texts}
    author = args.author or _login_name()
    comment = args.comment or "imported with callcenter flows import"

    async def run() -> int:
        try:
            await upgrade(engine)
            await catalog.store.seed(read_flow_files(settings.ivr.flows_dir))
            try:
                stored = await catalog.import_texts(texts, author, comment, labels)
            except FlowLoadError as error:
                print("callcenter: broken flows", file=sys.stderr)
                for message in error.messages:
                    print(message, file=sys.stderr)
                count = len(error.messages)
                print(
                    f"{count} problem{'s' if count != 1 else ''}; nothing was stored",
                    file=sys.stderr,
                )
                return 1
            except (FlowConflict, ValueError) as error:
                print(f"callcenter: {error}; nothing was stored", file=sys.stderr)
                return 1
        finally:
            await engine.dispose()
        if not stored:
            print("no change: every flow file equals its active version")
            return 0
        for version in stored:
            print(f"{version.flow}: version {version.version} stored ({version.summary})")
        print(
            "a running service takes them at its next start; the flows page changes them live",
            file=sys.stderr,
        )
        return 0

    return run_work(settings, run())


def cmd_flows_export(args: argparse.Namespace) -> int:
    """Write the active version of every stored flow as DIR/<flow>.yaml."""
    from callcenter.cli.db import run_work  # noqa: PLC0415
    from callcenter.db import upgrade  # noqa: PLC0415
    from callcenter.ivr.catalog import read_flow_files  # noqa: PLC0415
    from callcenter.ivr.loader import FLOW_SUFFIX  # noqa: PLC0415

    settings, catalog, engine = _stored_flows(args.config)
    directory: Path = args.directory
    found: list[dict[str, StoredFlow]] = []

    async def run() -> int:
        try:
            await upgrade(engine)
            found.append(await catalog.store.seed(read_flow_files(settings.ivr.flows_dir)))
        finally:
            await engine.dispose()
        return 0

    status = run_work(settings, run())
    if status != 0:
        return status
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, version in found[0].items():
            path = directory / f"{name}{FLOW_SUFFIX}"
            path.write_text(version.text, encoding="utf-8")
            print(f"{name}: version {version.version} written to {path}")
    except OSError as error:
        print(f"callcenter: cannot write to {directory}: {error.strerror}", file=sys.stderr)
        return 1
    return 0
