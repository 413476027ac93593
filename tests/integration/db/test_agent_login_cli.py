"""`callcenter users add --role agent` says when the login has no configured agent yet."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[3] / "config" / "callcenter.yaml"


def users_add(tmp_path: Path, role: str, username: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CALLCENTER_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "CALLCENTER_CONFIG": str(CONFIG),
    }
    return subprocess.run(
        [sys.executable, "-m", "callcenter", "users", "add", "--role", role, "--password-stdin",
         username],
        input="correct horse battery\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )  # fmt: skip


def test_given_an_agent_id_not_in_the_settings_when_added_then_the_cli_says_it_takes_no_calls(
    tmp_path: Path,
) -> None:
    added = users_add(tmp_path, "agent", "agent7")

    assert added.returncode == 0, added.stderr
    assert "user agent7 added (agent)" in added.stderr
    assert "warning: no agent 'agent7' is configured" in added.stderr
    assert "acd.agents" in added.stderr
    assert "config/callcenter.yaml" in added.stderr


def test_given_a_configured_agent_id_when_added_then_the_cli_warns_of_nothing(
    tmp_path: Path,
) -> None:
    added = users_add(tmp_path, "agent", "agent1")  # in the shipped acd.agents

    assert added.returncode == 0, added.stderr
    assert "warning" not in added.stderr
