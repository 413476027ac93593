"""The `callcenter` command: serve, demo, doctor, version; the command groups (config,
flows, prompts, db, customers, users) are in their own modules."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from callcenter import __version__
from callcenter.app.paths import default_config_file
from callcenter.app.settings import Settings, SettingsError, load_settings
from callcenter.cli.config import add_config_commands
from callcenter.cli.customers import add_customers_commands
from callcenter.cli.db import add_db_commands, describe_database
from callcenter.cli.flows import add_flows_commands
from callcenter.cli.prompts import add_prompts_commands
from callcenter.cli.users import add_users_commands


def _load(path: Path, *, require_secrets: bool = True) -> Settings:
    try:
        return load_settings(path, require_secrets=require_secrets)
    except SettingsError as exc:
        print(f"callcenter: invalid settings\n{exc}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_serve(args: argparse.Namespace, *, require_secrets: bool = True) -> int:
    """Run the service against the settings file until interrupted."""
    from callcenter.app.logsetup import configure_logging  # noqa: PLC0415
    from callcenter.app.service import run  # noqa: PLC0415  (keep `version` light)

    settings = _load(args.config, require_secrets=require_secrets)
    configure_logging(settings.service.log_level, settings.service.log_format)
    print(f"callcenter {__version__}: settings from {args.config}", file=sys.stderr)
    print(f"database: {describe_database(settings, args.config)}", file=sys.stderr)
    return asyncio.run(run(settings))


def cmd_demo(args: argparse.Namespace) -> int:
    """The demo: the service on the shipped settings and a demo database (see README)."""
    from callcenter.app.logsetup import configure_logging  # noqa: PLC0415
    from callcenter.demo.run import run_demo  # noqa: PLC0415

    settings = _load(args.config, require_secrets=False)
    configure_logging(settings.service.log_level, settings.service.log_format)
    print(f"callcenter {__version__} demo: settings from {args.config}", file=sys.stderr)
    return asyncio.run(run_demo(settings, calls_per_minute=args.calls_per_minute, peaks=args.peaks))


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check a running installation; print each problem with its fix. 0 healthy, 1 not."""
    from callcenter.doctor.checks import diagnose, report  # noqa: PLC0415

    settings = _load(args.config, require_secrets=False)
    findings = asyncio.run(diagnose(settings, timeout=args.timeout))
    print(report(findings))
    return 0 if all(f.ok for f in findings) else 1


def cmd_version(_args: argparse.Namespace) -> int:
    """Print the version."""
    print(f"callcenter {__version__}")
    return 0


CONFIG_HELP = "settings file (default: $CALLCENTER_CONFIG or config/callcenter.yaml)"


def _config_after_subcommands(parser: argparse.ArgumentParser) -> None:
    """Accept `--config` after any (sub)command too: `callcenter users add --config X ...`.

    Each subparser gets the option with a suppressed default, so that it sets the value
    only when given there and never hides one given before the subcommand.
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=CONFIG_HELP)
                _config_after_subcommands(sub)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests)."""
    parser = argparse.ArgumentParser(prog="callcenter", description=__doc__)
    parser.add_argument("--config", type=Path, default=None, help=CONFIG_HELP)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the service").set_defaults(func=cmd_serve)
    demo = sub.add_parser("demo", help="run the demo: the service driven by the PBX simulator")
    demo.add_argument(
        "--calls-per-minute",
        type=float,
        default=None,
        help="new calls a minute on a normal day (default 0.6, which the five simulated "
        "agents serve on target; 6 keeps every queue red)",
    )
    demo.add_argument(
        "--peaks",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a busy spell now and then: 4 minutes at 2.5 times the rate every half hour",
    )
    demo.set_defaults(func=cmd_demo)
    doctor = sub.add_parser(
        "doctor", help="check Asterisk (AMI, dialplan, phones), FastAGI and the database"
    )
    doctor.add_argument("--timeout", type=float, default=5.0, help="seconds per check")
    doctor.set_defaults(func=cmd_doctor)
    sub.add_parser("version", help="print the version").set_defaults(func=cmd_version)
    add_config_commands(sub)
    add_flows_commands(sub)
    add_prompts_commands(sub)
    add_db_commands(sub)
    add_customers_commands(sub)
    add_users_commands(sub)
    _config_after_subcommands(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `callcenter` console script."""
    args = build_parser().parse_args(argv)
    if args.config is None:
        args.config = default_config_file()
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
