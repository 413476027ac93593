"""The live records of the core: one `Agent` per configured agent, one `Call` per call,
one `QueueRuntime` per queue.

Strategy: plain mutable objects with slots, owned by the core and never handed out (the
shell sees frozen snapshots). They carry the back-references routing needs to stay fast: an
agent knows its queues and the lanes it qualifies for, a call knows its queue and the lane
it waits in, a queue knows its members. Because they hold one another they live in one
module; the lanes (`acd.lanes`) hold only sort keys, so they need none of them.

`QueueRuntime` keeps the indexes that make routing and wallboards cheap. Lanes are created
the first time a call needs one (per requirement and callers' server), and then every
member who qualifies (skills, and a phone on that server) is linked to it once
(cost: one pass over the members, paid per distinct requirement, not per call). The line
holds every waiting call of the queue in order, so a caller's position is a bisection.
Agent counts by state are maintained on each change, not counted on demand.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass, field

from acd.config import QueueSettings
from acd.lanes import Lane
from acd.metrics import AgentCounters, QueueCounters
from acd.relaxation import RelaxationPlan, merge_requirements, qualifies
from acd.states import AgentState, CallKind, CallState
from acd.types import CallKey, Home, Requirement, Seconds, serves


@dataclass(slots=True, eq=False)
class Agent:
    """A configured agent and their live state."""

    index: int
    """Position in the configuration: a stable tie-breaker and the round-robin order."""
    id: str
    skills: dict[str, int]
    memberships: tuple[QueueRuntime, ...] = ()
    server: str | None = None
    """The Asterisk server the agent's phone is on (None: the default server); offered only
    calls whose caller is there."""
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
    rules: QueueSettings | None = None
    """Its queue's settings when the call entered it: its answer and abandon count against
    these thresholds and formula even if the queue's change while it waits (the reports
    judge each call by the rules at its entry too). None: the queue's current ones."""
    state: CallState = CallState.WAITING
    step: int = 0
    lane: Lane | None = None
    agent: Agent | None = None
    connected_at: Seconds = 0.0
    announced: bool = False
    overflow_chain: set[str] = field(default_factory=set)
    """Queues visited by overflow at this same instant, to stop an overflow loop."""
    home: Home = None
    """The server the caller is on: only agents there are offered the call (kept through
    requeues, moves and overflows, since the caller's channel stays where it is)."""

    @property
    def key(self) -> CallKey:
        """The call's place in line."""
        return (-self.priority, self.entered_at, self.seq)


class QueueRuntime:
    """One configured queue and its live indexes."""

    __slots__ = (
        "closed",
        "counters",
        "lanes",
        "last_offered",
        "line",
        "members",
        "name",
        "own_requirement",
        "plan",
        "priorities",
        "ringing",
        "settings",
        "state_counts",
        "waiting_callbacks",
    )

    def __init__(self, settings: QueueSettings, now: Seconds) -> None:
        self.settings = settings
        self.name = settings.name
        self.plan = RelaxationPlan(settings.relaxation)
        self.lanes: dict[tuple[Requirement, Home], Lane] = {}
        self.own_requirement = merge_requirements(settings.skills)
        self.members: list[Agent] = []
        self.line: list[CallKey] = []
        self.priorities: dict[int, int] = {}
        """Waiting calls per caller priority, to find the oldest call of each priority."""
        self.ringing: dict[str, Seconds] = {}
        """Entry time of the calls of this queue being offered right now."""
        self.state_counts: dict[AgentState, int] = dict.fromkeys(AgentState, 0)
        self.last_offered = -1
        self.counters = QueueCounters(period_start=now)
        self.waiting_callbacks = 0
        self.closed = False
        """Closed by its opening hours (`QueueHoursChanged`): new voice calls overflow."""

    @property
    def logged_in(self) -> int:
        """Members logged in, whatever their state."""
        return len(self.members) - self.state_counts[AgentState.LOGGED_OUT]

    @property
    def staffed(self) -> int:
        """Members working the queue: logged in and not paused."""
        return self.logged_in - self.state_counts[AgentState.NOT_READY]

    def nobody_for(self, home: Home) -> bool:
        """No member who could take a call of callers at ``home`` is logged in (with
        several servers, agents on other servers do not count)."""
        if self.logged_in == 0:
            return True
        if home is None:
            return False
        return not any(
            agent.state is not AgentState.LOGGED_OUT and serves(agent.server, home)
            for agent in self.members
        )

    @property
    def waiting(self) -> int:
        """Calls and callback entries in line (not counting those ringing an agent)."""
        return len(self.line)

    def lane_for(self, base: Requirement, step: int, home: Home = None) -> Lane:
        """The lane of calls with full requirement ``base`` at relaxation ``step`` whose
        callers are at ``home``: only the members who meet the requirement and whose phones
        are on that server are linked to it."""
        requirement = self.plan.requirement(base, step)
        lane = self.lanes.get((requirement, home))
        if lane is None:
            # Best proficiency ranks agents on the skills in force; once any member may
            # answer, on the queue's own skills, so the best of them still comes first.
            ranked_on = requirement or self.own_requirement
            lane = Lane(
                self.name, requirement, ranked_on, self.settings.strategy, self.settings.weight
            )
            self.lanes[(requirement, home)] = lane
            for agent in self.members:
                if qualifies(agent.skills, requirement) and serves(agent.server, home):
                    agent.lanes.append(lane)
                    agent.lanes_by_queue[self.name][1].append(lane)
                    if agent.listed:
                        lane.add_agent(agent)
        return lane

    def add_waiting(self, call: Call, lane: Lane | None) -> None:
        """Put ``call`` in line, in ``lane``; with no lane it keeps its place in line but
        no agent is offered it (a callback while its queue is closed)."""
        key = call.key
        if lane is not None:
            lane.add_call(key)
        call.lane = lane
        insort(self.line, key)
        self.priorities[call.priority] = self.priorities.get(call.priority, 0) + 1
        if call.kind is CallKind.CALLBACK:
            self.waiting_callbacks += 1

    def remove_waiting(self, call: Call) -> None:
        """Take ``call`` out of line."""
        key = call.key
        lane = call.lane
        if lane is not None:
            lane.remove_call(key)
            call.lane = None
        line = self.line
        del line[bisect_left(line, key)]
        remaining = self.priorities[call.priority] - 1
        if remaining:
            self.priorities[call.priority] = remaining
        else:
            del self.priorities[call.priority]
        if call.kind is CallKind.CALLBACK:
            self.waiting_callbacks -= 1

    def position(self, call: Call) -> int:
        """1-based position of a waiting call in line (higher priorities go first)."""
        return bisect_left(self.line, call.key) + 1

    def longest_wait(self, now: Seconds) -> Seconds:
        """Age of the oldest call not yet answered, ringing ones included; 0 if none."""
        oldest = now
        line = self.line
        for priority in self.priorities:
            # The first call of each priority band is the oldest of that band.
            head = line[bisect_left(line, (-priority, float("-inf"), -1))]
            oldest = min(oldest, head[1])
        if self.ringing:
            oldest = min(oldest, *self.ringing.values())
        return max(0.0, now - oldest)
