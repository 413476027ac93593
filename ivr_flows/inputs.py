"""The inputs of the IVR interpreter: facts about the call, each carrying `now`.

Strategy: small frozen dataclasses named in the past tense, like the ACD's events. The shell
(`callcenter.ivr.runner`) turns what Asterisk and the lookups answered into these; the
interpreter answers each with actions. `now` is a timezone-aware datetime: time is an input,
so opening hours and every test are deterministic. Everything in an input came from outside
and is checked by the interpreter before use: digits are keypad keys, at most
`vocabulary.MAX_DIGITS` of them; lookup answers are printable text of bounded length.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class IvrInput:
    """Base of every input: when it happened (timezone-aware)."""

    now: datetime

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or self.now.utcoffset() is None:
            raise ValueError("an IVR input needs a timezone-aware `now`")


@dataclass(frozen=True, slots=True)
class CallStarted(IvrInput):
    """A call entered the flow. `call` is what the PBX knows: `caller_number`, `dnis` ...

    Values that are not printable text of bounded length, and a `caller_number` that is not
    a phone number, are dropped by the interpreter.
    """

    call: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class DigitsReceived(IvrInput):
    """The caller pressed keys: the answer to a Collect, or a key that interrupted a Play."""

    digits: str


@dataclass(frozen=True, slots=True)
class NoInput(IvrInput):
    """A Collect ended with nothing entered before its timeout."""


@dataclass(frozen=True, slots=True)
class PromptPlayed(IvrInput):
    """A Play or Say action played to its end."""


@dataclass(frozen=True, slots=True)
class LookupAnswered(IvrInput):
    """The answer to a LookupCustomer or LookupData: the record's fields, None if none.

    `failed` tells that the source could not answer (a database down); the flow takes the
    not-found branch, and the shell has logged why.
    """

    fields: Mapping[str, str] | None
    failed: bool = False


@dataclass(frozen=True, slots=True)
class WaitEstimated(IvrInput):
    """The answer to EstimateWait: the expected wait in the queue, None when unknown."""

    seconds: float | None


@dataclass(frozen=True, slots=True)
class RecordingDone(IvrInput):
    """A RecordVoicemail ended (by `#`, silence, the length limit or the caller hanging up)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class RecordingFailed(IvrInput):
    """A RecordVoicemail recorded nothing: the PBX could not write the message.

    The caller is still on the line; the shell has logged why.
    """


@dataclass(frozen=True, slots=True)
class CallerHungUp(IvrInput):
    """The caller hung up; the flow ends here and reports the path so far."""
