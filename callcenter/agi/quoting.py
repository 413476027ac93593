"""How an argument is written so that Asterisk reads back exactly that argument.

Strategy: res_agi.c `parse_args()` splits a command line on spaces and tabs; a `"` toggles
quoting, and a backslash makes the next character literal, quotes and backslashes
included. So a word with no space, tab, quote or backslash goes bare (`beep`,
`default,30`, `CALLERID(num)`), and anything else goes in double quotes with `\\` and `"`
escaped; the empty string is `""`. Some arguments are quoted even when bare would do,
because that is what the recordings in `tests/fixtures/asterisk/agi/` show Asterisk
expecting: escape digits (`"0123456789#*"`, `""`) and the VERBOSE message (`"hello"`).

No quoting survives a line break: Asterisk reads one command per line, so CR, LF and NUL
are refused outright, as is a line longer than Asterisk's buffer (AGI_BUF_LEN, 2048 bytes
with its terminator), whose tail Asterisk would read as the next command.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from callcenter.agi.errors import UnsafeArgumentError

MAX_COMMAND_BYTES = 2047
"""The longest command line, LF included, that Asterisk reads as one line."""

_FORBIDDEN = re.compile(r"[\r\n\x00]")
_VERB = re.compile(r"[A-Z]+(?: [A-Z]+)*")


def check_safe(text: str, what: str) -> str:
    """Return `text` unchanged, or raise UnsafeArgumentError if it holds CR, LF or NUL."""
    # Three substring tests cost less than one regex search, on every word of every command.
    if "\r" in text or "\n" in text or "\x00" in text:
        found = _FORBIDDEN.search(text)
        assert found is not None
        raise UnsafeArgumentError(
            f"{what} contains {found.group()!r}, which would end the AGI command line early"
        )
    return text


def quoted(text: str, what: str = "argument") -> str:
    """Always quote: `"..."` with backslashes and double quotes escaped."""
    check_safe(text, what)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def word(text: str, what: str = "argument") -> str:
    """Write `text` bare when Asterisk reads it back as one word, else quoted."""
    check_safe(text, what)
    if text and not (" " in text or "\t" in text or '"' in text or "\\" in text):
        return text
    return quoted(text, what)


def verb(name: str) -> str:
    """Check a command name: upper-case words separated by single spaces (`GET DATA`)."""
    if _VERB.fullmatch(name) is None:
        raise UnsafeArgumentError(f"not an AGI command name: {name!r}")
    return name


def encode_line(tokens: Iterable[str]) -> bytes:
    """Join already-written tokens into one LF-terminated line, checking its length."""
    try:
        line = (" ".join(tokens) + "\n").encode("utf-8")
    except UnicodeEncodeError as error:
        raise UnsafeArgumentError(f"AGI command is not valid text: {error.reason}") from error
    if len(line) > MAX_COMMAND_BYTES:
        raise UnsafeArgumentError(
            f"AGI command is {len(line)} bytes; Asterisk reads at most {MAX_COMMAND_BYTES}"
        )
    return line


def split_like_asterisk(line: str) -> list[str]:
    """Split a command line the way res_agi.c `parse_args()` does (used to check quoting)."""
    words: list[str] = []
    current: list[str] | None = None
    quoting = escaped = False
    for char in line:
        if char == '"' and not escaped:
            quoting = not quoting
            if quoting and current is None:
                current = []
            continue
        if char in " \t" and not quoting and not escaped:
            if current is not None:
                words.append("".join(current))
            current = None
            continue
        if char == "\\" and not escaped:
            escaped = True
            continue
        if current is None:
            current = []
        current.append(char)
        escaped = False
    if current is not None:
        words.append("".join(current))
    return words
