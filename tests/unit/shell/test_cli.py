"""The `callcenter` command as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from callcenter import __version__


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callcenter", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_version_prints_the_version() -> None:
    result = run("version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"callcenter {__version__}"


def test_config_check_reports_a_broken_file_and_exits_non_zero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("fastagi:\n  port: abc\n")
    result = run("--config", str(bad), "config", "check")
    assert result.returncode == 2
    assert f"{bad}:2: fastagi.port" in result.stderr


def test_config_check_prints_settings_without_secrets(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("asterisk:\n  servers:\n    - {name: pbx1, username: cc}\n")
    env = {**os.environ, "CALLCENTER_AMI_SECRET_PBX1": "hunter2-secret"}
    result = run("--config", str(good), "config", "check", env=env)
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout
    assert "hunter2-secret" not in result.stdout + result.stderr


def test_serve_refuses_to_start_without_the_ami_secret(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("asterisk:\n  servers:\n    - {name: pbx9, username: cc}\n")
    result = run("--config", str(cfg), "serve")
    assert result.returncode == 2
    assert "CALLCENTER_AMI_SECRET_PBX9" in result.stderr


def test_unknown_command_shows_usage() -> None:
    result = run("frobnicate")
    assert result.returncode == 2
    assert "usage: callcenter" in result.stderr
