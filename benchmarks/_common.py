"""Helpers shared by the benchmark scripts: fixture location and table printing."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fixtures_dir() -> Path:
    """`../shared/fixtures/asterisk` beside the project, or $CALLCENTER_FIXTURES."""
    env = os.environ.get("CALLCENTER_FIXTURES")
    return Path(env) if env else ROOT.parent / "shared" / "fixtures" / "asterisk"


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    """Print a plain aligned table (what the issue notes quote)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
