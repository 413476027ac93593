"""Reading a command line back into a typed command, as Asterisk's side sees it.

Strategy: split the line exactly as res_agi.c `parse_args()` does (`quoting`), find the
longest known command name among its first words (case-insensitive, as Asterisk matches
them), and build the typed command from the remaining words. A line that does not fit
a typed command (an unknown name like `FOO BAR`, `GET DATA` without a prompt, a word where
a number belongs) becomes a GenericCommand, so every line has a reading. For lines our
encoder wrote, `parse_command(c.encode()).encode() == c.encode()`; the tests check that on
every TX line in `tests/fixtures/asterisk/agi/`. A PBX simulator reads commands with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from callcenter.agi import commands as cmd
from callcenter.agi.quoting import split_like_asterisk

_INTEGER = re.compile(r"-?[0-9]{1,18}")
_NAME_WORD = re.compile(r"[A-Za-z]+")


class _Unfit(Exception):
    """The words do not make the typed command; fall back to a generic one."""


def _int(text: str) -> int:
    if _INTEGER.fullmatch(text) is None:
        raise _Unfit(text)
    return int(text)


def _arity(args: list[str], low: int, high: int) -> list[str]:
    if not low <= len(args) <= high:
        raise _Unfit(len(args))
    return args


def _optional(args: list[str], index: int) -> str | None:
    return args[index] if index < len(args) else None


def _none(args: list[str], command: cmd.AGICommand) -> cmd.AGICommand:
    _arity(args, 0, 0)
    return command


def _record(args: list[str]) -> cmd.AGICommand:
    filename, fmt, escape, timeout, *options = _arity(args, 4, 6)
    beep = options[:1] == ["BEEP"]
    silence = options[1:] if beep else options
    if len(silence) > 1 or (silence and not silence[0].startswith("s=")):
        raise _Unfit(options)
    silence_s = _int(silence[0].removeprefix("s=")) if silence else None
    return cmd.RecordFile(filename, fmt, escape, _int(timeout), beep, silence_s)


def _get_data(args: list[str]) -> cmd.AGICommand:
    prompt, *numbers = _arity(args, 1, 3)
    timeout, max_digits = (_int(number) for number in [*numbers, "0", "0"][:2])
    return cmd.GetData(
        prompt, timeout if numbers else None, max_digits if len(numbers) > 1 else None
    )


def _stream_file(args: list[str]) -> cmd.AGICommand:
    filename, escape, *offset = _arity(args, 2, 3)
    return cmd.StreamFile(filename, escape, _int(offset[0]) if offset else None)


def _exec(args: list[str]) -> cmd.AGICommand:
    application, *data = _arity(args, 1, 2)
    return cmd.Exec(application, tuple(data[0].split(",")) if data else ())


def _say_number(args: list[str]) -> cmd.AGICommand:
    number, escape, *gender = _arity(args, 2, 3)
    return cmd.SayNumber(_int(number), escape, gender[0] if gender else None)


def _say_datetime(args: list[str]) -> cmd.AGICommand:
    epoch, escape, *rest = _arity(args, 2, 4)
    return cmd.SayDatetime(_int(epoch), escape, _optional(rest, 0), _optional(rest, 1))


def _set_music(args: list[str]) -> cmd.AGICommand:
    state, *music_class = _arity(args, 1, 2)
    if state not in ("on", "off"):
        raise _Unfit(state)
    return cmd.SetMusic(state == "on", music_class[0] if music_class else None)


_BUILDERS: dict[str, Callable[[list[str]], cmd.AGICommand]] = {
    "ANSWER": lambda a: _none(a, cmd.Answer()),
    "NOOP": lambda a: _none(a, cmd.Noop()),
    "HANGUP": lambda a: cmd.Hangup(_optional(_arity(a, 0, 1), 0)),
    "CHANNEL STATUS": lambda a: cmd.ChannelStatus(_optional(_arity(a, 0, 1), 0)),
    "STREAM FILE": _stream_file,
    "GET DATA": _get_data,
    "WAIT FOR DIGIT": lambda a: cmd.WaitForDigit(_int(_arity(a, 1, 1)[0])),
    "SAY DIGITS": lambda a: cmd.SayDigits(*_arity(a, 2, 2)),
    "SAY NUMBER": _say_number,
    "SAY ALPHA": lambda a: cmd.SayAlpha(*_arity(a, 2, 2)),
    "SAY DATE": lambda a: cmd.SayDate(_int(_arity(a, 2, 2)[0]), a[1]),
    "SAY DATETIME": _say_datetime,
    "RECORD FILE": _record,
    "SET VARIABLE": lambda a: cmd.SetVariable(*_arity(a, 2, 2)),
    "GET VARIABLE": lambda a: cmd.GetVariable(_arity(a, 1, 1)[0]),
    "GET FULL VARIABLE": lambda a: cmd.GetFullVariable(_arity(a, 1, 2)[0], _optional(a, 1)),
    "EXEC": _exec,
    "VERBOSE": lambda a: cmd.Verbose(_arity(a, 2, 2)[0], _int(a[1])),
    "SET MUSIC": _set_music,
}


def parse_command(line: str | bytes) -> cmd.AGICommand:
    """The typed command a command line means (one line, with or without its LF).

    Raises UnsafeArgumentError (a ValueError) for a line with no command name, or one that
    could not be sent again safely (a CR or NUL inside).
    """
    text = line.decode("utf-8") if isinstance(line, bytes) else line
    words = split_like_asterisk(text.removesuffix("\n"))
    for size in range(min(len(words), 3), 0, -1):
        name = " ".join(words[:size]).upper()
        builder = _BUILDERS.get(name)
        if builder is None:
            continue
        try:
            return builder(words[size:])
        except (_Unfit, ValueError):
            return _generic(words, size)
    size = 0
    while size < len(words) and _NAME_WORD.fullmatch(words[size]):
        size += 1
    return _generic(words, size)


def _generic(words: list[str], size: int) -> cmd.AGICommand:
    return cmd.GenericCommand(" ".join(words[:size]).upper(), tuple(words[size:]))
