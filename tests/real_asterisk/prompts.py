"""The sounds Asterisk plays in the real-Asterisk tests: the product's own prompts.

`callcenter prompts build` makes them (espeak-ng and sox), as the compose deployment
does, and `--moh` adds the hold music, so the real Asterisk plays every prompt the
flows name and the music callers hear while they wait.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def build_sounds(target: Path) -> tuple[Path, Path]:
    """Sounds and music-on-hold folders for Asterisk's astdatadir, made by the product."""
    sounds, moh = target / "sounds", target / "moh"
    done = subprocess.run(
        [sys.executable, "-m", "callcenter", "prompts", "build", str(sounds), "--moh", str(moh)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        why = f"callcenter prompts build failed: {done.stderr.strip()[-500:]}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(why)
        pytest.skip(why)
    return sounds, moh


def seconds(sounds: Path, language: str, *names: str) -> float:
    """How long Asterisk takes to play `names` one after another (8,000 mu-law bytes a
    second), so a caller can press a key while a given prompt plays."""
    total = 0.0
    for name in names:
        for folder in (sounds / language, sounds / "en"):
            path = folder / f"{name}.ulaw"
            if path.exists():
                total += path.stat().st_size / 8000
                break
        else:
            raise FileNotFoundError(f"no prompt {name} in {sounds}")
    return total


def digits(number: str) -> tuple[str, ...]:
    """The sounds SAY DIGITS plays for `number`."""
    return tuple(f"digits/{d}" for d in number if d.isdigit())
