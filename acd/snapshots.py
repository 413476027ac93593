"""Read-only views of the live state, for wallboards, desktops and announcements.

Strategy: queries build small frozen dataclasses from the floor, so nothing mutable ever
leaves the core. Each takes ``now`` like every other input; a ``now`` older than the core's
clock is read as the core's clock. Costs: a queue's stats are O(priority bands); a queue's
list of waiting calls is O(calls in it) and its occupancy O(members); an agent view is O(1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from acd.erlang import agents_needed
from acd.estimates import (
    erlang_average_wait,
    expected_handle_time,
    wait_for_next_caller,
    wait_for_position,
)
from acd.floor import Floor
from acd.model import Agent, Call, QueueRuntime
from acd.states import AgentState, CallKind, CallState
from acd.types import Requirement, Seconds


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Live figures of one queue (definitions: docs/ARCHITECTURE.md and `acd.metrics`)."""

    queue: str
    calls_waiting: int
    """Voice calls in line."""
    callbacks_waiting: int
    calls_ringing: int
    longest_wait: Seconds
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    overflowed: int
    timed_out: int
    callback_requests: int
    service_level: float | None
    service_level_target: float
    asa: Seconds | None
    aht: Seconds | None
    abandon_rate: float | None
    agents_by_state: Mapping[AgentState, int]
    staffed: int
    occupancy: float | None
    """Occupancy of the queue's members, over all their work (they may serve other queues)."""
    estimated_wait: Seconds | None
    """EWT of a caller who would join now (None when nobody staffs the queue)."""
    arrival_rate: float | None
    """Calls per second over the configured window."""
    erlang_asa: Seconds | None
    """ASA Erlang C predicts at this arrival rate and staffing, where it applies."""
    agents_needed: int | None
    """Erlang C staffing for the service-level target at this arrival rate."""
    open: bool = True
    """False while the queue's opening hours keep it closed (new calls overflow)."""


@dataclass(frozen=True, slots=True)
class AgentView:
    """One agent as the wallboard shows them."""

    agent_id: str
    state: AgentState
    reason: str | None
    since: Seconds
    time_in_state: Seconds
    call_id: str | None
    queues: tuple[str, ...]
    calls_today: int
    handled: int
    aht: Seconds | None
    occupancy: float | None
    server: str | None = None
    """The Asterisk server the agent's phone is on (None: the default server)."""


@dataclass(frozen=True, slots=True)
class CallView:
    """One call not yet answered (or being offered), with its position and estimated wait."""

    call_id: str
    queue: str
    kind: CallKind
    state: CallState
    priority: int
    position: int | None
    """1-based place in line; None while an agent's phone rings with it."""
    waited: Seconds
    estimated_wait: Seconds | None
    step: int
    requirement: Requirement
    """The skills in force at the call's relaxation step."""
    agent_id: str | None
    server: str | None = None
    """The Asterisk server the caller is on (None: bound to none, e.g. a callback)."""


def queue_stats(floor: Floor, queue: QueueRuntime, now: Seconds) -> QueueStats:
    """Build the live figures of ``queue``."""
    now = max(now, floor.now)
    settings = queue.settings
    counters = queue.counters
    aht = expected_handle_time(counters, settings.default_handle_seconds)
    rate = counters.arrival_rate(now, floor.settings.arrival_window_seconds)
    staffed = queue.staffed
    ready = queue.state_counts[AgentState.READY]
    needed = None
    # A target of 100 % is never met in theory (Erlang C keeps a tail of waits): no number.
    if rate is not None and settings.service_level_target < 1:
        needed = agents_needed(
            rate, aht, settings.service_level_target, settings.service_level_seconds
        )
    return QueueStats(
        queue=queue.name,
        calls_waiting=queue.waiting - queue.waiting_callbacks,
        callbacks_waiting=queue.waiting_callbacks,
        calls_ringing=len(queue.ringing),
        longest_wait=queue.longest_wait(now),
        offered=counters.offered,
        answered=counters.answered,
        abandoned=counters.abandoned,
        short_abandoned=counters.short_abandoned,
        overflowed=counters.overflowed,
        timed_out=counters.timed_out,
        callback_requests=counters.callback_requests,
        # Each call by the rules at its entry (the reports' definition); the target shown
        # is the one in force now.
        service_level=counters.service_level_as_entered(),
        service_level_target=settings.service_level_target,
        asa=counters.asa(),
        aht=counters.aht(),
        abandon_rate=counters.abandon_rate(),
        agents_by_state=dict(queue.state_counts),
        staffed=staffed,
        occupancy=_members_occupancy(queue, now),
        estimated_wait=wait_for_next_caller(queue.waiting, ready, staffed, aht),
        arrival_rate=rate,
        erlang_asa=erlang_average_wait(rate, staffed, aht),
        agents_needed=needed,
        open=not queue.closed,
    )


def _members_occupancy(queue: QueueRuntime, now: Seconds) -> float | None:
    handling = available = 0.0
    for agent in queue.members:
        current_for = now - agent.accounted_at
        handling += agent.counters.handling_time(agent.state, current_for)
        available += agent.counters.available_time(agent.state, current_for)
    total = handling + available
    return handling / total if total > 0 else None


def agent_view(floor: Floor, agent: Agent, now: Seconds) -> AgentView:
    """Build the view of one agent."""
    now = max(now, floor.now)
    return AgentView(
        agent_id=agent.id,
        state=agent.state,
        reason=agent.reason,
        since=agent.since,
        time_in_state=now - agent.since,
        call_id=agent.call.id if agent.call else None,
        queues=tuple(queue.name for queue in agent.memberships),
        calls_today=agent.calls_today,
        handled=agent.counters.handled,
        aht=agent.counters.total_handle_time / agent.counters.handled
        if agent.counters.handled
        else None,
        occupancy=agent.counters.occupancy(agent.state, now - agent.accounted_at),
        server=agent.server,
    )


def call_view(floor: Floor, call: Call, now: Seconds) -> CallView:
    """Build the view of one call."""
    now = max(now, floor.now)
    queue = call.queue
    position = queue.position(call) if call.state is CallState.WAITING else None
    estimate: Seconds | None = 0.0
    if position is not None:
        aht = expected_handle_time(queue.counters, queue.settings.default_handle_seconds)
        estimate = wait_for_position(position, queue.staffed, aht)
    return CallView(
        call_id=call.id,
        queue=queue.name,
        kind=call.kind,
        state=call.state,
        priority=call.priority,
        position=position,
        waited=now - call.entered_at,
        estimated_wait=estimate,
        step=call.step,
        requirement=queue.plan.requirement(call.base, call.step),
        agent_id=call.agent.id if call.agent else None,
        server=call.home[0] if call.home is not None else None,
    )


def waiting_calls(floor: Floor, queue: QueueRuntime, now: Seconds) -> list[CallView]:
    """Every call in line in ``queue``, first in line first."""
    calls_by_seq = floor.calls_by_seq
    return [call_view(floor, calls_by_seq[key[2]], now) for key in queue.line]
