"""Access to the recordings of a real Asterisk 22 in tests/fixtures/asterisk.

The fixtures are read-only truth about the protocols (never edit them: their CRLF and bare
LF bytes are what the tests check); tests read them through here so that every test finds
the same files, in the repository itself.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "asterisk"


def fixtures_root() -> Path:
    """`tests/fixtures/asterisk`: the recordings, shipped with the repository."""
    return FIXTURES


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
