"""Call flow: the telephony facts about offered and connected calls - answered, lost, ended.

Strategy: each handler first checks that the fact still applies (the call exists, is in the
expected state, the offer is to that agent); if not, it returns a `StaleFact` and changes
nothing. Facts come from a PBX that can lose or reorder messages, so these checks replace
exceptions: the core never crashes on a fact.
"""

from __future__ import annotations

from acd.agent_flow import AgentFlow
from acd.commands import (
    CancelOffer,
    Command,
    Record,
    RecordKind,
    StaleFact,
)
from acd.events import (
    CallEnded,
    CallerHungUp,
    Event,
    OfferAnswered,
    OfferFailed,
    OfferLost,
    OfferRejected,
    OfferTimedOut,
)
from acd.floor import Floor
from acd.model import Agent, Call
from acd.queueing import Queueing
from acd.states import AgentState, CallKind, CallOutcome, CallState, NotReadyReason

LOST = "offer lost"
"""The reason logged when an offer vanished through no fault of the agent (`OfferLost`)."""

RING_TIMER = "no word from the PBX"
"""The detail logged on a ring-no-answer the core's own ring timer decided (the PBX never
reported on the offer). A replay of the log re-arms that timer and fires it itself, so the
entry is not an input (a ring-no-answer the PBX reported is one)."""


class CallFlow:
    """Handles the facts about offers and calls in progress."""

    __slots__ = ("agents", "floor", "queueing")

    def __init__(self, floor: Floor, queueing: Queueing, agents: AgentFlow) -> None:
        self.floor = floor
        self.queueing = queueing
        self.agents = agents

    def answered(self, event: OfferAnswered, out: list[Command]) -> None:
        """The agent answered: caller and agent are connected."""
        call = self._offered(event, event.call_id, event.agent_id, out)
        if call is None or call.agent is None:
            return
        floor = self.floor
        agent = call.agent
        queue = call.queue
        floor.pbx_failures = 0  # the PBX placed the call: a run of failures is over
        self.queueing.stop_ringing(call, out)
        call.state = CallState.CONNECTED
        call.connected_at = floor.now
        agent.calls_today += 1
        waited = floor.now - call.entered_at
        if call.kind is CallKind.VOICE:
            rules = call.rules or queue.settings
            queue.counters.note_answer(
                waited, rules.service_level_seconds, rules.service_level_formula
            )
        else:
            queue.counters.callbacks_answered += 1
        floor.set_agent_state(agent, AgentState.ON_CALL, None, out)
        out.append(
            Record(
                floor.now,
                RecordKind.CONNECT,
                queue=queue.name,
                call_id=call.id,
                agent_id=agent.id,
                wait=waited,
                outcome=CallOutcome.ANSWERED,
            )
        )

    def rejected(self, event: OfferRejected, out: list[Command]) -> None:
        """The agent declined: they go not ready, the call goes back to its place in line."""
        call = self._offered(event, event.call_id, event.agent_id, out)
        if call is not None and call.agent is not None:
            self.floor.pbx_failures = 0  # the PBX reached the phone
            self._offer_failed(call, call.agent, NotReadyReason.REJECTED, RecordKind.REJECT, out)

    def timed_out(self, event: OfferTimedOut, out: list[Command]) -> None:
        """Ring-no-answer reported by the PBX."""
        call = self._offered(event, event.call_id, event.agent_id, out)
        if call is not None and call.agent is not None:
            self.floor.pbx_failures = 0  # the PBX rang the phone
            self._offer_failed(
                call, call.agent, NotReadyReason.RING_NO_ANSWER, RecordKind.RING_NO_ANSWER, out
            )

    def failed(self, event: OfferFailed, out: list[Command]) -> None:
        """The PBX could not place the offer: the call goes back to its place, the agent
        stays ready but is held back for the retry delay (see `OfferFailed`)."""
        call = self._offered(event, event.call_id, event.agent_id, out)
        if call is None or call.agent is None:
            return
        agent = call.agent
        floor = self.floor
        settings = floor.settings
        floor.pbx_failures += 1
        doublings = min(floor.pbx_failures - 1, 16)
        delay = min(settings.pbx_retry_seconds * 2**doublings, settings.pbx_retry_max_seconds)
        idle_since = agent.idle_since
        self.queueing.release_offer(call, agent, out)
        out.append(
            Record(
                floor.now,
                RecordKind.OFFER_FAILED,
                queue=call.queue.name,
                call_id=call.id,
                agent_id=agent.id,
                reason=event.cause or None,
                detail=f"PBX failure {floor.pbx_failures} in a row; agent held {delay:g} s",
            )
        )
        self.queueing.requeue(call, out)
        if agent.state is AgentState.RESERVED:
            self.agents.hold_back(agent, out, idle_since=idle_since, until=floor.now + delay)

    def lost(self, event: OfferLost, out: list[Command]) -> None:
        """The offer vanished (PBX link or service restart): the agent keeps their turn."""
        call = self._offered(event, event.call_id, event.agent_id, out)
        if call is None or call.agent is None:
            return
        agent = call.agent
        floor = self.floor
        idle_since = agent.idle_since
        self.queueing.release_offer(call, agent, out)
        out.append(
            Record(
                floor.now,
                RecordKind.OFFER_WITHDRAWN,
                queue=call.queue.name,
                call_id=call.id,
                agent_id=agent.id,
                reason=LOST,
            )
        )
        self.queueing.requeue(call, out)
        if agent.state is AgentState.RESERVED:
            self.agents.make_ready(agent, out, idle_since=idle_since, why=LOST)

    def ring_timer_elapsed(self, call: Call, agent: Agent, out: list[Command]) -> None:
        """The PBX never reported on the offer: withdraw it as a ring-no-answer."""
        out.append(CancelOffer(call.id, agent.id, NotReadyReason.RING_NO_ANSWER.value))
        self._offer_failed(
            call,
            agent,
            NotReadyReason.RING_NO_ANSWER,
            RecordKind.RING_NO_ANSWER,
            out,
            detail=RING_TIMER,
        )

    def hung_up(self, event: CallerHungUp, out: list[Command]) -> None:
        """The caller left: an abandon before the answer, the end of the call after it."""
        floor = self.floor
        call = floor.calls.get(event.call_id)
        if call is None:
            out.append(StaleFact(event, f"call {event.call_id!r} is not in the ACD"))
            return
        if call.state is CallState.CONNECTED:
            self._complete(call, out)
            return
        queue = call.queue
        waited = floor.now - call.entered_at
        agent = call.agent
        if call.state is CallState.WAITING:
            self.queueing.leave_line(call, out)
        elif agent is not None:
            self.queueing.release_offer(call, agent, out)
            out.append(CancelOffer(call.id, agent.id, "caller hung up"))
        if call.kind is CallKind.VOICE:
            rules = call.rules or queue.settings
            queue.counters.note_abandon(
                waited, rules.short_abandon_seconds, rules.service_level_formula
            )
        else:
            queue.counters.callbacks_cancelled += 1
        self.queueing.finish(
            call,
            Record(
                floor.now,
                RecordKind.ABANDON,
                queue=queue.name,
                call_id=call.id,
                agent_id=agent.id if agent else None,
                wait=waited,
                outcome=CallOutcome.ABANDONED,
            ),
            out,
        )
        if agent is not None:
            # The agent did nothing wrong: back to ready with their idle time kept.
            self.agents.make_ready(agent, out, idle_since=agent.idle_since_before_offer)

    def ended(self, event: CallEnded, out: list[Command]) -> None:
        """A connected call finished."""
        call = self.floor.calls.get(event.call_id)
        if call is None or call.state is not CallState.CONNECTED:
            state = "not in the ACD" if call is None else call.state.value
            out.append(StaleFact(event, f"call {event.call_id!r} is {state}, not connected"))
            return
        self._complete(call, out)

    def _complete(self, call: Call, out: list[Command]) -> None:
        floor = self.floor
        agent = call.agent
        talk = floor.now - call.connected_at
        floor.forget_call(call)
        out.append(
            Record(
                floor.now,
                RecordKind.COMPLETE,
                queue=call.queue.name,
                call_id=call.id,
                agent_id=agent.id if agent else None,
                talk=talk,
            )
        )
        if agent is not None:
            call.agent = None
            agent.call = None
            self.agents.start_wrap_up(agent, call.queue, talk, out)

    def _offer_failed(
        self,
        call: Call,
        agent: Agent,
        reason: NotReadyReason,
        kind: RecordKind,
        out: list[Command],
        *,
        detail: str | None = None,
    ) -> None:
        floor = self.floor
        self.queueing.release_offer(call, agent, out)
        floor.set_agent_state(agent, AgentState.NOT_READY, reason, out)
        out.append(
            Record(
                floor.now,
                kind,
                queue=call.queue.name,
                call_id=call.id,
                agent_id=agent.id,
                reason=reason.value,
                detail=detail,
            )
        )
        self.queueing.requeue(call, out)

    def _offered(
        self, event: Event, call_id: str, agent_id: str, out: list[Command]
    ) -> Call | None:
        """The call if it is being offered to ``agent_id``; otherwise report the fact stale."""
        call = self.floor.calls.get(call_id)
        if call is None:
            out.append(StaleFact(event, f"call {call_id!r} is not in the ACD"))
            return None
        if call.state is not CallState.OFFERED or call.agent is None or call.agent.id != agent_id:
            out.append(StaleFact(event, f"call {call_id!r} is not being offered to {agent_id!r}"))
            return None
        return call
