"""Domain errors raised by the ACD core.

Strategy: only *requests* (things a person asked for through the API: log in, go ready,
pause, log out, a configuration change) and queries can raise, and only with one of these
classes, so the shell can map them to an HTTP status with a message the supervisor can
read. Telephony facts never raise: a fact the core cannot apply comes back as a
`StaleFact` command instead.
"""

from __future__ import annotations

from collections.abc import Iterable


class AcdError(Exception):
    """Base class of every error the ACD core raises on purpose."""


class UnknownAgent(AcdError):
    """The request or query names an agent that is not in the configuration."""

    def __init__(self, agent_id: str) -> None:
        super().__init__(f"unknown agent {agent_id!r}")
        self.agent_id = agent_id


class UnknownQueue(AcdError):
    """A query names a queue that is not in the configuration."""

    def __init__(self, queue: str) -> None:
        super().__init__(f"unknown queue {queue!r}")
        self.queue = queue


class CallNotWaiting(AcdError):
    """A request concerns a call that is not (or no longer) waiting in line."""

    def __init__(self, call_id: str, state: str | None) -> None:
        where = "not in the ACD" if state is None else f"{state}, not waiting"
        super().__init__(f"call {call_id!r} is {where}")
        self.call_id = call_id


class IllegalTransition(AcdError):
    """An agent request is not allowed from the agent's current state.

    The message names the agent, the state they are in, what was asked and the states from
    which it would have been allowed, e.g. ``agent 'a1' cannot go ready while on_call
    (allowed from: not_ready, wrap_up)``.
    """

    def __init__(self, agent_id: str, state: str, request: str, allowed: Iterable[str]) -> None:
        allowed_text = ", ".join(sorted(allowed)) or "nowhere"
        super().__init__(
            f"agent {agent_id!r} cannot {request} while {state} (allowed from: {allowed_text})"
        )
        self.agent_id = agent_id
        self.state = state
        self.request = request


class UnknownPauseReason(AcdError):
    """A pause request carries a reason code that is not configured."""

    def __init__(self, agent_id: str, reason: str, known: Iterable[str]) -> None:
        super().__init__(
            f"agent {agent_id!r} cannot pause with unknown reason {reason!r} "
            f"(configured: {', '.join(sorted(known))})"
        )
        self.agent_id = agent_id
        self.reason = reason


class ConfigurationRefused(AcdError):
    """A configuration change would lose something live; nothing was changed.

    ``problems`` names each obstacle, e.g. ``queue 'sales' is removed but 2 calls are in
    it (1 waiting, 1 ringing)`` or ``agent 'a1' is removed but is logged in (on_call)``.
    """

    def __init__(self, version: int, problems: Iterable[str]) -> None:
        self.version = version
        self.problems = tuple(problems)
        super().__init__(f"configuration version {version} refused: " + "; ".join(self.problems))
