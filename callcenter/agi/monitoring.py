"""What the FastAGI server tells the rest of the shell: session reports and counters.

Strategy: the server reports, it does not decide. Each connection ends in exactly one
`SessionOutcome`; an observer callback receives a `SessionStarted` when a routed call
begins and a `SessionEnded` when its socket is closed, and `ServerCounters` adds them up
for metrics. Reports carry the uniqueid and channel, never the caller's number.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeAlias


class SessionOutcome(enum.Enum):
    """How one FastAGI connection ended."""

    COMPLETED = "completed"
    """The handler returned."""
    HANGUP = "hangup"
    """The handler ended on AGIHangup: the caller left (or was bridged away)."""
    HANDLER_ERROR = "handler_error"
    """The handler raised something else; it was logged."""
    TIMEOUT = "timeout"
    """Asterisk stayed silent longer than the idle or command timeout."""
    PROTOCOL_ERROR = "protocol_error"
    """The peer sent something that is not AGI, or too much of it."""
    UNROUTED = "unrouted"
    """No handler for the script path."""
    CLOSED_EARLY = "closed_early"
    """The peer closed before its environment was complete (a probe, a port scan)."""
    REFUSED = "refused"
    """Over the concurrency bound: closed at once."""
    CANCELLED = "cancelled"
    """Cancelled by server shutdown after the grace period."""


@dataclass(frozen=True, slots=True)
class SessionStarted:
    """A routed call's handler is about to run."""

    uniqueid: str
    channel: str
    script: str


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """A connection is closed; `uniqueid` etc. are empty when no environment was read."""

    outcome: SessionOutcome
    uniqueid: str
    channel: str
    script: str
    commands: int
    duration_s: float


SessionEvent: TypeAlias = SessionStarted | SessionEnded
"""What an observer receives."""

SessionObserver: TypeAlias = Callable[[SessionEvent], None]
"""A callback the server calls for every session event; it must not block."""


@dataclass(slots=True)
class ServerCounters:
    """Running totals since the server started, for metrics."""

    accepted: int = 0
    commands: int = 0
    outcomes: dict[SessionOutcome, int] = field(
        default_factory=lambda: dict.fromkeys(SessionOutcome, 0)
    )
    refused: Counter[str] = field(default_factory=Counter)
    """Connections closed before they became a call, by why: `peer_not_allowed`,
    `peer_sessions` (the peer's session cap), `sessions` (the server's), `silent` (made
    room for a newer connection while sending nothing), `environment_timeout`."""

    def record(self, ended: SessionEnded) -> None:
        """Add one ended session to the totals."""
        self.commands += ended.commands
        self.outcomes[ended.outcome] += 1
