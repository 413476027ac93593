"""`callcenter prompts build` and `callcenter flows check --sounds` as an operator runs them.

These run Debian's espeak-ng and sox for real (tests/run.sh installs them); without them
the tests are skipped, except under CI=true, where they must run. A `.ulaw` file has no
header, so "8 kHz mono" is checked by what it sounds like: the beep's length in bytes and
its pitch as sox hears it at 8 kHz, and each prompt lasting as long as espeak-ng's own
recording of the same words (a file at another rate or sample size would be twice as long
or more).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import pytest
import yaml

from callcenter.app.settings import SHIPPED_FLOWS
from callcenter.sounds.catalog import SERVICE_SOUNDS, needed_sounds
from callcenter.sounds.texts import load_texts
from tests.unit.ivr.ivr_testkit import shipped_flows

LANGUAGES = ("en", "de")


def _require_tools() -> None:
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        reason = f"{' and '.join(missing)} not installed (apt-get install espeak-ng sox)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; under CI=true the prompt tests must run")
        pytest.skip(reason)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callcenter", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "callcenter.yaml"
    path.write_text(f"ivr:\n  flows_dir: {SHIPPED_FLOWS}\n")
    return path


@pytest.fixture(scope="module")
def built(config: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One full build of the shipped flows' prompts: (sounds directory, its output)."""
    _require_tools()
    sounds = tmp_path_factory.mktemp("sounds")
    moh = tmp_path_factory.mktemp("moh")
    result = run("--config", str(config), "prompts", "build", str(sounds), "--moh", str(moh))
    assert result.returncode == 0, result.stderr
    return sounds, result.stdout


_ULAW = []
for _byte in range(256):
    _b = ~_byte & 0xFF
    _magnitude = ((((_b & 0x0F) << 3) + 0x84) << ((_b >> 4) & 7)) - 0x84
    _ULAW.append(-_magnitude if _b & 0x80 else _magnitude)


def _samples(path: Path) -> list[int]:
    """The 16-bit values of a raw G.711 mu-law file."""
    return [_ULAW[byte] for byte in path.read_bytes()]


def _prompt_values(data: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if str(key).endswith("prompts"):
                found |= set(value) if isinstance(value, list) else {value}
            else:
                found |= _prompt_values(value)
    elif isinstance(data, list):
        for item in data:
            found |= _prompt_values(item)
    return found


def test_every_prompt_the_flows_name_is_made_in_english_and_german(
    built: tuple[Path, str],
) -> None:
    sounds, output = built
    named: set[str] = set()
    for path in SHIPPED_FLOWS.glob("*.yaml"):
        named |= _prompt_values(yaml.safe_load(path.read_text()))

    for language in LANGUAGES:
        for sound in sorted(named | set(SERVICE_SOUNDS)):
            assert (sounds / language / f"{sound}.ulaw").is_file(), (language, sound)
        for digit in range(10):
            assert (sounds / language / "digits" / f"{digit}.ulaw").is_file()
    assert "custom/welcome" in named
    assert "vm-goodbye" in named
    lines = output.splitlines()
    assert lines[0].startswith("prompts for en, de into ")
    assert re.fullmatch(r"en: (\d+) prompts: \1 written, 0 kept \(\d+\.\d s\)", lines[1])
    assert re.fullmatch(r"de: (\d+) prompts: \1 written, 0 kept \(\d+\.\d s\)", lines[2])
    assert re.fullmatch(r"\d+ prompts in .*: \d+ written, 0 kept \(\d+\.\d s\)", lines[-1])


def test_every_prompt_is_audible_speech(built: tuple[Path, str]) -> None:
    sounds, _ = built
    for language in LANGUAGES:
        for sound in needed_sounds(shipped_flows(), language):
            samples = _samples(sounds / language / f"{sound}.ulaw")
            loud = sum(1 for value in samples if abs(value) > 1000)
            assert len(samples) >= 0.2 * 8000, (language, sound)  # at least 0.2 s
            assert max(map(abs, samples)) > 8000, (language, sound)  # about -12 dBFS or more
            assert loud / len(samples) > 0.1, (language, sound)  # mostly not silence


def test_the_beep_is_a_quarter_second_of_1000_hz_at_8000_samples_a_second(
    built: tuple[Path, str],
) -> None:
    sounds, _ = built
    beep = sounds / "de" / "beep.ulaw"

    stat = subprocess.run(
        ["sox", "-t", "ul", "-r", "8000", "-c", "1", str(beep), "-n", "stat"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    pitch = re.search(r"Rough\s+frequency:\s+(\d+)", stat)

    assert beep.stat().st_size == 2000  # 0.25 s x 8000 samples x 1 byte, one channel
    assert pitch is not None
    assert 950 <= int(pitch[1]) <= 1050


@pytest.mark.parametrize(
    ("language", "sound", "voice"),
    [
        ("en", "custom/welcome", "en-us"),
        ("de", "custom/main-menu", "de"),
        ("en", "digits/7", "en-us"),
    ],
)
def test_a_prompt_lasts_as_long_as_its_words(
    built: tuple[Path, str], tmp_path: Path, language: str, sound: str, voice: str
) -> None:
    sounds, _ = built
    pieces = load_texts().pieces(language, sound)
    assert pieces is not None
    reference = tmp_path / "reference.wav"
    subprocess.run(
        ["espeak-ng", "-b", "1", "-v", voice, "-s", "150", "-w", str(reference), "--stdin"],
        input=pieces[0].text,
        text=True,
        check=True,
    )
    with wave.open(str(reference)) as spoken:
        words_s = spoken.getnframes() / spoken.getframerate()

    prompt_s = (sounds / language / f"{sound}.ulaw").stat().st_size / 8000

    # Only espeak-ng's trailing silence is cut (about 0.4 s, 0.12 s are left).
    assert words_s - 0.6 < prompt_s <= words_s


def test_a_second_run_keeps_every_file_and_force_makes_them_again(
    built: tuple[Path, str], config: Path, tmp_path: Path
) -> None:
    sounds = tmp_path / "sounds"
    shutil.copytree(built[0], sounds)
    recorded = sounds / "en" / "custom" / "welcome.ulaw"
    recorded.write_bytes(b"\x80\x00" * 4000)  # a company's own recording
    wav_recording = sounds / "en" / "custom" / "closed.wav"
    (sounds / "en" / "custom" / "closed.ulaw").unlink()
    wav_recording.write_bytes(b"RIFF....WAVE")

    again = run("--config", str(config), "prompts", "build", str(sounds))
    forced = run(
        "--config", str(config), "prompts", "build", str(sounds), "--force", "--language", "en"
    )

    assert again.returncode == 0, again.stderr
    assert re.search(r"^en: (\d+) prompts: 0 written, \1 kept", again.stdout, re.M)
    assert re.search(r"^\d+ prompts in .*: 0 written, \d+ kept", again.stdout, re.M)
    assert forced.returncode == 0, forced.stderr
    assert re.search(r"^en: (\d+) prompts: (\d+) written, 1 kept", forced.stdout, re.M)
    assert recorded.read_bytes() != b"\x80\x00" * 4000  # .ulaw is ours to make again
    assert wav_recording.read_bytes() == b"RIFF....WAVE"  # a recording in another format stays
    assert not (sounds / "en" / "custom" / "closed.ulaw").exists()


def test_music_on_hold_is_a_gentle_tone_sequence(built: tuple[Path, str]) -> None:
    _, output = built
    line = next(line for line in output.splitlines() if line.startswith("music on hold: "))
    moh = Path(line.removeprefix("music on hold: ").removesuffix(" written"))

    samples = _samples(moh)

    assert moh.name == "callcenter-hold.ulaw"
    assert 15 * 8000 < len(samples) < 60 * 8000
    assert 1000 < max(map(abs, samples)) < 16000  # audible, and quieter than the prompts


def test_flows_check_reports_a_missing_prompt_with_its_flow_and_node(
    built: tuple[Path, str], config: Path, tmp_path: Path
) -> None:
    sounds = tmp_path / "sounds"
    shutil.copytree(built[0], sounds)
    (sounds / "de" / "custom" / "main-menu.ulaw").unlink()

    full = run("--config", str(config), "flows", "check", "--sounds", str(built[0]))
    lacking = run("--config", str(config), "flows", "check", "--sounds", str(sounds))

    assert full.returncode == 0, full.stderr
    assert f"every prompt is in {built[0]} for en, de" in full.stdout
    assert lacking.returncode == 1
    hotline = SHIPPED_FLOWS / "main_hotline.yaml"
    assert lacking.stderr.splitlines() == [
        f"callcenter: 1 prompt missing from {sounds}",
        f"de: custom/main-menu: needed by {hotline}: main_menu (prompts)",
        f"make them with: callcenter prompts build {sounds}",
    ]


def test_an_unwritable_directory_is_named(config: Path, tmp_path: Path) -> None:
    _require_tools()
    sounds = tmp_path / "sounds"
    sounds.mkdir()
    (sounds / "de").write_text("a file where a directory should be")

    result = run("--config", str(config), "prompts", "build", str(sounds))

    assert result.returncode == 1
    assert f"callcenter: cannot create {sounds / 'de'}:" in result.stderr
    assert not (sounds / "en" / "custom").exists()


def test_without_espeak_ng_and_sox_the_debian_packages_are_named(
    config: Path, tmp_path: Path
) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    env = {**os.environ, "PATH": str(bare)}

    result = run("--config", str(config), "prompts", "build", str(tmp_path / "s"), env=env)

    assert result.returncode == 1
    assert "apt-get install espeak-ng sox" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_prompt_without_a_text_is_named_and_the_others_are_still_made(tmp_path: Path) -> None:
    _require_tools()
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "greeting.yaml").write_text(
        "start: hello\n"
        "nodes:\n"
        "  hello: {type: play, prompts: [custom/spring-offer, vm-goodbye], next: bye}\n"
        "  bye: {type: hangup}\n"
    )
    config = tmp_path / "callcenter.yaml"
    config.write_text(
        f"ivr:\n  flows_dir: {flows}\n  default_flow: greeting\n  dnis: {{}}\n  scripts: {{}}\n"
    )
    sounds = tmp_path / "sounds"

    result = run("--config", str(config), "prompts", "build", str(sounds))

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "en: custom/spring-offer: no text in languages.en.texts (add one with --texts FILE, "
        f"or put a recording at {sounds / 'en' / 'custom' / 'spring-offer.ulaw'}) "
        f"(needed by {flows / 'greeting.yaml'}: hello (prompts))"
    ]
    assert (sounds / "en" / "vm-goodbye.ulaw").is_file()
    assert not (sounds / "de").exists()  # the flow offers no other language
    assert re.search(r"^\d+ prompts in .*: \d+ written, 0 kept, 1 failed", result.stdout, re.M)


def test_an_unknown_voice_is_named_before_anything_is_made(config: Path, tmp_path: Path) -> None:
    _require_tools()
    texts = tmp_path / "texts.yaml"
    texts.write_text("languages:\n  de:\n    voice: no-such-voice\n")
    sounds = tmp_path / "sounds"

    result = run("--config", str(config), "prompts", "build", str(sounds), "--texts", str(texts))

    assert result.returncode == 1
    assert (
        "callcenter: espeak-ng has no voice 'no-such-voice' (languages.de.voice)" in result.stderr
    )
    assert list(sounds.rglob("*.ulaw")) == []
