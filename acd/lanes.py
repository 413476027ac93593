"""Lanes: where waiting calls and ready agents of one requirement meet.

Strategy: a lane is (queue, requirement in force, the callers' Asterisk server: an agent
can be bridged only to a caller on the server their phone is on). It holds its waiting
calls sorted by `CallKey` and its ready, eligible agents sorted by the queue's strategy key.
The core keeps one invariant: after every input, no lane has both a waiting call and a ready
agent. So a new call only looks at its own lane's first agent, and a newly ready agent only
compares the first call of each lane it qualifies for - no scan over all calls or agents.
Sorted lists with `bisect` keep removal (abandons, pauses) exact and cheap.
"""

from __future__ import annotations

from bisect import bisect_left, insort

from acd.config import RoutingStrategy
from acd.strategies import AgentKey, Ranked, agent_key, choose
from acd.types import CallKey, Requirement


class Lane:
    """Waiting calls and ready agents of one queue under one requirement."""

    __slots__ = (
        "agent_keys",
        "agents",
        "calls",
        "queue_name",
        "ranked_on",
        "requirement",
        "strategy",
        "weight",
    )

    def __init__(
        self,
        queue_name: str,
        requirement: Requirement,
        ranked_on: Requirement,
        strategy: RoutingStrategy,
        weight: float,
    ) -> None:
        self.queue_name = queue_name
        self.requirement = requirement
        self.ranked_on = ranked_on
        """Skills whose levels the best-proficiency strategy sums."""
        self.strategy = strategy
        self.weight = weight
        self.calls: list[CallKey] = []
        self.agents: list[AgentKey] = []
        self.agent_keys: dict[int, AgentKey] = {}

    def add_call(self, key: CallKey) -> None:
        """Put a waiting call in line."""
        insort(self.calls, key)

    def remove_call(self, key: CallKey) -> None:
        """Take a call out of line (offered, abandoned, relaxed, overflowed)."""
        calls = self.calls
        del calls[bisect_left(calls, key)]

    def add_agent(self, agent: Ranked) -> None:
        """Add a ready agent under the strategy's key."""
        key = agent_key(self.strategy, agent, self.ranked_on)
        self.agent_keys[agent.index] = key
        insort(self.agents, key)

    def remove_agent(self, agent: Ranked) -> None:
        """Remove an agent who is no longer ready."""
        key = self.agent_keys.pop(agent.index)
        agents = self.agents
        del agents[bisect_left(agents, key)]

    def chosen_agent_index(self, last_offered: int) -> int:
        """Index of the agent the strategy picks (the lane must have a ready agent)."""
        keys = self.agents
        return int(keys[choose(self.strategy, keys, last_offered)][-1])
