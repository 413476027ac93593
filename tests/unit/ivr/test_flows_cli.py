"""`callcenter flows check` as an admin runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from callcenter.app.settings import SHIPPED_FLOWS

BROKEN = Path(__file__).parent / "broken_flows"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callcenter", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_broken_flows_exit_non_zero_with_one_readable_line_per_problem() -> None:
    files = sorted(BROKEN.glob("*.yaml"))

    result = run("flows", "check", *map(str, files))

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "callcenter: broken flows"
    assert lines[-1] == f"{len(files)} problems; nothing was loaded"
    assert f"{BROKEN / 'missing_target.yaml'}:10: node 'menu': choices.3: 'complaint'" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_valid_flow_is_printed_as_a_tree() -> None:
    result = run("flows", "check", str(SHIPPED_FLOWS / "post_call_survey.yaml"))

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:4] == [
        "post_call_survey: 4 nodes, starts at intro",
        "  Three questions rated 1-5 on the keypad after a call with an agent.",
        "intro: play custom/survey-intro",
        "└── next → questions: survey satisfaction, resolved, recommend",
    ]
    assert result.stdout.endswith("1 flow valid\n")


def test_without_files_the_configured_flows_and_routes_are_checked(tmp_path: Path) -> None:
    config = tmp_path / "callcenter.yaml"
    config.write_text(f"ivr:\n  flows_dir: {SHIPPED_FLOWS}\n  dnis:\n    '300': sales\n")

    broken_route = run("--config", str(config), "flows", "check")
    config.write_text(f"ivr:\n  flows_dir: {SHIPPED_FLOWS}\n")
    valid = run("--config", str(config), "flows", "check")

    assert broken_route.returncode == 1
    assert "ivr.dnis.300: no flow 'sales'" in broken_route.stderr
    assert valid.returncode == 0, valid.stderr
    assert valid.stdout.endswith("4 flows valid\n")
    assert "main_hotline: 46 nodes, starts at check_hours" in valid.stdout


def test_invalid_settings_are_reported_as_for_every_command(tmp_path: Path) -> None:
    config = tmp_path / "callcenter.yaml"
    config.write_text("ivr:\n  timezone: Nowhere/Land\n")

    result = run("--config", str(config), "flows", "check")

    assert result.returncode == 2
    assert f"{config}:2: ivr.timezone" in result.stderr
