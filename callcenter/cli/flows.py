"""`callcenter flows check [FILES]`: validate IVR flows and draw the valid ones as trees.

Strategy: the same loader as the service, so what the check accepts the service starts
with. Without files it checks the flows directory of the settings (`--config`) and that
every route there names a flow. Problems go to stderr, one per line with file and line;
the exit status is 1 when any flow is broken (2, as for every command, when the settings
themselves are). Valid flows are printed as trees on stdout. With `--sounds DIR` the
prompts the valid flows (and the service) play are also looked up in an Asterisk sounds
directory, per language; each missing one goes to stderr with the flow file and node that
need it, and makes the exit status 1 (`callcenter prompts build DIR` makes them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ivr_flows import FlowSet


def add_flows_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `flows check [FILES]` to the `callcenter` command's subparsers."""
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
