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
from acd.relaxation import merge_requirements
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
        "version",
    )

    def __init__(self, settings: AcdSettings, now: Seconds) -> None:
        self.now = now
        self.queues: dict[str, QueueRuntime] = {}
        self.agents: dict[str, Agent] = {}
        self.agents_by_index: list[Agent] = []
        self.calls: dict[str, Call] = {}
        self.calls_by_seq: dict[int, Call] = {}
        self.timers = TimerBook()
        self.pbx_failures = 0
        """Offers in a row the PBX could not place (the retry delay doubles with each)."""
        self._seq = 0
        self.version: int | None = None
        """The configuration version last applied by `ConfigurationChanged` (None before)."""
        self.settings = settings
        self.pause_reasons = frozenset(settings.pause_reasons)
        self.reconfigure(settings)

    def reconfigure(self, settings: AcdSettings) -> None:
        """Build queues and agents from ``settings``, carrying the live state over.

        A queue or agent that stays (same name, same id) keeps its counters and state; a
        new agent starts logged out. Afterwards no lane exists yet: every waiting call is
        out of line (``lane`` None) and every agent unlisted; the caller lines the calls up
        and lists the ready agents again. The caller has made sure that no removed queue
        holds a waiting or ringing call and that every removed agent is logged out; a
        connected call of a removed queue keeps its old queue, whose rules it ends under.
        """
        now = self.now
        old_queues = self.queues
        queues: dict[str, QueueRuntime] = {}
        for configured_queue in settings.queues:
            runtime = QueueRuntime(configured_queue, now)
            previous = old_queues.get(configured_queue.name)
            if previous is not None:
                runtime.counters = previous.counters
                runtime.ringing = previous.ringing
                runtime.last_offered = previous.last_offered
                runtime.closed = previous.closed
            queues[runtime.name] = runtime
        old_agents = self.agents
        agents: dict[str, Agent] = {}
        agents_by_index: list[Agent] = []
        for index, configured in enumerate(settings.agents):
            memberships = tuple(queues[name] for name in dict.fromkeys(configured.queues))
            agent = old_agents.get(configured.id)
            if agent is None:
                agent = Agent(index, configured.id, {}, since=now, accounted_at=now)
            agent.index = index
            agent.skills = dict(configured.skills)
            agent.server = configured.server
            agent.memberships = memberships
            agent.listed = False
            agent.lanes = []
            agent.lanes_by_queue = {}
            if agent.last_queue is not None:
                agent.last_queue = queues.get(agent.last_queue.name, agent.last_queue)
            agents[agent.id] = agent
            agents_by_index.append(agent)
            for queue in memberships:
                agent.lanes_by_queue[queue.name] = (queue.settings.weight, [])
                queue.members.append(agent)
                queue.state_counts[agent.state] += 1
        for call in self.calls.values():
            kept = queues.get(call.queue.name)
            if kept is None:
                continue  # a connected call of a removed queue: it ends under the old rules
            call.queue = kept
            call.base = merge_requirements(kept.settings.skills, call.own_skills)
            call.step = min(call.step, kept.plan.last_step)
            call.lane = None
        self.queues = queues
        self.agents = agents
        self.agents_by_index = agents_by_index
        self.settings = settings
        self.pause_reasons = frozenset(settings.pause_reasons)

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
