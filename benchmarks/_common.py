"""Helpers shared by the benchmark scripts: fixture location and table printing."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fixtures_dir() -> Path:
    """`tests/fixtures/asterisk`: the recordings of a real Asterisk, in the repository."""
    return ROOT / "tests" / "fixtures" / "asterisk"


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    """Print a plain aligned table (what the issue notes quote)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
