"""Which sounds a deployment needs, per language, and which a sounds directory lacks.

Strategy: three sources, each with the place that needs the sound (`Need`), so a report
can say "main_hotline.yaml: welcome (prompts)": the flows (`ivr_flows.sound_uses`: the prompts
their nodes name, and what they have Asterisk say), the service's own sounds while a
caller waits or is sent away (`SERVICE_SOUNDS`, held to `callcenter/pbx/agi_routes.py` by
a test), and the files Asterisk's `say.c` puts together for SAY DIGITS / NUMBER / DATE in
a language (`spoken_sounds`, English and German grammar). A sound is present when
`<dir>/<language>/<name>.<ext>` exists in any format Asterisk reads: that is where
Asterisk 22 looks first (main/file.c, `languageprefix=yes`, the default), before the
directory without language and then `en/`, so a German prompt missing from `de/` would
be heard in English.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ivr_flows import Flow
from ivr_flows.sounds import Spoken, flow_languages, sound_uses

SERVICE = "the service"
"""The source of the sounds the service plays itself (not a flow)."""

DEFAULT_LANGUAGE = "en"
"""Asterisk's language for a channel nobody set one on (asterisk.conf `defaultlanguage`)."""

ASTERISK_EXTENSIONS = (
    "ulaw", "ul", "mu", "ulw", "pcm", "alaw", "al", "alw", "g722", "au", "wav", "wav16",
    "WAV", "wav49", "gsm", "sln", "slin", "raw", "sln16", "sln48", "g729", "g719", "g723",
    "ilbc", "siren7", "siren14", "spx", "ogg", "vox",
)  # fmt: skip
"""File extensions of Asterisk's sound formats (formats/format_*.c `.exts`); a file in any
of them counts as the sound being there (its format module must be loaded to play it)."""

SERVICE_SOUNDS: Mapping[str, str] = {
    "queue-thereare": "a waiting caller's position, before the number",
    "queue-callswaiting": "a waiting caller's position, after the number",
    "queue-holdtime": "the estimated wait, before the minutes",
    "queue-minutes": "the estimated wait, after the minutes",
    "queue-thankyou": "a caller who waited too long or whose message failed, before the hang-up",
    "vm-intro": "a waiting caller sent to voicemail",
    "vm-msgsaved": "a waiting caller sent to voicemail, after the message",
    "beep": "before a voicemail recording",
    "custom/callback-confirmed": "a waiting caller sent to a callback",
}
"""Sounds the service plays itself (callcenter/pbx/agi_routes.py), with when."""

SERVICE_SPOKEN: tuple[Spoken, ...] = ("number",)
"""The service says numbers: a waiting caller's position and the minutes to wait."""

_DIGITS = tuple(f"digits/{n}" for n in range(10))
_NUMBERS_EN = (
    *(f"digits/{n}" for n in range(20)),
    *(f"digits/{n}" for n in range(20, 100, 10)),
    "digits/hundred", "digits/thousand", "digits/million", "digits/billion", "digits/minus",
)  # fmt: skip
_NUMBERS_DE = (
    *(f"digits/{n}" for n in range(20)),
    *(f"digits/{n}" for n in range(20, 100, 10)),
    *(f"digits/{n}-and" for n in range(1, 10)),
    "digits/1N", "digits/1F", "digits/hundred", "digits/thousand", "digits/million",
    "digits/millions", "digits/milliard", "digits/milliards", "digits/minus",
)  # fmt: skip
_WEEKDAYS = tuple(f"digits/day-{n}" for n in range(7))
_MONTHS = tuple(f"digits/mon-{n}" for n in range(12))
# German says the day of the month as an ordinal (ast_say_enumeration_full_de): 1st-19th,
# 20th and 30th, the others as "<n>-and" + 20th/30th.
_DAYS_OF_MONTH_DE = (
    *(f"digits/h-{n}" for n in range(1, 20)),
    "digits/h-20", "digits/h-30",
    *(f"digits/{n}-and" for n in range(1, 10)),
)  # fmt: skip


def spoken_sounds(kind: Spoken, language: str) -> tuple[str, ...]:
    """The files Asterisk plays to say `kind` in `language` (main/say.c).

    German has a grammar of its own there; every other language is given the English set,
    which is what say.c falls back to for a language it has no grammar for.
    """
    german = language.split("_", maxsplit=1)[0] == "de"
    numbers = _NUMBERS_DE if german else _NUMBERS_EN
    if kind == "digits":
        return _DIGITS
    if kind == "number":
        return numbers
    if kind == "date":
        days = _DAYS_OF_MONTH_DE if german else ()
        return tuple(dict.fromkeys((*_WEEKDAYS, *_MONTHS, *days, *numbers)))
    return ("beep",)  # a recording: RECORD FILE ... beep


def languages_of(flows: Iterable[Flow]) -> list[str]:
    """The languages a deployment of these flows plays: Asterisk's default, then the flows'."""
    return [DEFAULT_LANGUAGE, *sorted(flow_languages(flows) - {DEFAULT_LANGUAGE})]


@dataclass(frozen=True, slots=True)
class Need:
    """Where a sound is needed: a flow file and node (what for), or the service (when)."""

    source: str
    """The flow's file, or `the service`."""
    node: str | None
    what: str
    """The node's field (`prompts`, `invalid_prompts`), `says digits`, or when the
    service plays it."""

    def __str__(self) -> str:
        if self.node is None:
            return f"{self.source} ({self.what})"
        return f"{self.source}: {self.node} ({self.what})"


def needed_sounds(
    flows: Iterable[Flow], language: str, files: Mapping[str, str] | None = None
) -> dict[str, list[Need]]:
    """Every sound a call in `language` may play, each with where it is needed.

    `files` names each flow's file for the messages (default `<flow>.yaml`).
    """
    needed: dict[str, list[Need]] = {}

    def need(sound: str, where: Need) -> None:
        places = needed.setdefault(sound, [])
        if where not in places:
            places.append(where)

    for flow in flows:
        file = (files or {}).get(flow.name, f"{flow.name}.yaml")
        for use in sound_uses(flow):
            if use.sound is not None:
                need(use.sound, Need(file, use.node, use.field))
            elif use.spoken is not None:
                for sound in spoken_sounds(use.spoken, language):
                    need(sound, Need(file, use.node, f"says {use.spoken}"))
    for sound, when in SERVICE_SOUNDS.items():
        need(sound, Need(SERVICE, None, when))
    for kind in SERVICE_SPOKEN:
        for sound in spoken_sounds(kind, language):
            need(sound, Need(SERVICE, None, f"says {kind}: a position, minutes to wait"))
    return needed


def describe(places: Iterable[Need]) -> str:
    """Places grouped by file: `a.yaml: n1 (prompts), n2 (says digits); the service (...)`."""
    by_source: dict[str, list[str]] = {}
    for place in places:
        part = place.what if place.node is None else f"{place.node} ({place.what})"
        by_source.setdefault(place.source, []).append(part)
    return "; ".join(
        f"{source} ({', '.join(parts)})" if source == SERVICE else f"{source}: {', '.join(parts)}"
        for source, parts in by_source.items()
    )


def existing_file(sounds_dir: Path, language: str, sound: str) -> Path | None:
    """The file Asterisk would find for `sound` in `sounds_dir/<language>/`, if any."""
    folder = sounds_dir / language / Path(sound).parent
    stem = Path(sound).name
    for extension in ASTERISK_EXTENSIONS:
        candidate = folder / f"{stem}.{extension}"
        if candidate.is_file():
            return candidate
    return None


def missing_sounds(
    flows: Iterable[Flow],
    sounds_dir: Path,
    languages: Iterable[str],
    files: Mapping[str, str] | None = None,
) -> dict[str, dict[str, list[Need]]]:
    """Per language, the needed sounds `sounds_dir` lacks, each with where it is needed."""
    flows = list(flows)
    missing: dict[str, dict[str, list[Need]]] = {}
    for language in languages:
        lacking = {
            sound: places
            for sound, places in needed_sounds(flows, language, files).items()
            if existing_file(sounds_dir, language, sound) is None
        }
        if lacking:
            missing[language] = lacking
    return missing
