"""Agent flow: log in, ready, pause, log out, wrap-up - the agent side of the ACD.

Strategy: requests from people are checked against `REQUESTS_ALLOWED_FROM` before anything
changes, and refused with a domain error naming the agent, their state and what was asked.
A request that passes changes the state through `Floor.set_agent_state` and writes one log
record. An agent who becomes ready is handed to the router at once, so a waiting call never
sits next to a free agent who could take it.
"""

from __future__ import annotations

from acd.commands import (
    CancelOffer,
    Command,
    OverflowReason,
    Record,
    RecordKind,
    StaleFact,
)
from acd.errors import UnknownPauseReason
from acd.events import AgentLoggedIn, AgentLoggedOut, AgentPaused, AgentReady, WrapUpEnded
from acd.floor import Floor
from acd.model import Agent, QueueRuntime
from acd.queueing import Queueing
from acd.routing import Router
from acd.states import AgentRequest, AgentState, NotReadyReason, check_request
from acd.types import Seconds, TimerKind

WRAP_UP_ELAPSED = "wrap-up elapsed"
"""The reason logged on the ready entry when the wrap-up timer (not a person) ended wrap-up.

A replay of the log re-arms that timer and fires it itself, so the entry is not an input."""

PBX_FAILED = "held back after a PBX failure"
"""The reason logged on the ready entry of an agent whose offer the PBX could not place:
ready, but offered nothing until the retry timer fires. The core's own doing, so the
entry is not an input of a replay."""


class AgentFlow:
    """Handles agent requests and the agent-side consequences of calls."""

    __slots__ = ("floor", "queueing", "router")

    def __init__(self, floor: Floor, router: Router, queueing: Queueing) -> None:
        self.floor = floor
        self.router = router
        self.queueing = queueing

    def log_in(self, event: AgentLoggedIn, out: list[Command]) -> None:
        """Log the agent in, ready or not ready as asked."""
        agent = self.floor.agent(event.agent_id)
        check_request(agent.id, agent.state, AgentRequest.LOG_IN)
        out.append(Record(self.floor.now, RecordKind.LOGIN, agent_id=agent.id))
        if event.ready:
            self.make_ready(agent, out)
        else:
            self.floor.set_agent_state(agent, AgentState.NOT_READY, NotReadyReason.LOGGED_IN, out)

    def go_ready(self, event: AgentReady, out: list[Command]) -> None:
        """Make the agent ready (ending wrap-up early); a no-op if they already are."""
        agent = self.floor.agent(event.agent_id)
        check_request(agent.id, agent.state, AgentRequest.GO_READY)
        if agent.state is AgentState.READY:
            return
        if agent.state is AgentState.WRAP_UP:
            self._finish_wrap_up(agent, out)
        self.make_ready(agent, out)

    def pause(self, event: AgentPaused, out: list[Command]) -> None:
        """Make the agent not ready with a configured reason code."""
        floor = self.floor
        agent = floor.agent(event.agent_id)
        check_request(agent.id, agent.state, AgentRequest.PAUSE)
        if event.reason not in floor.pause_reasons:
            raise UnknownPauseReason(agent.id, event.reason, floor.pause_reasons)
        if agent.state is AgentState.NOT_READY and agent.reason == event.reason:
            return
        if agent.state is AgentState.READY:
            self._unlist(agent, out)
        elif agent.state is AgentState.WRAP_UP:
            self._finish_wrap_up(agent, out)
        floor.set_agent_state(agent, AgentState.NOT_READY, event.reason, out)
        out.append(Record(floor.now, RecordKind.PAUSE, agent_id=agent.id, reason=event.reason))

    def log_out(self, event: AgentLoggedOut, out: list[Command]) -> None:
        """Log the agent out; an offer ringing their phone goes back to its queue."""
        floor = self.floor
        agent = floor.agent(event.agent_id)
        check_request(agent.id, agent.state, AgentRequest.LOG_OUT)
        withdrawn = agent.call if agent.state is AgentState.RESERVED else None
        if agent.state is AgentState.READY:
            self._unlist(agent, out)
        elif agent.state is AgentState.WRAP_UP:
            self._finish_wrap_up(agent, out)
        elif withdrawn is not None:
            self.queueing.release_offer(withdrawn, agent, out)
            out.append(CancelOffer(withdrawn.id, agent.id, "agent logged out"))
            out.append(
                Record(
                    floor.now,
                    RecordKind.OFFER_WITHDRAWN,
                    queue=withdrawn.queue.name,
                    call_id=withdrawn.id,
                    agent_id=agent.id,
                    reason="agent logged out",
                )
            )
        floor.set_agent_state(agent, AgentState.LOGGED_OUT, None, out)
        out.append(Record(floor.now, RecordKind.LOGOUT, agent_id=agent.id))
        if withdrawn is not None:
            self.queueing.requeue(withdrawn, out)
        for queue in agent.memberships:
            if queue.settings.overflow_when_no_agents:
                self.queueing.overflow_everyone(queue, OverflowReason.NO_AGENTS, out)

    def wrap_up_ended(self, event: WrapUpEnded, out: list[Command]) -> None:
        """The agent ended wrap-up from the desktop; stale if they are not in wrap-up."""
        agent = self.floor.agents.get(event.agent_id)
        if agent is None:
            out.append(StaleFact(event, f"unknown agent {event.agent_id!r}"))
        elif agent.state is not AgentState.WRAP_UP:
            out.append(
                StaleFact(event, f"agent {agent.id!r} is {agent.state.value}, not in wrap-up")
            )
        else:
            self.wrap_up_elapsed(agent, out)

    def wrap_up_elapsed(self, agent: Agent, out: list[Command], why: str | None = None) -> None:
        """Wrap-up is over (desktop, or the timer: `why` is then `WRAP_UP_ELAPSED`): the
        agent becomes ready."""
        self._finish_wrap_up(agent, out)
        self.make_ready(agent, out, why=why)

    def start_wrap_up(
        self, agent: Agent, queue: QueueRuntime, talk: Seconds, out: list[Command]
    ) -> None:
        """The agent's call ended: wrap-up for the queue's time, or straight back to ready."""
        agent.last_queue = queue
        agent.last_talk = talk
        wrap_up = queue.settings.wrap_up_seconds
        if wrap_up <= 0:
            self._credit_handled(agent, 0.0, out)
            self.make_ready(agent, out)
            return
        floor = self.floor
        floor.set_agent_state(agent, AgentState.WRAP_UP, None, out)
        floor.timers.start(TimerKind.WRAP_UP, agent.id, floor.now + wrap_up, out)

    def make_ready(
        self,
        agent: Agent,
        out: list[Command],
        idle_since: Seconds | None = None,
        why: str | None = None,
    ) -> None:
        """The agent becomes ready and is routed at once.

        ``idle_since`` keeps an earlier start of idle time, for an agent whose offer was
        withdrawn through no fault of theirs (they keep their place among idle agents).
        """
        floor = self.floor
        agent.idle_since = floor.now if idle_since is None else idle_since
        floor.set_agent_state(agent, AgentState.READY, None, out)
        out.append(Record(floor.now, RecordKind.READY, agent_id=agent.id, reason=why))
        self.router.agent_available(agent, out)

    def hold_back(
        self, agent: Agent, out: list[Command], *, idle_since: Seconds, until: Seconds
    ) -> None:
        """The PBX could not ring the agent: ready, but offered nothing before `until`.

        Their idle time is kept, so they are first in line again once the hold is over.
        """
        floor = self.floor
        agent.idle_since = idle_since
        floor.set_agent_state(agent, AgentState.READY, None, out)
        out.append(Record(floor.now, RecordKind.READY, agent_id=agent.id, reason=PBX_FAILED))
        floor.timers.start(TimerKind.PBX_RETRY, agent.id, until, out)

    def hold_elapsed(self, agent: Agent, out: list[Command]) -> None:
        """The hold after a PBX failure is over: the agent is routed as if just ready."""
        self.router.agent_available(agent, out)

    def _unlist(self, agent: Agent, out: list[Command]) -> None:
        """A ready agent stops being ready: out of the lanes, or out of their hold."""
        self.floor.leave_lanes(agent)
        self.floor.timers.cancel(TimerKind.PBX_RETRY, agent.id, out)

    def _finish_wrap_up(self, agent: Agent, out: list[Command]) -> None:
        self.floor.timers.cancel(TimerKind.WRAP_UP, agent.id, out)
        self._credit_handled(agent, self.floor.now - agent.since, out)

    def _credit_handled(self, agent: Agent, wrap_up: Seconds, out: list[Command]) -> None:
        queue = agent.last_queue
        handle_time = agent.last_talk + wrap_up
        agent.counters.handled += 1
        agent.counters.total_handle_time += handle_time
        if queue is not None:
            queue.counters.note_handled(handle_time)
        out.append(
            Record(
                self.floor.now,
                RecordKind.HANDLED,
                queue=queue.name if queue else None,
                agent_id=agent.id,
                talk=agent.last_talk,
                wrap_up=wrap_up,
            )
        )
        agent.last_queue = None
        agent.last_talk = 0.0
