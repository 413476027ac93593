"""The live records of the core: one `Agent` per configured agent, one `Call` per call.

Strategy: plain mutable dataclasses with slots, owned by the core and never handed out (the
shell sees frozen snapshots). They carry the back-references routing needs to stay fast: an
agent knows the lanes it qualifies for, a call knows the lane it waits in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from acd.metrics import AgentCounters
from acd.states import AgentState, CallKind, CallState
from acd.types import Requirement, Seconds

if TYPE_CHECKING:
    from acd.lanes import Lane
    from acd.queues import QueueRuntime

CallKey = tuple[int, float, int]
"""Order of a waiting call in its queue: (-priority, time it entered the queue, sequence)."""


@dataclass(slots=True, eq=False)
class Agent:
    """A configured agent and their live state."""

    index: int
    """Position in the configuration: a stable tie-breaker and the round-robin order."""
    id: str
    skills: dict[str, int]
    memberships: tuple[QueueRuntime, ...] = ()
    state: AgentState = AgentState.LOGGED_OUT
    reason: str | None = None
    since: Seconds = 0.0
    """When the agent entered the current state."""
    accounted_at: Seconds = 0.0
    """Time in the current state is credited to the counters from here on."""
    idle_since: Seconds = 0.0
    """When the agent last became ready: the longest-idle order."""
    idle_since_before_offer: Seconds = 0.0
    """Restored when an offer is withdrawn through no fault of the agent."""
    call: Call | None = None
    """The call offered to or connected with the agent."""
    listed: bool = False
    """In the lanes, to be offered calls: ready, and not held back after a PBX failure."""
    lanes: list[Lane] = field(default_factory=list)
    """Lanes (across the agent's queues) whose requirement the agent meets."""
    lanes_by_queue: dict[str, tuple[float, list[Lane]]] = field(default_factory=dict)
    """The same lanes per queue, with the queue's weight: heads compare within a queue."""
    calls_today: int = 0
    last_queue: QueueRuntime | None = None
    """Queue of the call being wrapped up, to which its handle time is credited."""
    last_talk: Seconds = 0.0
    counters: AgentCounters = field(default_factory=AgentCounters)


@dataclass(slots=True, eq=False)
class Call:
    """A voice call or callback entry, from queueing until it is answered or ends."""

    seq: int
    """Order of entry into the current queue; breaks ties between equal entry times."""
    id: str
    kind: CallKind
    queue: QueueRuntime
    priority: int
    own_skills: dict[str, int]
    """Skills the call itself asks for, on top of the queue's."""
    base: Requirement
    """The full requirement: queue skills merged with the call's own (step 0)."""
    entered_at: Seconds
    """When the call entered its current queue; kept when it is requeued."""
    state: CallState = CallState.WAITING
    step: int = 0
    lane: Lane | None = None
    agent: Agent | None = None
    connected_at: Seconds = 0.0
    announced: bool = False
    overflow_chain: set[str] = field(default_factory=set)
    """Queues visited by overflow at this same instant, to stop an overflow loop."""

    @property
    def key(self) -> CallKey:
        """The call's place in line."""
        return (-self.priority, self.entered_at, self.seq)
