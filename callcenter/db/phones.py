"""Phone numbers as people type them and as caller ID delivers them, read into E.164.

Strategy: `phonenumbers` (Google's libphonenumber) reads `030 123456`, `0049 30 123456`
and `+49-30-123456` alike; numbers without a country code are read in a default region
(settings `cti.default_region`). Caller ID is untrusted input, so overlong text is refused
before it is parsed. Searches match the digits someone typed against stored E.164 numbers.

Every number the center may dial (a callback, a customer's phones) enters through `to_e164`,
whose result is always `+` and 2-15 digits: nothing else reaches an AMI Originate or the
dialplan, where a `,` would add Dial options and a `&` another destination (issue 14). Text
with any character that is not part of how people write numbers (digits, `+`, spaces,
`( ) . / -`) is refused outright rather than parsed: libphonenumber would otherwise read
`+49 30 123456,U(x)`-like text, letters (`1-800-FLOWERS`) and `tel:` URIs as numbers.
"""

from __future__ import annotations

import functools
import re

import phonenumbers

MAX_INPUT = 40
"""Caller ID is untrusted input: anything longer is refused before parsing."""

MIN_SEARCH_DIGITS = 3
"""Fewer significant digits than this match too many numbers to be worth a search."""

_DIALLED = re.compile(r"[0-9+()./\s-]+")
_TYPED = frozenset("0123456789+()./- ")
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
"""A number in E.164: `+`, the country code, the national number; 15 digits at most."""


class InvalidPhoneNumber(ValueError):
    """The text is not a valid phone number. The message never repeats the text itself
    (it is untrusted and may be personal data): only what is wrong with it."""


def is_e164(value: str) -> bool:
    """True when `value` is already a number in E.164 (`+4930123456`), and nothing else."""
    return E164.fullmatch(value) is not None


def to_e164(raw: str, region: str = "DE") -> str:
    """`raw` as E.164 (`+` and digits only); `InvalidPhoneNumber` when it is not a valid
    number or holds a character that no phone number has."""
    text = raw.strip()
    if not text or len(text) > MAX_INPUT:
        raise InvalidPhoneNumber(f"not a phone number: {len(text)} characters")
    for position, char in enumerate(text, start=1):
        if char not in _TYPED:
            shown = repr(char) if char.isascii() and char.isprintable() else f"U+{ord(char):04X}"
            raise InvalidPhoneNumber(
                f"not a phone number: character {position} ({shown}) is not a digit, '+', "
                "a space or ( ) . / -"
            )
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber("not a valid phone number for its country")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if not is_e164(e164):  # a number valid in its country can still be too long for E.164
        raise InvalidPhoneNumber("not a valid phone number: E.164 allows 15 digits at most")
    return e164


@functools.lru_cache(maxsize=8192)
def try_e164(raw: str, region: str = "DE") -> str | None:
    """`raw` as E.164, or None when it is not a valid number (a withheld caller ID).

    Remembered (it is pure): every lookup of a call reads the caller's number again, and
    parsing one costs more than the lookup itself.
    """
    try:
        return to_e164(raw, region)
    except InvalidPhoneNumber:
        return None


def number_fragment(text: str) -> str | None:
    """The digits to look for inside E.164 numbers when `text` reads as (part of) one.

    Only text made of digits and the punctuation people type in numbers qualifies, and
    leading zeros (a trunk `0` or international `00` prefix) are dropped, so `030 12-34`
    gives `301234`, found in `+49301234567`. None for text with letters or with fewer
    than `MIN_SEARCH_DIGITS` digits left.
    """
    if _DIALLED.fullmatch(text) is None:
        return None
    found = "".join(ch for ch in text if ch.isascii() and ch.isdigit()).lstrip("0")
    return found if len(found) >= MIN_SEARCH_DIGITS else None
