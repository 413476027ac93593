"""The moves a node makes, and the state a call carries from node to node.

Strategy: entering a node, or giving it an input, returns one `Step`: `Wait` (emit actions,
the last awaiting an answer, and stay), `Go` (emit actions and move on), `Call`/`Return`
(into and out of a sub-flow) or `End` (the IVR is over). The interpreter runs steps until one
waits or ends, which is how several nodes that need no answer pass in one `handle()`.
`Visit` is the scratch state of the node the call is in; `CallContext` what every node may
read or change: the call data, `now`, the outcome reached so far.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo

from ivr_flows.actions import (
    Collect,
    EstimateWait,
    IvrAction,
    LookupCustomer,
    LookupData,
    Play,
    RecordVoicemail,
    SayDate,
    SayDigits,
    SayNumber,
)
from ivr_flows.calendar import Calendar
from ivr_flows.inputs import (
    DigitsReceived,
    IvrInput,
    LookupAnswered,
    NoInput,
    PromptPlayed,
    RecordingDone,
    RecordingFailed,
    WaitEstimated,
)
from ivr_flows.node_base import AskingNode
from ivr_flows.vocabulary import is_phone_number


@dataclass(frozen=True, slots=True)
class Wait:
    """Emit `actions` and stay in the node; the last one awaits an input."""

    actions: tuple[IvrAction, ...]


@dataclass(frozen=True, slots=True)
class Go:
    """Emit `actions` and enter node `target` of the current flow."""

    target: str
    actions: tuple[IvrAction, ...] = ()


@dataclass(frozen=True, slots=True)
class Call:
    """Run flow `flow` from its start; on its `return`, enter `then`."""

    flow: str
    then: str


@dataclass(frozen=True, slots=True)
class Return:
    """Leave the sub-flow for the node its caller named."""


@dataclass(frozen=True, slots=True)
class End:
    """Emit `actions` and finish; `outcome` None keeps what the call achieved so far."""

    outcome: str | None
    actions: tuple[IvrAction, ...] = ()


Step = Wait | Go | Call | Return | End
"""What a node does next."""


@dataclass(slots=True)
class Visit:
    """Scratch state of the node the call is in; a fresh one on every entry."""

    awaiting: IvrAction | None = None
    attempts: int = 0
    phase: str = ""
    index: int = 0
    answers: list[tuple[str, int]] = field(default_factory=list)
    number: str | None = None


@dataclass(slots=True)
class CallContext:
    """What nodes share during one call."""

    data: dict[str, str]
    now: datetime
    default_zone: tzinfo
    calendars: Mapping[str, Calendar] = field(default_factory=dict)
    outcome: str | None = None
    dialable: Callable[[str], bool] = is_phone_number
    """Whether a number (digits, optional `+`) can be called back (the interpreter's)."""


def ask(
    prompts: tuple[str, ...],
    node: AskingNode,
    min_digits: int = 1,
    max_digits: int = 1,
    terminator: str | None = None,
) -> Wait:
    """Wait for keys: one key by default (menus, choices, ratings)."""
    return Wait((Collect(prompts, min_digits, max_digits, node.timeout_s, terminator),))


def ask_again(node: AskingNode, visit: Visit, *, no_input: bool) -> Wait | None:
    """Repeat the pending question after a retry prompt; None once the retries are used up."""
    visit.attempts += 1
    pending = visit.awaiting
    if visit.attempts > node.retries or not isinstance(pending, Collect):
        return None
    return Wait((replace(pending, prompts=node.retry_prompts(no_input) + pending.prompts),))


def answers(action: IvrAction | None, event: IvrInput) -> bool:
    """True when `event` is an answer to `action` (anything else is a stale input)."""
    match action:
        case Play(escape_digits=escape):
            return isinstance(event, PromptPlayed) or (
                isinstance(event, DigitsReceived) and bool(escape)
            )
        case Collect():
            return isinstance(event, DigitsReceived | NoInput)
        case SayDigits() | SayNumber() | SayDate():
            return isinstance(event, PromptPlayed)
        case LookupCustomer() | LookupData():
            return isinstance(event, LookupAnswered)
        case EstimateWait():
            return isinstance(event, WaitEstimated)
        case RecordVoicemail():
            return isinstance(event, RecordingDone | RecordingFailed)
    return False
