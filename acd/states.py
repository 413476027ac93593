"""Agent and call states, and the table of moves between them.

Strategy: as in h11, the legal moves are data. `AGENT_TRANSITIONS` lists every change of
agent state the core may make (tests check every observed change against it), and
`REQUESTS_ALLOWED_FROM` says from which states a person may ask for each request; anything
else is refused with `IllegalTransition` before the core changes anything.
"""

from __future__ import annotations

from enum import StrEnum

from acd.errors import IllegalTransition


class AgentState(StrEnum):
    """Where an agent is in their working day."""

    LOGGED_OUT = "logged_out"
    READY = "ready"
    RESERVED = "reserved"
    """A call has been offered to the agent and their phone is ringing."""
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    NOT_READY = "not_ready"
    """Paused, with a reason code (break, lunch, ring-no-answer ...)."""


class CallState(StrEnum):
    """Where a call (or callback entry) is in the ACD."""

    WAITING = "waiting"
    OFFERED = "offered"
    CONNECTED = "connected"


class CallKind(StrEnum):
    """A voice call holds a phone line; a callback entry and a voicemail only hold a place
    in line. A voicemail is work offered on the agent's desktop, not their phone: accepting
    it is `OfferAnswered`, closing it `CallEnded`."""

    VOICE = "voice"
    CALLBACK = "callback"
    VOICEMAIL = "voicemail"


class CallOutcome(StrEnum):
    """The one way each call ends, recorded exactly once."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"
    OVERFLOWED = "overflowed"
    """Left for voicemail or a callback offer (an overflow to another queue is not an end)."""
    CALLBACK = "callback"
    """The caller hung up to be called back; a callback entry took their place in line."""
    TIMED_OUT = "timed_out"
    """Reached the queue's maximum wait, or found it closed, with no overflow target (the
    record's reason says which)."""


class AgentRequest(StrEnum):
    """What an agent or supervisor may ask for through the API."""

    LOG_IN = "log in"
    GO_READY = "go ready"
    PAUSE = "pause"
    LOG_OUT = "log out"


class NotReadyReason(StrEnum):
    """Reason codes the core itself assigns; configured pause reasons come on top."""

    LOGGED_IN = "logged-in"
    RING_NO_ANSWER = "ring-no-answer"
    REJECTED = "rejected"


_S = AgentState

AGENT_TRANSITIONS: frozenset[tuple[AgentState, AgentState]] = frozenset(
    {
        (_S.LOGGED_OUT, _S.READY),
        (_S.LOGGED_OUT, _S.NOT_READY),
        (_S.READY, _S.RESERVED),
        (_S.READY, _S.NOT_READY),
        (_S.READY, _S.LOGGED_OUT),
        (_S.RESERVED, _S.ON_CALL),
        (_S.RESERVED, _S.NOT_READY),  # ring-no-answer or rejected
        (_S.RESERVED, _S.READY),  # the caller hung up, or the PBX could not ring the phone
        (_S.RESERVED, _S.LOGGED_OUT),
        (_S.ON_CALL, _S.WRAP_UP),
        (_S.ON_CALL, _S.READY),  # queues without wrap-up time
        (_S.WRAP_UP, _S.READY),
        (_S.WRAP_UP, _S.NOT_READY),
        (_S.WRAP_UP, _S.LOGGED_OUT),
        (_S.NOT_READY, _S.READY),
        (_S.NOT_READY, _S.NOT_READY),  # a new reason code
        (_S.NOT_READY, _S.LOGGED_OUT),
    }
)
"""Every change of agent state the core may make."""

REQUESTS_ALLOWED_FROM: dict[AgentRequest, frozenset[AgentState]] = {
    AgentRequest.LOG_IN: frozenset({_S.LOGGED_OUT}),
    # Ready while ready is a harmless double click, accepted and ignored.
    AgentRequest.GO_READY: frozenset({_S.NOT_READY, _S.WRAP_UP, _S.READY}),
    AgentRequest.PAUSE: frozenset({_S.READY, _S.NOT_READY, _S.WRAP_UP}),
    # Logging out while the phone rings withdraws the offer; while talking it is refused.
    AgentRequest.LOG_OUT: frozenset({_S.READY, _S.NOT_READY, _S.WRAP_UP, _S.RESERVED}),
}
"""From which states each request is allowed."""


def check_request(agent_id: str, state: AgentState, request: AgentRequest) -> None:
    """Raise `IllegalTransition` unless ``request`` is allowed from ``state``."""
    allowed = REQUESTS_ALLOWED_FROM[request]
    if state not in allowed:
        raise IllegalTransition(agent_id, state.value, request.value, (s.value for s in allowed))
