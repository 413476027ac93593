"""The AGI commands the product sends, as small frozen values that encode themselves.

Strategy: each command knows its words; `quoting` writes each word so that Asterisk reads
it back unchanged, and a command that could not be sent safely fails when it is built
(UnsafeArgumentError), long before a socket. The bytes match what the recordings in
`tests/fixtures/asterisk/agi/` show a working server sending, e.g.
`STREAM FILE demo-congrats "0123456789#*"`, `GET DATA beep 3000 4`, `SAY NUMBER 42 ""`,
`VERBOSE "hello" 1`, `EXEC MusicOnHold default,30`, `SET VARIABLE IVR_RESULT sales`.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from callcenter.agi.errors import UnsafeArgumentError
from callcenter.agi.quoting import encode_line, quoted, verb, word

_APPLICATION = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class AGICommand(ABC):
    """One AGI command. Subclasses are frozen dataclasses checked when built."""

    _wire: bytes = field(init=False, repr=False, compare=False)

    @abstractmethod
    def tokens(self) -> tuple[str, ...]:
        """The command's words as they go on the wire (already quoted)."""

    def encode(self) -> bytes:
        """The command line, LF-terminated, as bytes for the socket."""
        return self._wire

    def __post_init__(self) -> None:
        # Encoding once, at construction, makes an unsafe command impossible to hold.
        object.__setattr__(self, "_wire", encode_line(self.tokens()))


@dataclass(frozen=True, slots=True)
class Answer(AGICommand):
    """ANSWER: answer the channel. Reply `200 result=0`, or -1 when it fails."""

    def tokens(self) -> tuple[str, ...]:
        return ("ANSWER",)


@dataclass(frozen=True, slots=True)
class Hangup(AGICommand):
    """HANGUP [channel]: hang up this channel, or the named one."""

    channel: str | None = None

    def tokens(self) -> tuple[str, ...]:
        return ("HANGUP",) if self.channel is None else ("HANGUP", word(self.channel))


@dataclass(frozen=True, slots=True)
class StreamFile(AGICommand):
    """STREAM FILE: play a sound file; a digit of `escape_digits` interrupts it."""

    filename: str
    escape_digits: str = ""
    offset: int | None = None

    def tokens(self) -> tuple[str, ...]:
        words = ("STREAM FILE", word(self.filename), quoted(self.escape_digits))
        return words if self.offset is None else (*words, str(self.offset))


@dataclass(frozen=True, slots=True)
class GetData(AGICommand):
    """GET DATA: play a prompt and collect up to `max_digits` DTMF digits (`#` ends)."""

    prompt: str
    timeout_ms: int | None = None
    max_digits: int | None = None

    def tokens(self) -> tuple[str, ...]:
        words: tuple[str, ...] = ("GET DATA", word(self.prompt))
        if self.timeout_ms is not None or self.max_digits is not None:
            # Asterisk reads the timeout by position; 0 asks for its default.
            words = (*words, str(self.timeout_ms or 0))
        if self.max_digits is not None:
            words = (*words, str(self.max_digits))
        return words


@dataclass(frozen=True, slots=True)
class WaitForDigit(AGICommand):
    """WAIT FOR DIGIT: wait up to `timeout_ms` for one digit (-1 waits for ever)."""

    timeout_ms: int = -1

    def tokens(self) -> tuple[str, ...]:
        return ("WAIT FOR DIGIT", str(self.timeout_ms))


@dataclass(frozen=True, slots=True)
class SayDigits(AGICommand):
    """SAY DIGITS: say a string of digits one by one."""

    digits: str
    escape_digits: str = ""

    def tokens(self) -> tuple[str, ...]:
        return ("SAY DIGITS", word(self.digits), quoted(self.escape_digits))


@dataclass(frozen=True, slots=True)
class SayNumber(AGICommand):
    """SAY NUMBER: say a whole number ("forty-two")."""

    number: int
    escape_digits: str = ""
    gender: str | None = None

    def tokens(self) -> tuple[str, ...]:
        words = ("SAY NUMBER", str(self.number), quoted(self.escape_digits))
        return words if self.gender is None else (*words, word(self.gender))


@dataclass(frozen=True, slots=True)
class SayAlpha(AGICommand):
    """SAY ALPHA: spell a string letter by letter."""

    text: str
    escape_digits: str = ""

    def tokens(self) -> tuple[str, ...]:
        return ("SAY ALPHA", word(self.text), quoted(self.escape_digits))


@dataclass(frozen=True, slots=True)
class SayDate(AGICommand):
    """SAY DATE: say the date of a Unix time (seconds since the epoch, UTC)."""

    epoch_seconds: int
    escape_digits: str = ""

    def tokens(self) -> tuple[str, ...]:
        return ("SAY DATE", str(self.epoch_seconds), quoted(self.escape_digits))


@dataclass(frozen=True, slots=True)
class SayDatetime(AGICommand):
    """SAY DATETIME: say a Unix time in a voicemail.conf-style format and time zone."""

    epoch_seconds: int
    escape_digits: str = ""
    format: str | None = None
    timezone: str | None = None

    def tokens(self) -> tuple[str, ...]:
        words: tuple[str, ...] = (
            "SAY DATETIME",
            str(self.epoch_seconds),
            quoted(self.escape_digits),
        )
        if self.format is None:
            if self.timezone is not None:
                raise UnsafeArgumentError("SAY DATETIME takes a time zone only after a format")
            return words
        words = (*words, quoted(self.format, "format"))
        return words if self.timezone is None else (*words, word(self.timezone))


@dataclass(frozen=True, slots=True)
class RecordFile(AGICommand):
    """RECORD FILE: record the caller until a digit, the timeout, silence or hang-up."""

    filename: str
    fmt: str = "wav"
    escape_digits: str = "#"
    timeout_ms: int = -1
    beep: bool = True
    silence_s: int | None = None

    def tokens(self) -> tuple[str, ...]:
        words: tuple[str, ...] = (
            "RECORD FILE",
            word(self.filename),
            word(self.fmt),
            quoted(self.escape_digits),
            str(self.timeout_ms),
        )
        # res_agi.c beeps when the 7th word is not a number and holds no '='; `s=N` holds one.
        if self.beep:
            words = (*words, "BEEP")
        if self.silence_s is not None:
            words = (*words, f"s={self.silence_s}")
        return words


@dataclass(frozen=True, slots=True)
class SetVariable(AGICommand):
    """SET VARIABLE: set a channel variable (Asterisk does no `${}` expansion of it)."""

    name: str
    value: str

    def tokens(self) -> tuple[str, ...]:
        return ("SET VARIABLE", word(self.name, "variable name"), word(self.value, "value"))


@dataclass(frozen=True, slots=True)
class GetVariable(AGICommand):
    """GET VARIABLE: read a channel variable or a function such as `CALLERID(num)`."""

    name: str

    def tokens(self) -> tuple[str, ...]:
        return ("GET VARIABLE", word(self.name, "variable name"))


@dataclass(frozen=True, slots=True)
class GetFullVariable(AGICommand):
    """GET FULL VARIABLE: expand a dialplan expression such as `${CALLERID(num)}`.

    Asterisk evaluates the expression, functions included: never build it from caller input.
    """

    expression: str
    channel: str | None = None

    def tokens(self) -> tuple[str, ...]:
        words = ("GET FULL VARIABLE", word(self.expression, "expression"))
        return words if self.channel is None else (*words, word(self.channel))


@dataclass(frozen=True, slots=True)
class Exec(AGICommand):
    """EXEC: run a dialplan application; its arguments are joined with `,`.

    An argument holding a `,` is refused: the application would read it as two arguments.
    """

    application: str
    arguments: tuple[str, ...] = ()

    def tokens(self) -> tuple[str, ...]:
        if _APPLICATION.fullmatch(self.application) is None:
            raise UnsafeArgumentError(f"not a dialplan application name: {self.application!r}")
        for argument in self.arguments:
            if "," in argument:
                raise UnsafeArgumentError(
                    f"EXEC argument {argument!r} contains ',', which would split it in two"
                )
        if not self.arguments:
            return ("EXEC", self.application)
        return ("EXEC", self.application, word(",".join(self.arguments), "application data"))


@dataclass(frozen=True, slots=True)
class Verbose(AGICommand):
    """VERBOSE: write a message to Asterisk's verbose log at `level`."""

    message: str
    level: int = 1

    def tokens(self) -> tuple[str, ...]:
        return ("VERBOSE", quoted(self.message, "message"), str(self.level))


@dataclass(frozen=True, slots=True)
class ChannelStatus(AGICommand):
    """CHANNEL STATUS: the channel state as a number (6 = up)."""

    channel: str | None = None

    def tokens(self) -> tuple[str, ...]:
        words = ("CHANNEL STATUS",)
        return words if self.channel is None else (*words, word(self.channel))


@dataclass(frozen=True, slots=True)
class SetMusic(AGICommand):
    """SET MUSIC: start or stop music on hold, of a class if given."""

    on: bool
    music_class: str | None = None

    def tokens(self) -> tuple[str, ...]:
        words = ("SET MUSIC", "on" if self.on else "off")
        return words if self.music_class is None else (*words, word(self.music_class))


@dataclass(frozen=True, slots=True)
class Noop(AGICommand):
    """NOOP: do nothing; a cheap round trip."""

    def tokens(self) -> tuple[str, ...]:
        return ("NOOP",)


@dataclass(frozen=True, slots=True)
class GenericCommand(AGICommand):
    """Any other command: an upper-case name and arguments, each quoted when needed."""

    name: str
    arguments: tuple[str, ...] = ()

    def tokens(self) -> tuple[str, ...]:
        return (verb(self.name), *(word(argument) for argument in self.arguments))
