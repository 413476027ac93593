"""`callcenter prompts build DIR`: make every prompt the flows and the service play.

Strategy: the flows are the ones the service runs (the settings' `ivr.flows_dir`, loaded
by the same loader); the languages are Asterisk's default and those the flows' language
nodes offer, unless `--language` names them. Each language prints a progress line, then
one summary line (N written, M kept); problems go to stderr and make the exit status 1.
`--moh DIR` also writes a music-on-hold file there.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from callcenter.sounds.synth import EXTENSION, default_jobs


def add_prompts_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add `prompts build DIR` to the `callcenter` command's subparsers."""
    prompts = subparsers.add_parser("prompts", help="the sounds the IVR and the queue play")
    prompts_sub = prompts.add_subparsers(dest="prompts_command", required=True)
    build = prompts_sub.add_parser(
        "build",
        help="make every prompt the flows and the service play, with espeak-ng and sox",
        description=(
            "Write every prompt the IVR flows and the service play, in each language, into "
            f"DIR/<language>/<name>.{EXTENSION} (8 kHz mu-law, as Asterisk looks sounds "
            "up). Sounds already there in any format Asterisk reads are kept, so recorded "
            "prompts win; the texts are callcenter/sounds/texts.yaml."
        ),
    )
    build.add_argument(
        "sounds_dir",
        type=Path,
        metavar="DIR",
        help="Asterisk's sounds directory (e.g. /var/lib/asterisk/sounds)",
    )
    build.add_argument(
        "--language",
        action="append",
        dest="languages",
        metavar="LANG",
        help="only this language (repeat for more; default: en and the flows' languages)",
    )
    build.add_argument(
        "--texts",
        type=Path,
        metavar="FILE",
        help="your own texts, laid out like texts.yaml; its entries replace the shipped ones",
    )
    build.add_argument(
        "--force",
        action="store_true",
        help=f"make existing .{EXTENSION} prompts again (recordings in other formats stay)",
    )
    build.add_argument(
        "--moh", type=Path, metavar="DIR", help="also write a music-on-hold file into DIR"
    )
    build.add_argument(
        "--jobs",
        type=int,
        default=default_jobs(),
        metavar="N",
        help="prompts made at once (default: %(default)s, one per CPU)",
    )
    build.set_defaults(func=cmd_prompts_build)


def cmd_prompts_build(args: argparse.Namespace) -> int:
    """Build the prompts; 0 when every one is in place, 1 on any problem."""
    # Imported here so that the other commands (`version`) start without the IVR.
    from callcenter.cli.flows import configured_flows  # noqa: PLC0415
    from callcenter.ivr.loader import FlowLoadError  # noqa: PLC0415
    from callcenter.sounds.build import (  # noqa: PLC0415
        BuildError,
        build_hold_music,
        build_prompts,
        progress_line,
        summary,
    )
    from callcenter.sounds.catalog import languages_of  # noqa: PLC0415
    from callcenter.sounds.texts import TextsError, load_texts  # noqa: PLC0415

    if args.jobs < 1:
        print("callcenter: --jobs must be 1 or more", file=sys.stderr)
        return 2
    try:
        texts = load_texts(args.texts)
        flows, files = configured_flows(args.config)
    except TextsError as error:
        print(f"callcenter: broken texts\n{error}", file=sys.stderr)
        return 1
    except FlowLoadError as error:
        print("callcenter: broken flows (see `callcenter flows check`)", file=sys.stderr)
        print("\n".join(error.messages), file=sys.stderr)
        return 1
    languages = args.languages or languages_of(flows)
    sounds_dir: Path = args.sounds_dir
    print(f"prompts for {', '.join(languages)} into {sounds_dir} (flows: {', '.join(flows.names)})")
    try:
        results = build_prompts(
            flows,
            sounds_dir,
            texts,
            languages,
            force=args.force,
            jobs=args.jobs,
            files=files,
            on_language=lambda result: print(progress_line(result), flush=True),
        )
        if args.moh is not None:
            path, written = build_hold_music(args.moh, force=args.force)
            print(f"music on hold: {path} {'written' if written else 'kept'}")
    except BuildError as error:
        print(f"callcenter: {error}", file=sys.stderr)
        return 1
    problems = [problem for result in results for problem in result.problems]
    for problem in problems:
        print(problem, file=sys.stderr)
    print(summary(results, sounds_dir))
    return 1 if problems else 0
