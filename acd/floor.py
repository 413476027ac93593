"""The floor: every live queue, agent and call, the clock, and the armed timers.

Strategy: one plain object holds the whole mutable state, so the flows that change it
(routing, queueing, agent and call handling) share it without globals, and a snapshot reads
it without copying. Agent state changes go through `set_agent_state`, the one place that
keeps time-in-state, per-queue counts and the published state in step.
"""

from __future__ import annotations

from acd.commands import Command, PublishAgentState
from acd.config import AcdSettings
from acd.errors import UnknownAgent, UnknownQueue
from acd.model import Agent, Call, QueueRuntime
from acd.states import AgentState
from acd.timers import TimerBook
from acd.types import Seconds


class Floor:
    """The live state of the ACD."""

    __slots__ = (
        "_seq",
        "agents",
        "agents_by_index",
        "calls",
        "calls_by_seq",
        "now",
        "pause_reasons",
        "pbx_failures",
        "queues",
        "settings",
        "timers",
    )

    def __init__(self, settings: AcdSettings, now: Seconds) -> None:
        self.settings = settings
        self.now = now
        self.queues: dict[str, QueueRuntime] = {
            queue.name: QueueRuntime(queue, now) for queue in settings.queues
        }
        self.agents: dict[str, Agent] = {}
        self.agents_by_index: list[Agent] = []
        for index, configured in enumerate(settings.agents):
            memberships = tuple(self.queues[name] for name in dict.fromkeys(configured.queues))
            agent = Agent(
                index,
                configured.id,
                dict(configured.skills),
                memberships,
                since=now,
                accounted_at=now,
            )
            self.agents[agent.id] = agent
            self.agents_by_index.append(agent)
            for queue in memberships:
                agent.lanes_by_queue[queue.name] = (queue.settings.weight, [])
                queue.members.append(agent)
                queue.state_counts[AgentState.LOGGED_OUT] += 1
        self.calls: dict[str, Call] = {}
        self.calls_by_seq: dict[int, Call] = {}
        self.timers = TimerBook()
        self.pause_reasons = frozenset(settings.pause_reasons)
        self.pbx_failures = 0
        """Offers in a row the PBX could not place (the retry delay doubles with each)."""
        self._seq = 0

    def next_seq(self) -> int:
        """A new sequence number: orders calls that entered a queue at the same instant."""
        self._seq += 1
        return self._seq

    def agent(self, agent_id: str) -> Agent:
        """The agent with this id, or `UnknownAgent`."""
        agent = self.agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(agent_id)
        return agent

    def queue(self, name: str) -> QueueRuntime:
        """The queue with this name, or `UnknownQueue`."""
        queue = self.queues.get(name)
        if queue is None:
            raise UnknownQueue(name)
        return queue

    def index_call(self, call: Call) -> None:
        """Make ``call`` findable by id and by sequence number."""
        self.calls[call.id] = call
        self.calls_by_seq[call.seq] = call

    def forget_call(self, call: Call) -> None:
        """Drop a call that has ended."""
        del self.calls[call.id]
        del self.calls_by_seq[call.seq]

    def set_agent_state(
        self, agent: Agent, state: AgentState, reason: str | None, out: list[Command]
    ) -> None:
        """Move ``agent`` to ``state``: account the time, update queue counts, publish."""
        now = self.now
        previous = agent.state
        agent.counters.add_time(previous, now - agent.accounted_at)
        agent.accounted_at = now
        for queue in agent.memberships:
            counts = queue.state_counts
            counts[previous] -= 1
            counts[state] += 1
        agent.state = state
        agent.reason = reason
        agent.since = now
        call = agent.call
        out.append(PublishAgentState(agent.id, state, reason, now, call.id if call else None))

    def enter_lanes(self, agent: Agent) -> None:
        """List a ready agent in every lane they qualify for."""
        agent.listed = True
        for lane in agent.lanes:
            lane.add_agent(agent)

    def leave_lanes(self, agent: Agent) -> None:
        """Unlist an agent who stops being ready (nothing to do if they were not listed)."""
        if not agent.listed:
            return
        agent.listed = False
        for lane in agent.lanes:
            lane.remove_agent(agent)
