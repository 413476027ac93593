"""Access to the recordings of a real Asterisk 22 in ../shared/fixtures/asterisk.

The fixtures are read-only truth about the protocols; tests read them through here so that
`CALLCENTER_FIXTURES` can point elsewhere and every test finds the same files.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path


def fixtures_root() -> Path:
    """`../shared/fixtures/asterisk` beside the checkout, or $CALLCENTER_FIXTURES."""
    env = os.environ.get("CALLCENTER_FIXTURES")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "asterisk"


@dataclass(frozen=True)
class Row:
    """One row of a `.timeline.txt` / AGI `.txt` transcript."""

    seconds: float
    direction: str  # "RX" (from Asterisk), "TX" (to Asterisk) or "##" (a note)
    data: bytes
    note: str = ""


def read_transcript(path: Path) -> list[Row]:
    """Parse `+<seconds> RX|TX <python bytes repr>` rows (and `##` notes)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("+"):
            continue
        stamp, rest = line[1:].strip().split(" ", 1)
        direction, _, payload = rest.partition(" ")
        if direction == "##":
            rows.append(Row(float(stamp), direction, b"", payload))
        else:
            value = ast.literal_eval(payload)
            assert isinstance(value, bytes), f"{path}: row payload is not bytes: {line[:60]}"
            rows.append(Row(float(stamp), direction, value))
    return rows


def ami_streams() -> list[Path]:
    """Every raw AMI stream recorded from Asterisk (`ami-*.txt`, not sent/timeline/counts)."""
    skip = (".sent.txt", ".timeline.txt", ".counts.txt")
    return sorted(
        p for p in (fixtures_root() / "ami").glob("ami-*.txt") if not p.name.endswith(skip)
    )


def ami_sent() -> list[Path]:
    """Every `.sent.txt` file: the exact action bytes a client sent to Asterisk."""
    return sorted((fixtures_root() / "ami").glob("ami-*.sent.txt"))
