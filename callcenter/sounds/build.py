"""Filling a sounds directory with every prompt the flows and the service need.

Strategy: per language, the needed sounds (`catalog.needed_sounds`) are looked up in
`<dir>/<language>/`; a sound that is there in any format Asterisk reads is kept (a
company's recording wins), unless `force` and it is our own format, `.ulaw`, which is then
made again; recordings in other formats are never touched. The rest are made from the
texts table (`texts`) on a small pool of threads, each running espeak-ng and sox, which do
the work outside Python. A sound without a text, an unknown voice, or a failed program is
a problem reported with the sound and where it is needed; the other sounds are still made.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from callcenter.sounds.catalog import describe, existing_file, needed_sounds
from callcenter.sounds.synth import (
    EXTENSION,
    TOOLS,
    SynthError,
    Voice,
    default_jobs,
    hold_music,
    speak,
    tone,
)
from callcenter.sounds.texts import PromptTexts
from ivr_flows import Flow

HOLD_MUSIC_FILE = f"callcenter-hold.{EXTENSION}"
"""The music-on-hold file `--moh DIR` writes (musiconhold.conf plays every file there)."""


class BuildError(Exception):
    """Nothing could be built (a directory that cannot be written, an unknown voice)."""


@dataclass(slots=True)
class LanguageResult:
    """What building one language did: files written and kept, problems, seconds taken."""

    language: str
    written: int = 0
    kept: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        """The sounds this language needs."""
        return self.written + self.kept + len(self.problems)


def build_prompts(
    flows: Iterable[Flow],
    sounds_dir: Path,
    texts: PromptTexts,
    languages: Iterable[str],
    *,
    force: bool = False,
    jobs: int | None = None,
    files: Mapping[str, str] | None = None,
    on_language: Callable[[LanguageResult], None] | None = None,
) -> list[LanguageResult]:
    """Make every needed sound missing from `sounds_dir/<language>/`, language by language.

    `files` names each flow's file in problems; `on_language` is called with each
    language's result as it finishes (progress).
    Raises BuildError, before making anything, when a language's directory cannot be
    written, or when there is something to make and espeak-ng or sox is missing or a voice
    the texts name is unknown to espeak-ng.
    """
    flows = list(flows)
    plans = []
    for language in languages:
        _writable(sounds_dir / language)
        plans.append(_plan(flows, sounds_dir, texts, language, force=force, files=files))
    if any(plan.work for plan in plans):
        _check_tools("espeak-ng", "sox")
        _check_voices(texts, [plan.result.language for plan in plans if plan.work])
    with ThreadPoolExecutor(max_workers=jobs or default_jobs()) as pool:
        for plan in plans:
            _run(pool, plan)
            if on_language is not None:
                on_language(plan.result)
    return [plan.result for plan in plans]


def build_hold_music(moh_dir: Path, *, force: bool = False) -> tuple[Path, bool]:
    """Write the hold music into `moh_dir` unless there (or `force`); (path, written)."""
    _writable(moh_dir)
    target = moh_dir / HOLD_MUSIC_FILE
    if target.exists() and not force:
        return target, False
    _check_tools("sox")
    try:
        hold_music(target)
    except SynthError as error:
        raise BuildError(f"music on hold: {error}") from None
    return target, True


@dataclass(slots=True)
class _Plan:
    result: LanguageResult
    work: dict[str, Callable[[], None]] = field(default_factory=dict)


def _plan(
    flows: list[Flow],
    sounds_dir: Path,
    texts: PromptTexts,
    language: str,
    *,
    force: bool,
    files: Mapping[str, str] | None,
) -> _Plan:
    plan = _Plan(LanguageResult(language))
    for sound, places in needed_sounds(flows, language, files).items():
        target = sounds_dir / language / f"{sound}.{EXTENSION}"
        found = existing_file(sounds_dir, language, sound)
        if found is not None and not (force and found == target):
            plan.result.kept += 1
            continue
        job = _job(texts, language, sound, target)
        if isinstance(job, str):
            plan.result.problems.append(
                f"{language}: {sound}: {job} (needed by {describe(places)})"
            )
        else:
            plan.work[sound] = job
    return plan


def _run(pool: ThreadPoolExecutor, plan: _Plan) -> None:
    started = time.perf_counter()
    futures: dict[str, Future[None]] = {sound: pool.submit(job) for sound, job in plan.work.items()}
    for sound, future in futures.items():
        try:
            future.result()
            plan.result.written += 1
        except SynthError as error:
            plan.result.problems.append(f"{plan.result.language}: {sound}: {error}")
    plan.result.seconds = time.perf_counter() - started


def _job(texts: PromptTexts, language: str, sound: str, target: Path) -> Callable[[], None] | str:
    """What makes `sound`, or why it cannot be made."""
    found = texts.tones.get(sound)
    if found is not None:
        return lambda: tone(found.hertz, found.seconds, target)
    pieces = texts.pieces(language, sound)
    if pieces is None:
        return (
            f"no text in languages.{language}.texts (add one with --texts FILE, or put a "
            f"recording at {target})"
        )
    spoken = []
    for piece in pieces:
        voice = _voice(texts, piece.language or language)
        if voice is None:
            return f"no voice for {piece.language} (languages.{piece.language}.voice)"
        spoken.append((voice, piece.text))
    return lambda: speak(spoken, target)


def _voice(texts: PromptTexts, language: str) -> Voice | None:
    block = texts.languages.get(language)
    if block is None or block.voice is None:
        return None
    return Voice(block.voice, block.words_per_minute or 150)


def _check_tools(*programs: str) -> None:
    missing = [TOOLS[program] for program in programs if shutil.which(program) is None]
    if missing:
        raise BuildError(
            f"making prompts needs {' and '.join(missing)}, not installed here: on Debian or "
            f"Ubuntu, apt-get install {' '.join(missing)}"
        )


def _writable(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BuildError(f"cannot create {directory}: {error.strerror}") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise BuildError(f"cannot write into {directory}: permission denied")


def _check_voices(texts: PromptTexts, languages: Iterable[str]) -> None:
    """Look each voice the languages use up in `espeak-ng --voices`, so a typo is one clear
    error (`espeak-ng -v` itself quietly takes a near match: `de-xx` speaks German)."""
    used = set(languages)
    for language in list(used):
        block = texts.languages.get(language)
        for pieces in block.texts.values() if block is not None else ():
            used.update(piece.language for piece in pieces if piece.language)
    known = _espeak_voices()
    for language in sorted(used):
        voice = _voice(texts, language)
        if voice is not None and voice.name.split("+")[0].lower() not in known:
            raise BuildError(
                f"espeak-ng has no voice {voice.name!r} (languages.{language}.voice); "
                "`espeak-ng --voices` lists them"
            )


def _espeak_voices() -> set[str]:
    """The names `espeak-ng -v` takes: language codes, voice names and voice files."""
    try:
        done = subprocess.run(
            ["espeak-ng", "--voices"],  # noqa: S607  (found on PATH, checked before)
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise BuildError(f"espeak-ng cannot list its voices: {error}") from None
    names: set[str] = set()
    for line in done.stdout.splitlines()[1:]:
        # Pty Language Age/Gender VoiceName File [(other-language priority) ...]
        fields = line.split()
        if len(fields) >= 5:
            names.update(field.lower() for field in (fields[1], fields[3], fields[4]))
            names.update(re.findall(r"\((\S+) \d+\)", line))
    return names


def summary(results: Iterable[LanguageResult], sounds_dir: Path | str) -> str:
    """One line over all languages: how many prompts, written and kept."""
    results = list(results)
    written = sum(r.written for r in results)
    kept = sum(r.kept for r in results)
    failed = sum(len(r.problems) for r in results)
    seconds = sum(r.seconds for r in results)
    line = f"{written + kept + failed} prompts in {sounds_dir}: {written} written, {kept} kept"
    if failed:
        line += f", {failed} failed"
    return f"{line} ({seconds:.1f} s)"


def progress_line(result: LanguageResult) -> str:
    """One line for a finished language."""
    line = (
        f"{result.language}: {result.total} prompts: {result.written} written, {result.kept} kept"
    )
    if result.problems:
        line += f", {len(result.problems)} failed"
    return f"{line} ({result.seconds:.1f} s)"
