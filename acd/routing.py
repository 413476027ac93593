"""Routing: match a call with an agent, now, and explain the match.

Strategy: two decisions, both served by the lanes (see `acd.lanes`):

* a call needs an agent (it arrived, was requeued, or its requirement widened): take the
  agent its queue's strategy puts first in the call's lane, if any;
* an agent became ready: among the lanes the agent qualifies for, take the head call with
  the highest caller priority, then the longest wait multiplied by its queue's weight.

Either way the result is an `OfferCall` carrying the rule, the relaxation step and the
trigger that chose it, plus a ring timer the core uses as a safety net should the PBX never
report the outcome of the offer.
"""

from __future__ import annotations

from acd.commands import (
    Command,
    DecisionTrigger,
    OfferCall,
    OfferExplanation,
    Record,
    RecordKind,
)
from acd.floor import Floor
from acd.lanes import Lane
from acd.model import Agent, Call
from acd.states import AgentState, CallKind, CallState
from acd.types import WAITING_TIMERS, CallKey, TimerKind


class Router:
    """Makes offers; keeps the invariant that no lane holds both a call and a ready agent."""

    __slots__ = ("floor",)

    def __init__(self, floor: Floor) -> None:
        self.floor = floor

    def place(self, call: Call, trigger: DecisionTrigger, out: list[Command]) -> bool:
        """Offer a waiting call (not yet in line) to an agent, or put it in line.

        Returns True when an offer was made.
        """
        queue = call.queue
        if queue.closed and call.kind is not CallKind.VOICE:
            # A callback or a voicemail waits for its queue's opening hours: its place in
            # line is kept, but no agent is offered it before then (`Acd` places it again
            # at opening).
            queue.add_waiting(call, None)
            return False
        lane = queue.lane_for(call.base, call.step, call.home)
        if lane.agents:
            agent = self.floor.agents_by_index[lane.chosen_agent_index(queue.last_offered)]
            self.floor.leave_lanes(agent)
            self._offer(call, agent, lane, trigger, out)
            return True
        queue.add_waiting(call, lane)
        return False

    def agent_available(self, agent: Agent, out: list[Command]) -> None:
        """Give a just-ready agent the best call they may take, or list them as ready."""
        now = self.floor.now
        best_lane: Lane | None = None
        best_score: tuple[int, float, int] | None = None
        for weight, lanes in agent.lanes_by_queue.values():
            # Within one queue the weight is shared: the smallest head key is the best call.
            head: CallKey | None = None
            head_lane: Lane | None = None
            for lane in lanes:
                calls = lane.calls
                if calls and (head is None or calls[0] < head):
                    head = calls[0]
                    head_lane = lane
            if head is not None:
                score = (-head[0], (now - head[1]) * weight, -head[2])
                if best_score is None or score > best_score:
                    best_score = score
                    best_lane = head_lane
        if best_lane is None:
            self.floor.enter_lanes(agent)
            return
        call = self.floor.calls_by_seq[best_lane.calls[0][2]]
        call.queue.remove_waiting(call)
        self._offer(call, agent, best_lane, DecisionTrigger.AGENT_AVAILABLE, out)

    def _offer(
        self, call: Call, agent: Agent, lane: Lane, trigger: DecisionTrigger, out: list[Command]
    ) -> None:
        floor = self.floor
        now = floor.now
        queue = call.queue
        settings = queue.settings
        for kind in WAITING_TIMERS:
            floor.timers.cancel(kind, call.id, out)
        call.state = CallState.OFFERED
        call.agent = agent
        agent.call = call
        agent.idle_since_before_offer = agent.idle_since
        queue.ringing[call.id] = call.entered_at
        queue.last_offered = agent.index
        floor.set_agent_state(agent, AgentState.RESERVED, None, out)
        explanation = OfferExplanation(
            queue=queue.name,
            step=call.step,
            step_after_seconds=queue.plan.starts[call.step],
            requirement=lane.requirement,
            strategy=settings.strategy,
            trigger=trigger,
        )
        waited = now - call.entered_at
        out.append(
            OfferCall(
                call.id,
                agent.id,
                queue.name,
                call.kind,
                settings.ring_timeout_seconds,
                waited,
                explanation,
            )
        )
        floor.timers.start(
            TimerKind.RING,
            call.id,
            now + settings.ring_timeout_seconds + floor.settings.offer_grace_seconds,
            out,
        )
        out.append(
            Record(
                now,
                RecordKind.OFFER,
                queue=queue.name,
                call_id=call.id,
                agent_id=agent.id,
                wait=waited,
                explanation=explanation,
            )
        )
