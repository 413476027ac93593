"""The live side of one queue: its lanes, its line of waiting calls, its members.

Strategy: `QueueRuntime` keeps the indexes that make routing and wallboards cheap. Lanes are
created the first time a call needs one, and then every member who qualifies is linked to it
once (cost: one pass over the members, paid per distinct requirement, not per call). The
line holds every waiting call of the queue in order, so a caller's position is a bisection.
Agent counts by state are maintained on each change, not counted on demand.
"""

from __future__ import annotations

from bisect import bisect_left, insort

from acd.config import QueueSettings
from acd.lanes import Lane
from acd.metrics import QueueCounters
from acd.model import Agent, Call, CallKey
from acd.relaxation import RelaxationPlan, merge_requirements, qualifies
from acd.states import AgentState, CallKind
from acd.types import Requirement, Seconds


class QueueRuntime:
    """One configured queue and its live indexes."""

    __slots__ = (
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
        self.lanes: dict[Requirement, Lane] = {}
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

    @property
    def logged_in(self) -> int:
        """Members logged in, whatever their state."""
        return len(self.members) - self.state_counts[AgentState.LOGGED_OUT]

    @property
    def staffed(self) -> int:
        """Members working the queue: logged in and not paused."""
        return self.logged_in - self.state_counts[AgentState.NOT_READY]

    @property
    def waiting(self) -> int:
        """Calls and callback entries in line (not counting those ringing an agent)."""
        return len(self.line)

    def lane_for(self, base: Requirement, step: int) -> Lane:
        """The lane of calls with full requirement ``base`` at relaxation ``step``."""
        requirement = self.plan.requirement(base, step)
        lane = self.lanes.get(requirement)
        if lane is None:
            # Best proficiency ranks agents on the skills in force; once any member may
            # answer, on the queue's own skills, so the best of them still comes first.
            ranked_on = requirement or self.own_requirement
            lane = Lane(
                self.name, requirement, ranked_on, self.settings.strategy, self.settings.weight
            )
            self.lanes[requirement] = lane
            for agent in self.members:
                if qualifies(agent.skills, requirement):
                    agent.lanes.append(lane)
                    agent.lanes_by_queue[self.name][1].append(lane)
                    if agent.listed:
                        lane.add_agent(agent)
        return lane

    def add_waiting(self, call: Call, lane: Lane) -> None:
        """Put ``call`` in line, in ``lane``."""
        key = call.key
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
