"""The outputs of the IVR interpreter: what the shell must do on the call, in order.

Strategy: imperative names, frozen dataclasses. One call to `IvrInterpreter.handle()` returns
a list whose last action either awaits an answer from the call (`awaits_input` is True: the
shell feeds the matching input back) or is `Finished`. The actions before it are carried out
without an answer: `SetLanguage`, `StoreSurvey`, `RequestCallback`, and the terminal ones
`EnqueueCall`, `Transfer`, `Hangup`. `InputIgnored` reports an input that did not fit the
moment (a stale or duplicate fact): it changed nothing and is there so nothing is dropped
silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar, Literal

CustomerKey = Literal["caller_number", "account"]
"""What a customer lookup searches by."""


@dataclass(frozen=True, slots=True)
class IvrAction:
    """Base of every action."""

    awaits_input: ClassVar[bool] = False
    """True when the shell must answer the action with an input."""


@dataclass(frozen=True, slots=True)
class Play(IvrAction):
    """Play the sounds in order; a key of `escape_digits` stops them (DigitsReceived).

    Answered by PromptPlayed, or by DigitsReceived with the key that interrupted.
    """

    awaits_input: ClassVar[bool] = True
    prompts: tuple[str, ...]
    escape_digits: str = ""


@dataclass(frozen=True, slots=True)
class Collect(IvrAction):
    """Play the prompts (interruptible by any key) and read keys.

    Input ends after `max_digits` keys, on the `terminator` key (not part of the digits),
    or after `timeout_s` without a key. Answered by DigitsReceived or NoInput.
    """

    awaits_input: ClassVar[bool] = True
    prompts: tuple[str, ...]
    min_digits: int
    max_digits: int
    timeout_s: float
    terminator: str | None


@dataclass(frozen=True, slots=True)
class SayDigits(IvrAction):
    """Say a string of digits one by one. Answered by PromptPlayed."""

    awaits_input: ClassVar[bool] = True
    digits: str


@dataclass(frozen=True, slots=True)
class SayNumber(IvrAction):
    """Say a whole number. Answered by PromptPlayed."""

    awaits_input: ClassVar[bool] = True
    number: int


@dataclass(frozen=True, slots=True)
class SayDate(IvrAction):
    """Say a calendar date. Answered by PromptPlayed."""

    awaits_input: ClassVar[bool] = True
    day: date


@dataclass(frozen=True, slots=True)
class LookupCustomer(IvrAction):
    """Find the customer by caller number or account number. Answered by LookupAnswered."""

    awaits_input: ClassVar[bool] = True
    by: CustomerKey
    key: str


@dataclass(frozen=True, slots=True)
class LookupData(IvrAction):
    """Fetch a self-service answer (e.g. an order's status). Answered by LookupAnswered."""

    awaits_input: ClassVar[bool] = True
    kind: str
    key: str


@dataclass(frozen=True, slots=True)
class EstimateWait(IvrAction):
    """Ask how long a caller would wait in `queue` now. Answered by WaitEstimated."""

    awaits_input: ClassVar[bool] = True
    queue: str


@dataclass(frozen=True, slots=True)
class RecordVoicemail(IvrAction):
    """Play the prompts, then record a message for `queue`.

    Answered by RecordingDone, or RecordingFailed when nothing could be recorded.
    """

    awaits_input: ClassVar[bool] = True
    queue: str
    prompts: tuple[str, ...]
    max_seconds: int


@dataclass(frozen=True, slots=True)
class SetLanguage(IvrAction):
    """Switch the call's language: Asterisk then picks sounds from that language."""

    language: str


@dataclass(frozen=True, slots=True)
class EnqueueCall(IvrAction):
    """Hand the call to the ACD: `queue`, extra required `skills`, `priority`, IVR data."""

    queue: str
    skills: Mapping[str, int]
    priority: int
    data: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class RequestCallback(IvrAction):
    """Register a callback to `number` for `queue`; `keep_place` ranks it from now."""

    queue: str
    number: str
    keep_place: bool
    data: Mapping[str, str]
    skills: Mapping[str, int] = field(default_factory=dict)
    priority: int = 0


@dataclass(frozen=True, slots=True)
class Transfer(IvrAction):
    """Send the call to an outside number; the IVR ends."""

    number: str


@dataclass(frozen=True, slots=True)
class StoreSurvey(IvrAction):
    """Store survey ratings (question id, 1-5) in question order.

    `complete` is False when the caller hung up before the last question.
    """

    answers: tuple[tuple[str, int], ...]
    complete: bool


@dataclass(frozen=True, slots=True)
class Hangup(IvrAction):
    """Hang up the call."""


@dataclass(frozen=True, slots=True)
class Finished(IvrAction):
    """The flow is over: its outcome, the nodes visited in order, and the data collected.

    `outcome` is what the call achieved (`queued`, `voicemail`, `callback`, `survey`,
    `transferred`, a label of the flow's hang-up node, or `abandoned` for a caller who hung
    up before anything was achieved); `hung_up` tells that the caller ended it.
    """

    outcome: str
    path: tuple[str, ...]
    data: Mapping[str, str]
    hung_up: bool


@dataclass(frozen=True, slots=True)
class InputIgnored(IvrAction):
    """An input arrived that the flow was not waiting for; it changed nothing."""

    input_name: str
    reason: str
