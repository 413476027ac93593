"""Making sound files with Debian's espeak-ng (speech) and sox (conversion, tones).

Strategy: every file is written as `.ulaw`, raw G.711 mu-law at 8 kHz mono (format_pcm.so,
which config/asterisk/modules.conf loads). It is the format of Asterisk's core sound pack
(deploy/fetch-sounds.sh), so stock and product prompts take the same path, and the codec
of the phones' calls (config/asterisk/pjsip.conf allows ulaw and alaw only): Asterisk sends
a `.ulaw` file to a ulaw call as it is, with no translation, where a `.wav` (16-bit
linear, format_wav.so) is translated on every playback, and it is half the size. The
price is that the file has no header: rate and channels are fixed by the name, so `sox`
is told them explicitly and the tests check the length against the speech. espeak-ng
speaks each piece into a WAV at its own rate; sox joins the pieces, trims the trailing
silence, resamples to 8 kHz and sets the peak to -3 dBFS. A file appears whole or not at
all (written beside its place, then renamed) and readable by the Asterisk user (0644),
so a prompt is never heard half-written. Texts go to espeak-ng on stdin, never on a
command line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

EXTENSION = "ulaw"
"""The format written: raw mu-law, 8 kHz, mono (Asterisk's format_pcm)."""

SAMPLE_RATE = 8000
"""Samples per second of every file written (one byte per sample in mu-law)."""

_Command = Callable[[str], list[str]]
"""Builds the command line that writes to the file it is given."""

_SOX_OUT = ("-t", "ul", "-r", str(SAMPLE_RATE), "-c", "1")
_TIMEOUT_S = 60.0

# espeak-ng ends each text with some 0.4 s of silence: cut it (reversed, the end is the
# start that `silence` trims) and leave 0.12 s, so that the pieces SAY NUMBER strings
# together ("twenty" "six") sound like one number; then the peak to -3 dBFS.
_SPEECH_EFFECTS = (
    "reverse", "silence", "1", "0.01", "-45d", "reverse", "pad", "0", "0.12", "gain", "-n", "-3",
)  # fmt: skip

TOOLS = {"espeak-ng": "espeak-ng", "sox": "sox"}
"""The programs needed, with the Debian package that has each."""


class SynthError(Exception):
    """A sound could not be made; the message says which program failed and why."""


@dataclass(frozen=True, slots=True)
class Voice:
    """An espeak-ng voice and its speed in words per minute."""

    name: str
    words_per_minute: int = 150


def default_jobs() -> int:
    """How many sounds are made at once: one per CPU, at most 8."""
    return max(1, min(8, os.cpu_count() or 1))


def missing_tools() -> list[str]:
    """The Debian packages to install for the programs not found on PATH."""
    return [package for program, package in TOOLS.items() if shutil.which(program) is None]


def speak(pieces: Sequence[tuple[Voice, str]], target: Path) -> None:
    """Speak the pieces one after the other into `target` (8 kHz mu-law)."""
    with tempfile.TemporaryDirectory(prefix="callcenter-prompt-") as scratch:
        wavs = []
        for index, (voice, text) in enumerate(pieces):
            wav = Path(scratch) / f"{index}.wav"
            _run(
                [
                    "espeak-ng", "-b", "1", "-v", voice.name, "-s", str(voice.words_per_minute),
                    "-w", str(wav), "--stdin",
                ],
                text,
            )  # fmt: skip
            wavs.append(str(wav))
        _write(target, lambda out: ["sox", "-V1", *wavs, *_SOX_OUT, out, *_SPEECH_EFFECTS])


def tone(hertz: float, seconds: float, target: Path) -> None:
    """A sine tone with soft edges (no click), peak at -6 dBFS, into `target`."""
    edge = min(0.01, seconds / 4)
    _write(
        target,
        lambda out: [
            "sox", "-V1", "-n", *_SOX_OUT, out, "synth", f"{seconds}", "sine", f"{hertz}",
            "fade", "h", f"{edge}", f"{seconds}", f"{edge}", "gain", "-6",
        ],
    )  # fmt: skip


HOLD_MELODY = (
    (523.25, 1.2), (659.25, 1.2), (783.99, 1.2), (880.00, 2.4),
    (783.99, 1.2), (659.25, 1.2), (587.33, 1.2), (523.25, 2.4),
    (392.00, 1.2), (523.25, 1.2), (659.25, 1.2), (587.33, 2.4),
    (523.25, 1.2), (440.00, 1.2), (392.00, 1.2), (523.25, 3.6),
)  # fmt: skip
"""(hertz, seconds) of the hold music: a slow C major pentatonic phrase, about 25 s."""


def hold_music(target: Path) -> None:
    """A gentle tone sequence for music on hold: soft bell-like notes, then a rest."""

    def command(out: str) -> list[str]:
        chains: list[str] = []
        for hertz, seconds in HOLD_MELODY:
            if chains:
                chains.append(":")  # sox plays effect chains one after the other
            chains += ["synth", f"{seconds}", "sine", f"{hertz}"]
            chains += ["fade", "h", "0.08", f"{seconds}", f"{seconds * 0.7:.2f}", "gain", "-16"]
        chains += ["pad", "0", "2"]
        return ["sox", "-V1", "-n", *_SOX_OUT, out, *chains]

    _write(target, command)


def _write(target: Path, command: _Command) -> None:
    """Run `command(<temporary file>)` and move its output to `target` once it is whole."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
    except OSError as error:
        raise SynthError(f"cannot write into {target.parent}: {error.strerror}") from None
    os.close(handle)
    partial = Path(name)
    try:
        _run(command(str(partial)), None)
        if partial.stat().st_size == 0:
            raise SynthError(f"sox wrote nothing for {target.name}")
        partial.chmod(0o644)
        partial.replace(target)
    except OSError as error:
        raise SynthError(f"cannot write {target}: {error.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)


def _run(argv: list[str], stdin: str | None) -> None:
    try:
        done = subprocess.run(  # noqa: S603  (fixed programs, texts on stdin)
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        raise SynthError(f"{argv[0]} is not installed (apt-get install {TOOLS[argv[0]]})") from None
    except subprocess.TimeoutExpired:
        raise SynthError(f"{argv[0]} took longer than {_TIMEOUT_S:.0f} s") from None
    if done.returncode != 0:
        detail = " ".join((done.stderr or done.stdout).split()) or f"exit status {done.returncode}"
        raise SynthError(f"{argv[0]} failed: {detail}")
