"""Where the shipped data lives: the repository's `config/` or the wheel's copy of it."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # the callcenter package
_REPO = _PACKAGE.parent


def config_dir() -> Path:
    """The shipped `config/` directory (inside the wheel, or at the top of a checkout)."""
    packaged = _PACKAGE / "_data" / "config"
    return packaged if packaged.is_dir() else _REPO / "config"


def ui_dir() -> Path:
    """The agent desktop and wallboard pages (`agents_ui/`, or the wheel's copy)."""
    packaged = _PACKAGE / "_data" / "agents_ui"
    return packaged if packaged.is_dir() else _REPO / "agents_ui"


def default_config_file() -> Path:
    """$CALLCENTER_CONFIG, else ./config/callcenter.yaml if present, else the shipped one."""
    env = os.environ.get("CALLCENTER_CONFIG")
    if env:
        return Path(env)
    local = Path.cwd() / "config" / "callcenter.yaml"
    return local if local.is_file() else config_dir() / "callcenter.yaml"
