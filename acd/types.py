"""Shared vocabulary of the ACD core: time, skill requirements and timer keys.

Strategy: time is a plain ``float`` of epoch seconds handed in with every input
(docs/ARCHITECTURE.md, "The cores: events in, commands out"), so the shell can feed
``time.time()`` and a simulation can feed whatever clock it likes. Timers are data: a
`TimerKey` names one arming of one timer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

Seconds: TypeAlias = float
"""A duration, or a point in time as epoch seconds."""

Requirement: TypeAlias = tuple[tuple[str, int], ...]
"""Skills with minimum levels, sorted by skill name; empty means any member of the queue."""

CallKey: TypeAlias = tuple[int, float, int]
"""Order of a waiting call in its queue: (-priority, time it entered the queue, sequence)."""

Home: TypeAlias = tuple[str, bool] | None
"""The Asterisk server a call's caller is on, which only agents whose phones are there can
be bridged to: (server name, whether it is the default server, the first configured, whose
agents include those with no server of their own). None: the call is bound to no server
(a callback or a voicemail: nothing to bridge, or a site with no servers named), so any
agent may take it."""


def serves(server: str | None, home: Home) -> bool:
    """Whether an agent whose phone is on ``server`` (None: not set, so the default server)
    may be offered a call whose caller is at ``home``."""
    if home is None:
        return True
    name, default = home
    return server == name if server is not None else default


class TimerKind(StrEnum):
    """What a timer is for; the subject of the key says for whom."""

    RING = "ring"
    """Safety net behind the PBX's own ring timeout; subject: call id."""
    RELAX = "relax"
    """The next skill-relaxation step of a waiting call; subject: call id."""
    MAX_WAIT = "max-wait"
    """The queue's maximum wait for a call; subject: call id."""
    ANNOUNCE = "announce"
    """The next position / estimated-wait announcement; subject: call id."""
    WRAP_UP = "wrap-up"
    """End of an agent's wrap-up time; subject: agent id."""
    PBX_RETRY = "pbx-retry"
    """An agent held back after the PBX failed to ring them may take calls again; subject:
    agent id."""


WAITING_TIMERS = (TimerKind.RELAX, TimerKind.MAX_WAIT, TimerKind.ANNOUNCE)
"""Timers a call has only while it waits in line."""


@dataclass(frozen=True, slots=True)
class TimerKey:
    """Names one arming of a timer.

    ``serial`` grows with every arming, so a firing of a timer that was cancelled and armed
    again is told apart from the current one and dropped as stale.
    """

    kind: TimerKind
    subject: str
    serial: int

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.subject}#{self.serial}"


def describe_requirement(requirement: Requirement) -> str:
    """Render a requirement for people, e.g. ``billing>=4, lang-fr>=3`` or ``any member``."""
    if not requirement:
        return "any member"
    return ", ".join(f"{skill}>={level}" for skill, level in requirement)
