"""The sounds Asterisk plays in the real-Asterisk tests: the product's own prompts."""

from __future__ import annotations

from pathlib import Path


def build_sounds(target: Path) -> tuple[Path, Path]:
    """Sounds and music-on-hold folders for Asterisk's astdatadir."""
    sounds, moh = target / "sounds", target / "moh"
    sounds.mkdir(parents=True, exist_ok=True)
    moh.mkdir(parents=True, exist_ok=True)
    return sounds, moh
