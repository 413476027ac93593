"""What each prompt says, per language: the shipped table and a company's own on top.

Strategy: the texts are data (`texts.yaml` beside this module), checked by pydantic when
read, so a broken file names the file and the entry (`texts.yaml: languages.de.texts.
custom/welcome: ...`). A company file has the same layout and replaces entries one by one
(`PromptTexts.overlay`), so it need only hold what it changes. A text is one string spoken
in its language's voice, or a list of {language: text} pieces each spoken in that
language's voice (the language question is asked in both before the caller chooses).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ivr_flows.vocabulary import Language, SoundName

SHIPPED_TEXTS = "texts.yaml"
"""The shipped table, a resource of this package."""

MAX_TEXT_CHARS = 600
"""Longer than this is no prompt but a speech; it is refused (a typo, a pasted document)."""

_Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS)]


class TextsError(Exception):
    """A texts file could not be read; the message names the file and each bad entry."""


class Tone(BaseModel):
    """A sound that is a tone, not words: a sine of `hertz` for `seconds`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hertz: float = Field(ge=100, le=3400)  # what a telephone line carries
    seconds: float = Field(gt=0, le=5)


class Piece(BaseModel):
    """Part of a prompt spoken in one language's voice (None: the block's own language)."""

    model_config = ConfigDict(frozen=True)

    language: Language | None = None
    text: _Text


class LanguageTexts(BaseModel):
    """One language: the espeak-ng voice, its speed, and what each sound says."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    voice: str | None = Field(None, pattern=r"^[A-Za-z0-9_+-]{1,40}$")
    words_per_minute: int | None = Field(None, ge=80, le=300)
    texts: dict[SoundName, tuple[Piece, ...]] = Field(default_factory=dict)

    @field_validator("texts", mode="before")
    @classmethod
    def _pieces(cls, texts: Any) -> Any:
        """A plain string is one piece in the block's own language."""
        if not isinstance(texts, dict):
            return texts
        pieces = {}
        for sound, text in texts.items():
            try:
                pieces[sound] = _as_pieces(text)
            except ValueError as error:
                raise ValueError(f"{sound}: {error}") from None
        return pieces


class PromptTexts(BaseModel):
    """The whole table: tones, and per language its voice and texts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tones: dict[SoundName, Tone] = Field(default_factory=dict)
    languages: dict[Language, LanguageTexts] = Field(default_factory=dict)

    def overlay(self, other: PromptTexts) -> PromptTexts:
        """This table with every entry `other` has replaced by `other`'s."""
        languages = dict(self.languages)
        for code, theirs in other.languages.items():
            ours = languages.get(code, LanguageTexts())
            languages[code] = ours.model_copy(
                update={
                    "voice": theirs.voice or ours.voice,
                    "words_per_minute": theirs.words_per_minute or ours.words_per_minute,
                    "texts": {**ours.texts, **theirs.texts},
                }
            )
        return self.model_copy(
            update={"tones": {**self.tones, **other.tones}, "languages": languages}
        )

    def pieces(self, language: str, sound: str) -> tuple[Piece, ...] | None:
        """What `sound` says in `language` (each piece's language set), None if no text."""
        block = self.languages.get(language)
        pieces = block.texts.get(sound) if block is not None else None
        if pieces is None:
            return None
        return tuple(p if p.language else Piece(language=language, text=p.text) for p in pieces)


def _as_pieces(text: Any) -> Any:
    if isinstance(text, str):
        return [{"text": text}]
    if isinstance(text, list):
        pieces = []
        for item in text:
            if not (isinstance(item, dict) and len(item) == 1):
                raise ValueError("each piece is one {language: text} pair, e.g. {de: Hallo}")
            ((language, words),) = item.items()
            pieces.append({"language": language, "text": words})
        return pieces
    got = "nothing" if text is None else repr(text)
    raise ValueError(f"a text is a string or a list of {{language: text}} pieces, not {got}")


def load_texts(path: Path | None = None) -> PromptTexts:
    """The shipped table, with the company's file at `path` (if given) laid over it."""
    shipped = (
        resources.files("callcenter.sounds").joinpath(SHIPPED_TEXTS).read_text(encoding="utf-8")
    )
    table = _parse(shipped, SHIPPED_TEXTS)
    if path is None:
        return table
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TextsError(f"{path}: cannot read the texts file: {error}") from None
    return table.overlay(_parse(text, str(path)))


def _parse(text: str, where: str) -> PromptTexts:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise TextsError(f"{where}: not valid YAML: {error}") from None
    try:
        table = PromptTexts.model_validate(data if data is not None else {})
    except ValidationError as error:
        lines = [f"{where}: {_loc(e['loc'])}: {e['msg']}" for e in error.errors()]
        raise TextsError("\n".join(lines)) from None
    return table


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)
