"""The sounds a deployment needs and the texts that make them (no programs run here).

The sounds are what a caller hears or misses: every sound the shipped flows and the service
play must have a text in every language the flows offer, the menus must say the keys they
take, and the number files must be those Asterisk's say.c strings together.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from callcenter.sounds.catalog import (
    SERVICE_SOUNDS,
    existing_file,
    languages_of,
    missing_sounds,
    needed_sounds,
    spoken_sounds,
)
from callcenter.sounds.texts import TextsError, load_texts
from ivr_flows.nodes_dialog import LanguageNode, MenuNode
from tests.unit.ivr.ivr_testkit import shipped_flows

ROOT = Path(__file__).resolve().parents[3]
FLOWS = shipped_flows()
TEXTS = load_texts()


def test_the_shipped_flows_play_english_and_german() -> None:
    assert languages_of(FLOWS) == ["en", "de"]


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_sound_the_flows_and_the_service_play_has_a_text_or_a_tone(language: str) -> None:
    needed = needed_sounds(FLOWS, language)

    without = [s for s in needed if s not in TEXTS.tones and TEXTS.pieces(language, s) is None]

    assert without == []
    assert "custom/welcome" in needed
    assert "queue-thereare" in needed


@pytest.mark.parametrize("language", ["en", "de"])
def test_no_text_is_left_that_nothing_plays(language: str) -> None:
    needed = needed_sounds(FLOWS, language)

    assert sorted(set(TEXTS.languages[language].texts) - set(needed)) == []


@pytest.mark.parametrize("language", ["en", "de"])
def test_each_menu_prompt_says_every_key_its_menu_takes(language: str) -> None:
    for loaded in FLOWS:
        for node in loaded.nodes.values():
            if not isinstance(node, MenuNode | LanguageNode):
                continue
            for sound in node.prompts:
                pieces = TEXTS.pieces(language, sound)
                assert pieces is not None, sound
                said = " ".join(piece.text for piece in pieces)
                for key in node.choices:
                    assert re.search(rf"\b{re.escape(key)}\b", said), (language, sound, key)


def test_the_language_question_asks_each_language_in_its_own_voice() -> None:
    for language in ("en", "de"):
        pieces = TEXTS.pieces(language, "custom/choose-language")
        assert pieces is not None
        assert [piece.language for piece in pieces] == ["en", "de"]


def test_the_service_sounds_are_the_ones_its_code_plays() -> None:
    played: set[str] = set()
    for path in (ROOT / "callcenter").rglob("*.py"):
        if {"sim", "agi"} & set(path.relative_to(ROOT).parts):
            continue  # the simulator answers for Asterisk; the AGI library plays nothing itself
        source = path.read_text()
        played |= set(re.findall(r"\.(?:stream_file|stream|get_data)\(\s*\"([^\"]+)\"", source))
        if re.search(r"record_file\([^)]*beep=True", source, re.S):
            played.add("beep")

    assert played == set(SERVICE_SOUNDS)


# --- the number files: a small copy of main/say.c (Asterisk 22) ------------------------


def _number_en(n: int) -> list[str]:
    # get_number_str_en
    if n == 0:
        return ["digits/0"]
    files: list[str] = []
    for size, word in ((10**9, "billion"), (10**6, "million"), (1000, "thousand")):
        if n >= size:
            files += [*_number_en(n // size), f"digits/{word}"]
            n %= size
    if n >= 100:
        files += [f"digits/{n // 100}", "digits/hundred"]
        n %= 100
    if n >= 20:
        files.append(f"digits/{n // 10 * 10}")
        n %= 10
    if n:
        files.append(f"digits/{n}")
    return files


def _number_de(n: int, t: bool = False) -> list[str]:
    # ast_say_number_full_de (male/neuter)
    if n == 0:
        return ["digits/0"]
    files: list[str] = []
    while n:
        if n < 20:
            return [*files, f"digits/{n}"]
        if n < 100:
            ones = n % 10
            if not ones:
                return [*files, f"digits/{n}"]
            files.append(f"digits/{ones}-and")
            n -= ones
        elif n == 100 and not t:
            return [*files, "digits/hundred"]
        elif n < 1000:
            files += ["digits/1N" if n // 100 == 1 else f"digits/{n // 100}", "digits/hundred"]
            n %= 100
        elif n == 1000 and not t:
            return [*files, "digits/thousand"]
        elif n < 10**6:
            thousands, n, t = n // 1000, n % 1000, True
            if thousands == 1:
                files += ["digits/1N", "digits/thousand"]
            else:
                files += [*_number_de(thousands), "digits/thousand"]
        else:
            millions, n, t = n // 10**6, n % 10**6, True
            if millions == 1:
                files += ["digits/1F", "digits/million"]
            else:
                files += [*_number_de(millions), "digits/millions"]
    return files


def _day_of_month_de(day: int) -> list[str]:
    # ast_say_enumeration_full_de for 1..31
    if day < 20 or day % 10 == 0:
        return [f"digits/h-{day}"]
    return [f"digits/{day % 10}-and", f"digits/h-{day // 10 * 10}"]


NUMBERS = [*range(0, 1200), *range(1200, 2_000_000, 997), 2_000_000, 1_000_000, 7_654_321]


def test_every_file_say_number_plays_is_in_the_number_set() -> None:
    for language, say in (("en", _number_en), ("de", _number_de)):
        files = set(spoken_sounds("number", language))
        for number in NUMBERS:
            assert set(say(number)) <= files, (language, number, say(number))


def test_every_file_say_date_plays_is_in_the_date_set() -> None:
    english, german = set(spoken_sounds("date", "en")), set(spoken_sounds("date", "de"))
    for day in range(1, 32):
        for year in range(2000, 2101):
            assert set(_number_en(day) + _number_en(year)) <= english
            assert set(_day_of_month_de(day) + _number_de(year)) <= german
    assert {f"digits/day-{d}" for d in range(7)} <= english & german
    assert {f"digits/mon-{m}" for m in range(12)} <= english & german


def test_say_digits_needs_the_ten_digits() -> None:
    assert spoken_sounds("digits", "de") == tuple(f"digits/{n}" for n in range(10))


# --- a sounds directory ---------------------------------------------------------------


def test_a_sound_counts_as_there_in_any_format_asterisk_reads(tmp_path: Path) -> None:
    (tmp_path / "de" / "custom").mkdir(parents=True)
    (tmp_path / "de" / "custom" / "welcome.wav").write_bytes(b"RIFF")
    (tmp_path / "de" / "custom" / "closed.mp3").write_bytes(b"ID3")

    assert existing_file(tmp_path, "de", "custom/welcome") == (
        tmp_path / "de" / "custom" / "welcome.wav"
    )
    assert existing_file(tmp_path, "de", "custom/closed") is None
    assert existing_file(tmp_path, "en", "custom/welcome") is None


def test_missing_sounds_say_where_each_is_needed(tmp_path: Path) -> None:
    missing = missing_sounds(FLOWS, tmp_path, ["de"])

    places = [str(place) for place in missing["de"]["custom/invalid-choice"]]
    assert "main_hotline.yaml: main_menu (invalid_prompts)" in places
    assert "after_hours.yaml: after_hours_menu (invalid_prompts)" in places
    assert [str(p) for p in missing["de"]["queue-thereare"]] == [
        "the service (a waiting caller's position, before the number)"
    ]


# --- the texts file ---------------------------------------------------------------------


def test_a_company_texts_file_replaces_only_what_it_names(tmp_path: Path) -> None:
    own = tmp_path / "texts.yaml"
    own.write_text(
        "languages:\n  de:\n    texts:\n      custom/welcome: Willkommen bei Beispiel und Söhne.\n"
    )

    texts = load_texts(own)

    welcome = texts.pieces("de", "custom/welcome")
    assert welcome is not None
    assert welcome[0].text == "Willkommen bei Beispiel und Söhne."
    assert texts.pieces("de", "custom/closed") == TEXTS.pieces("de", "custom/closed")
    assert texts.languages["de"].voice == "de"


def test_a_broken_texts_file_names_the_file_and_the_entry(tmp_path: Path) -> None:
    own = tmp_path / "texts.yaml"
    own.write_text(
        "languages:\n  de:\n    texts:\n      custom/welcome:\n      custom/wel come: Hallo\n"
    )

    with pytest.raises(TextsError) as caught:
        load_texts(own)

    message = str(caught.value)
    assert f"{own}: languages.de.texts" in message
    assert "custom/welcome: a text is a string" in message
