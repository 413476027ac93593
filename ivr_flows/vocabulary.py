"""The words a flow is written in: node ids, data keys, sound names, keys of the keypad.

Strategy: each word is an `Annotated` type checked by a small function with its own error
message, so a broken flow reads "'custom/wel come' is not an audio name ..." instead of a
regular expression. The same module says what caller input may look like (`DTMF_KEYS`,
`MAX_DIGITS`) and how outside values are cleaned before they enter the call data
(`clean_value`): caller input is untrusted, so it is checked and length-limited here and
never interpolated into anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

DTMF_KEYS = "0123456789*#"
"""Every key of a telephone keypad, in the order Asterisk's escape-digit strings use."""

MAX_DIGITS = 32
"""The longest keypad entry accepted from a caller; anything longer is an invalid entry."""

MAX_VALUE_CHARS = 128
"""The longest text value kept in the call data (caller ID names, lookup answers ...)."""

_NODE_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")
_DATA_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}(?:\.[a-z][a-z0-9_]{0,31}){0,3}")
_SOUND = re.compile(r"[A-Za-z0-9_-]{1,64}(?:/[A-Za-z0-9_-]{1,64}){0,4}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_LANGUAGE = re.compile(r"[a-z]{2}(?:_[A-Z]{2})?")
_PHONE = re.compile(r"\+?[0-9]{3,20}")
_LABEL = re.compile(r"[a-z][a-z0-9_]{0,31}")


def _matching(pattern: re.Pattern[str], what: str, example: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if pattern.fullmatch(value) is None:
            raise ValueError(f"{value!r} is not {what} (e.g. {example})")
        return value

    return check


NodeId = Annotated[str, AfterValidator(_matching(_NODE_ID, "a node id", "main_menu"))]
"""A node's name inside its flow: lower case, digits and `_`, starting with a letter."""

FlowName = Annotated[str, AfterValidator(_matching(_NODE_ID, "a flow name", "main_hotline"))]
"""A flow's name: its file name without `.yaml`."""

DataKey = Annotated[str, AfterValidator(_matching(_DATA_KEY, "a data key", "customer.tier"))]
"""A key of the call data, dotted by source: `account_number`, `customer.tier`, `order.status`."""

SoundName = Annotated[
    str,
    AfterValidator(_matching(_SOUND, "an audio name", "custom/welcome or vm-intro")),
]
"""An Asterisk sound name without extension: `custom/welcome`, `vm-intro`, `digits/1`."""

QueueName = Annotated[str, AfterValidator(_matching(_NAME, "a queue name", "billing"))]
"""The name of an ACD queue."""

SkillName = Annotated[str, AfterValidator(_matching(_NAME, "a skill name", "lang-de"))]
"""The name of an agent skill."""

Language = Annotated[str, AfterValidator(_matching(_LANGUAGE, "a language code", "en or de"))]
"""An Asterisk language code (`en`, `de`, `pt_BR`): it picks the sound directory."""

PhoneNumber = Annotated[str, AfterValidator(_matching(_PHONE, "a phone number", "+4930123456"))]
"""A dialable number: 3 to 20 digits with an optional leading `+`."""

Label = Annotated[str, AfterValidator(_matching(_LABEL, "a label", "self_service"))]
"""A short lower-case word naming an outcome, a tier, a status or a survey question."""


_NO_AUDIO = "a prompt needs an audio name (an Asterisk sound, e.g. custom/welcome)"


def _prompts(value: Any) -> tuple[Any, ...]:
    items = value if isinstance(value, list | tuple) else [value]
    if not items or any(item is None or item == "" for item in items):
        raise ValueError(_NO_AUDIO)
    return tuple(items)


Prompts = Annotated[tuple[SoundName, ...], BeforeValidator(_prompts)]
"""One or more sound names played in order; a single name may be written without a list."""


def _dtmf_key(value: str) -> str:
    if len(value) != 1 or value not in DTMF_KEYS:
        raise ValueError(f"{value!r} is not a key of the keypad (0-9, * or #)")
    return value


DtmfKey = Annotated[str, AfterValidator(_dtmf_key)]
"""One key of the keypad. In YAML quote `*` and `#` (`"#": repeat`): bare, they mean
something else to YAML."""


def _as_text(value: Any) -> Any:
    """YAML reads `1:` as a number and `yes` as a boolean; flows mean the text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _keys_as_text(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_as_text(key): item for key, item in value.items()}
    return value


def _values_as_text(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _as_text(item) for key, item in value.items()}
    return value


Text = Annotated[str, BeforeValidator(_as_text)]
"""A literal value in a flow; numbers, dates and booleans written bare count as their text."""

TextKeys = BeforeValidator(_keys_as_text)
"""Put on a mapping whose keys are keypad keys or values: YAML may have read them as numbers."""

TextValues = BeforeValidator(_values_as_text)
"""Put on a mapping whose values are literal texts."""


def clean_value(value: object) -> str | None:
    """A value from outside (caller ID, a lookup answer) as call data, or None if unusable.

    Only printable text up to `MAX_VALUE_CHARS` is kept; anything else is dropped whole
    rather than cut, so that nothing half-checked is ever read back to a caller.
    """
    if not isinstance(value, str) or len(value) > MAX_VALUE_CHARS or not value.isprintable():
        return None
    return value


def is_data_key(key: object) -> bool:
    """True when `key` may name a value in the call data."""
    return isinstance(key, str) and _DATA_KEY.fullmatch(key) is not None


def is_sound_name(value: str) -> bool:
    """True when `value` may be played as a sound (used on names that come from data)."""
    return _SOUND.fullmatch(value) is not None


def is_phone_number(value: str) -> bool:
    """True when `value` is a dialable number (3-20 digits, optional `+`)."""
    return _PHONE.fullmatch(value) is not None


def is_keypad_entry(value: str) -> bool:
    """True when `value` is at most `MAX_DIGITS` keys of the keypad."""
    return len(value) <= MAX_DIGITS and all(key in DTMF_KEYS for key in value)
