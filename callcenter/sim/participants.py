"""The people around the simulated PBX: callers with a script, agents with a phone.

Strategy: participants are plain frozen data; the PBX reads them. A caller's `steps` are
consumed one per prompt that accepts digits (a STREAM FILE or SAY with escape digits,
GET DATA, WAIT FOR DIGIT, RECORD FILE): `Press("23#")` presses those keys `after_s` into
the prompt, `Silence()` lets the prompt run out. Prompts that take no digits consume
nothing. Once the steps run out the caller presses nothing. `survey_answers` feed the
survey session the same way. A `CallRecord` is what happened, for tests to assert on; a
`PhoneRing` is what one phone saw of one Originate.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Press:
    """Press `digits` `after_s` seconds into the next prompt that accepts digits."""

    digits: str
    after_s: float = 0.3


@dataclass(frozen=True, slots=True)
class Silence:
    """Press nothing at the next prompt that accepts digits (it times out)."""


Step = Press | Silence


@dataclass(frozen=True, slots=True)
class CallerScript:
    """How one simulated caller behaves.

    `number` / `name`: caller ID; `dialled`: the DID (agi_dnid / agi_extension);
    `steps`: digits per prompt; `patience_s`: seconds on hold (EXEC MusicOnHold, summed)
    before hanging up, None to wait for ever; `hangup_after_s`: hang up this long after
    the call starts, whatever happens; `talk_s`: hang up this long after being connected to
    an agent (None: wait for the agent to end it); `survey_answers`: digits pressed in the
    survey session, one entry per prompt.
    """

    number: str
    dialled: str = "100"
    name: str = ""
    steps: tuple[Step, ...] = ()
    patience_s: float | None = None
    hangup_after_s: float | None = None
    talk_s: float | None = None
    survey_answers: tuple[str, ...] = ()


class PhoneMode(enum.Enum):
    """What an agent phone does when it rings."""

    ANSWER = "answer"
    NO_ANSWER = "no_answer"
    BUSY = "busy"


@dataclass(frozen=True, slots=True)
class AgentPhone:
    """A SIP phone on PJSIP endpoint `endpoint` (e.g. `agent1001`).

    Rings `answer_after_s` then answers (ANSWER), rings until the Originate times out
    (NO_ANSWER), or answers 486 Busy Here (BUSY). After answering it hangs up after
    `talk_s` seconds, or never (None: the other side ends the call). `registered=False`
    models a softphone that is configured but not registered (PJSIPShowEndpoints lists no
    contact); the other behaviour is unchanged.
    """

    endpoint: str
    mode: PhoneMode = PhoneMode.ANSWER
    answer_after_s: float = 1.0
    talk_s: float | None = None
    number: str = ""
    name: str = ""
    registered: bool = True

    @property
    def caller_num(self) -> str:
        """The phone's own caller ID number (digits of the endpoint name by default)."""
        return self.number or "".join(c for c in self.endpoint if c.isdigit()) or self.endpoint

    @property
    def caller_name(self) -> str:
        """The phone's own caller ID name."""
        return self.name or f"Agent {self.caller_num}"


@dataclass(frozen=True, slots=True)
class Callee:
    """A customer an agent-first callback dials through the trunk (number `number`).

    Answers after `answer_after_s` (ANSWER), rings until the Dial gives up (NO_ANSWER), or
    answers 486 Busy Here (BUSY); once answered hangs up after `talk_s`, or never (None:
    the agent ends the call). `then`: how the number behaves from the next call on (busy
    now, answers the retry). `steps`: the keys pressed, one entry per prompt that takes
    digits, when the call is the automated follow-up's IVR (`sim.trunk_originate`).
    """

    number: str
    mode: PhoneMode = PhoneMode.ANSWER
    answer_after_s: float = 1.0
    talk_s: float | None = None
    then: Callee | None = None
    steps: tuple[Step, ...] = ()


@dataclass
class CallRecord:
    """What happened on one simulated call, in the order it happened."""

    caller: str
    dialled: str
    channel: str = ""
    uniqueid: str = ""
    scripts: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    digits_sent: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    agents_rung: list[str] = field(default_factory=list)
    bridged_to: str | None = None
    hold_s: float = 0.0
    survey_answers: list[str] = field(default_factory=list)
    hung_up_by: str | None = None
    """`caller`, `agent`, `agi` (the server sent HANGUP), `ami` (a Hangup action) or `pbx`
    (also for a call Asterisk refused: no RTP port)."""
    abandoned: bool = False
    """True when the caller hung up before ever being connected to an agent."""


@dataclass
class PhoneRing:
    """What a phone saw of one Originate to it, for tests to assert on."""

    endpoint: str
    channel: str
    uniqueid: str
    outcome: str = "ringing"
    """`ringing`, then `answered`, `cancelled` (hung up by an AMI Hangup while it rang),
    `no-answer` (the Originate's timeout), `busy`, or `failed` (never rang: no media port)."""
    bridged_to: str | None = None
    """The caller's channel the answered phone was bridged with (None: nobody to talk to)."""
    hung_up_by: str | None = None
    """Who ended the channel: `agent` (the phone), `ami` (a Hangup action), `caller`,
    `pbx` (Asterisk itself: the Originate's timeout, or nobody left to bridge)."""
