"""Agent-selection strategies, expressed as sort keys.

Strategy: each strategy is an ordering of the ready agents of a lane. A key is computed when
the agent enters the lane and does not change while they stay ready (idle time starts when
they become ready; calls today and proficiency only change while they are busy), so a lane
can keep its agents in a sorted list and answer "who is next" from its head. Every key ends
with the agent's configuration index, which makes the choice deterministic.

* longest idle: earliest ``idle_since`` first;
* best proficiency: highest sum of levels over the skills in force (the queue's own skills
  once any member may answer), then longest idle;
* fewest calls today: fewest answered calls, then longest idle;
* round robin: configuration order, starting after the last agent offered a call of the queue.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Protocol

from acd.config import RoutingStrategy
from acd.relaxation import proficiency
from acd.types import Requirement, Seconds

AgentKey = tuple[float, ...]
"""Sort key of a ready agent in a lane; the last element is the agent's index."""


class Ranked(Protocol):
    """What a strategy reads of an agent (`acd.model.Agent` is one)."""

    @property
    def index(self) -> int:
        """Position in the configuration: the last tie-breaker."""

    @property
    def skills(self) -> dict[str, int]:
        """Skill levels."""

    @property
    def idle_since(self) -> Seconds:
        """When the agent last became ready."""

    @property
    def calls_today(self) -> int:
        """Answered calls today."""


def agent_key(strategy: RoutingStrategy, agent: Ranked, ranked_on: Requirement) -> AgentKey:
    """The key under which ``agent`` waits in a lane of a queue using ``strategy``."""
    if strategy is RoutingStrategy.LONGEST_IDLE:
        return (agent.idle_since, agent.index)
    if strategy is RoutingStrategy.BEST_PROFICIENCY:
        return (-proficiency(agent.skills, ranked_on), agent.idle_since, agent.index)
    if strategy is RoutingStrategy.FEWEST_CALLS:
        return (agent.calls_today, agent.idle_since, agent.index)
    return (agent.index,)


def choose(strategy: RoutingStrategy, keys: list[AgentKey], last_offered: int) -> int:
    """Position in the sorted ``keys`` (non-empty) of the agent the strategy picks.

    ``last_offered`` is the index of the agent who last got a call of the queue (-1 if
    none); only round robin looks at it.
    """
    if strategy is not RoutingStrategy.ROUND_ROBIN:
        return 0
    position = bisect_right(keys, (last_offered,))
    return position if position < len(keys) else 0
