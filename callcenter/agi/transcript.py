"""Recorded FastAGI sessions as data, for replaying Asterisk's side of a call.

Strategy: the transcripts in `tests/fixtures/asterisk/agi/*.txt` have one row per
protocol line, `+<seconds> RX|TX <Python repr of the exact bytes>` (RX from Asterisk, TX
from the AGI server), and `##` notes, two of which mark the close: the server's
`half-close (write_eof) from our side` and `EOF from Asterisk`. `replay_steps()` turns a
transcript into what a fake Asterisk does in order: send these bytes, expect those, expect
the server's EOF, close. The protocol tests, the integration tests, the benchmark and a
PBX simulator all replay from here, so they agree on what the recording means.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeAlias

_ROW = re.compile(r"\+\s*(?P<seconds>[0-9]+(?:\.[0-9]+)?) (?P<kind>RX|TX|##) (?P<body>.*)")
_SERVER_HALF_CLOSE = "half-close"
_ASTERISK_EOF = "EOF from Asterisk"


@dataclass(frozen=True, slots=True)
class Row:
    """One transcript row: RX/TX with the exact bytes, or a `##` note with its text."""

    seconds: float
    kind: Literal["RX", "TX", "##"]
    data: bytes
    note: str


@dataclass(frozen=True, slots=True)
class Transcript:
    """A recorded session: its file name (without `.txt`) and rows, in order."""

    name: str
    rows: tuple[Row, ...]

    @property
    def rx(self) -> bytes:
        """Everything Asterisk sent, as one byte string (equals the `.rx.raw` file)."""
        return b"".join(row.data for row in self.rows if row.kind == "RX")

    @property
    def tx(self) -> bytes:
        """Everything the recorded server sent (equals the `.tx.raw` file)."""
        return b"".join(row.data for row in self.rows if row.kind == "TX")


@dataclass(frozen=True, slots=True)
class Send:
    """The fake Asterisk writes these bytes."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Expect:
    """The fake Asterisk reads exactly these bytes from the server."""

    data: bytes


@dataclass(frozen=True, slots=True)
class ExpectClose:
    """The server half-closes (or closes): the fake Asterisk reads EOF."""


@dataclass(frozen=True, slots=True)
class CloseOurSide:
    """The fake Asterisk closes the connection."""


Step: TypeAlias = Send | Expect | ExpectClose | CloseOurSide
"""One thing a replaying client does."""


def parse_transcript(text: str, name: str = "") -> Transcript:
    """Parse a transcript's text; raises ValueError on a row that is not in the format."""
    rows: list[Row] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _ROW.fullmatch(line)
        if match is None:
            raise ValueError(f"{name}:{number}: not a transcript row: {line!r}")
        value = ast.literal_eval(match["body"])
        kind = match["kind"]
        seconds = float(match["seconds"])
        if kind == "##":
            rows.append(Row(seconds, "##", b"", str(value)))
        elif isinstance(value, bytes):
            rows.append(Row(seconds, "RX" if kind == "RX" else "TX", value, ""))
        else:
            raise ValueError(f"{name}:{number}: {kind} row holds no bytes")
    return Transcript(name=name, rows=tuple(rows))


def load_transcript(path: Path) -> Transcript:
    """Read and parse one `.txt` transcript."""
    return parse_transcript(path.read_text(encoding="utf-8"), path.name.removesuffix(".txt"))


def replay_steps(transcript: Transcript) -> list[Step]:
    """What a fake Asterisk does to replay `transcript` against a live server, in order."""
    steps: list[Step] = []
    for row in transcript.rows:
        if row.kind == "RX":
            steps.append(Send(row.data))
        elif row.kind == "TX":
            steps.append(Expect(row.data))
        elif row.note.startswith(_SERVER_HALF_CLOSE):
            steps.append(ExpectClose())
        elif row.note == _ASTERISK_EOF:
            steps.append(CloseOurSide())
    return steps
