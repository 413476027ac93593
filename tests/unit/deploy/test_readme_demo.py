"""The README's demo instructions work on a stock Debian and say how to move the ports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from callcenter.app.settings import load_settings

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DEMO_COMMAND = "python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/callcenter demo"


def _after_demo_command(characters: int) -> str:
    start = README.index(DEMO_COMMAND)
    return README[start : start + characters]


def test_next_to_the_demo_command_the_readme_says_debian_needs_python3_venv() -> None:
    nearby = _after_demo_command(600)
    assert "python3-venv" in nearby
    assert "apt-get install python3-venv" in nearby


def test_the_readme_moves_the_demo_ports_with_variables_the_service_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    command = next(
        line
        for line in _after_demo_command(1200).splitlines()
        if line.endswith("callcenter demo") and "CALLCENTER_" in line
    )
    assignments = dict(re.findall(r"(CALLCENTER_\w+)=(\S+)", command))
    assert {"CALLCENTER_WEB__PORT", "CALLCENTER_FASTAGI__PORT"} <= set(assignments)
    for name, value in assignments.items():
        monkeypatch.setenv(name, value)

    settings = load_settings(ROOT / "config" / "callcenter.yaml", require_secrets=False)

    assert settings.web.port == int(assignments["CALLCENTER_WEB__PORT"]) != 8080
    # The demo takes a free port for FastAGI when the setting is 0 (callcenter.demo.run.run_demo).
    assert settings.fastagi.port == int(assignments["CALLCENTER_FASTAGI__PORT"]) != 4573
