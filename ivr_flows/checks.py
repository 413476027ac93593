"""Checks on what a caller keyed in: keypad keys only, length, pattern, Luhn check digit.

Strategy: pure functions on text; nothing here trusts its input. A collect node builds a
`DigitsRule` from its settings and asks it about each entry; the answer is the cleaned
digits or None (an invalid entry, which makes the node ask again).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ivr_flows.vocabulary import is_keypad_entry


def luhn_valid(digits: str) -> bool:
    """True when the last digit is the Luhn check digit of the others (cards, accounts).

    The Luhn algorithm: from the right, double every second digit, subtract 9 from doubles
    above 9, and the sum must be a multiple of 10. Fewer than two digits never pass.
    """
    if len(digits) < 2 or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a flow's pattern, or ValueError saying why it is not a regular expression."""
    try:
        return re.compile(pattern)
    except re.error as error:
        raise ValueError(f"{pattern!r} is not a regular expression: {error}") from None


@dataclass(frozen=True, slots=True)
class DigitsRule:
    """What an entry must be: `min_length`..`max_length` digits, a pattern, a Luhn check."""

    min_length: int
    max_length: int
    terminator: str | None = None
    pattern: str | None = None
    luhn: bool = False

    def clean(self, entry: str) -> str | None:
        """The digits of `entry` (without a trailing terminator), or None if invalid."""
        if not is_keypad_entry(entry):
            return None
        if self.terminator is not None and entry.endswith(self.terminator):
            entry = entry[: -len(self.terminator)]
        if not (entry.isascii() and entry.isdigit()):
            return None
        if not self.min_length <= len(entry) <= self.max_length:
            return None
        if self.pattern is not None and compile_pattern(self.pattern).fullmatch(entry) is None:
            return None
        if self.luhn and not luhn_valid(entry):
            return None
        return entry
