"""A checking shell: it watches the core's commands and asserts the routing invariants.

`InvariantChecker` builds its own picture of every call and agent from the commands alone
(as the real shell would) and, on every offer, checks against the configuration - not the
core's internals - that:

* the agent holds no other call, was ready, and is a member of the call's queue;
* the agent has the skills of the relaxation step in force for the call;
* the agent's phone is on the Asterisk server the caller is on (an agent with no server
  set is on the default server; a call bound to no server may go to anyone): no offer
  ever crosses servers;
* no call of the same queue and priority that arrived earlier was waiting with a
  requirement this agent also meets, on a server this agent is on (calls are offered in
  arrival order);
* a call only ever moves to the relaxation step its wait calls for;
* every agent state change is one of `AGENT_TRANSITIONS`;
* every call gets exactly one outcome, and a call without one is still in the core.

A configuration change (a config record) replaces the configuration the checks use; the
calls still waiting then stand at the step their wait calls for under the new rules.

"In force" is the step the core has applied: relaxations are timers, and when several fall
due at the same instant the shell delivers them one after another, so at that instant a
call whose timer has not been delivered yet is still at its previous step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from acd_testkit import Center

from acd import (
    Acd,
    AcdSettings,
    CallbackRequested,
    CallOutcome,
    CallQueued,
    CancelOffer,
    Command,
    Event,
    OfferCall,
    PublishAgentState,
    QueueSettings,
    Record,
    RecordKind,
)
from acd.states import AGENT_TRANSITIONS, AgentState


def requirement_in_force(
    queue: QueueSettings, own_skills: Mapping[str, int], waited: float
) -> tuple[int, dict[str, int]]:
    """(step, skills with minimum levels) for a call of ``queue`` after ``waited`` seconds."""
    base = dict(queue.skills)
    for skill, level in own_skills.items():
        base[skill] = max(base.get(skill, 0), level)
    step = 0
    for index, relaxation in enumerate(queue.relaxation, start=1):
        if waited >= relaxation.after_seconds:
            step = index
    if step == 0:
        return 0, base
    cap = queue.relaxation[step - 1].min_level
    if cap is None:
        return step, {}
    return step, {skill: min(level, cap) for skill, level in base.items()}


@dataclass
class TrackedCall:
    """The shell's picture of one call."""

    queue: str
    priority: int
    skills: dict[str, int]
    entered_at: float
    order: int
    step: int = 0
    state: str = "waiting"
    agent: str | None = None
    server: str | None = None
    """The server the caller is on (None: bound to none)."""
    default_server: bool = False


class InvariantChecker:
    """Follows the commands of one core and asserts the invariants as they happen."""

    def __init__(self, config: AcdSettings) -> None:
        self.calls: dict[str, TrackedCall] = {}
        self.agent_call: dict[str, str] = {}
        self.agent_state: dict[str, AgentState] = {}
        self._configure(config)
        self.outcomes: dict[str, CallOutcome] = {}
        self.offers = 0
        self.now = 0.0
        self._order = 0
        self._event: Event | None = None
        self._replaced: TrackedCall | None = None

    def before(self, event: Event) -> None:
        """Note the event about to be handled."""
        self.now = max(self.now, event.now)
        self._event = event
        self._replaced = None
        if isinstance(event, CallbackRequested) and event.replaces_call_id in self.calls:
            # The replaced call's final record comes first and drops it: keep its picture.
            self._replaced = replace(self.calls[event.replaces_call_id])

    def after(self, commands: list[Command]) -> None:
        """Check the commands the event produced, in order."""
        for command in commands:
            if isinstance(command, PublishAgentState):
                self._agent_state(command)
            elif isinstance(command, OfferCall):
                self._offer(command)
            elif isinstance(command, CancelOffer):
                self.agent_call.pop(command.agent_id, None)
            elif isinstance(command, Record):
                self._follow(command)

    def check_nothing_lost(self, acd: Acd) -> None:
        """Every call without an outcome is still in the core, and the other way round."""
        for call_id in self.calls:
            assert acd.call_view(call_id, self.now) is not None, f"{call_id} was lost"
        for queue in self.queues:
            in_line = {view.call_id for view in acd.waiting_calls(queue, self.now)}
            assert in_line <= set(self.calls), in_line - set(self.calls)

    def _agent_state(self, command: PublishAgentState) -> None:
        previous = self.agent_state[command.agent_id]
        assert (previous, command.state) in AGENT_TRANSITIONS, (previous, command.state)
        if command.state not in (AgentState.RESERVED, AgentState.ON_CALL):
            assert command.call_id is None
        self.agent_state[command.agent_id] = command.state

    def _configure(self, config: AcdSettings) -> None:
        self.queues = {q.name: q for q in config.queues}
        self.skills = {a.id: dict(a.skills) for a in config.agents}
        self.members = {a.id: set(a.queues) for a in config.agents}
        self.servers = {a.id: a.server for a in config.agents}
        for configured in config.agents:
            self.agent_state.setdefault(configured.id, AgentState.LOGGED_OUT)
        for tracked in self.calls.values():
            if tracked.state == "waiting":
                tracked.step = self._step_by_wait(tracked)

    def _follow(self, record: Record) -> None:
        call_id = record.call_id or ""
        kind = record.kind
        if kind is RecordKind.CONFIG:
            assert record.settings is not None
            self._configure(record.settings)
            return
        if kind is RecordKind.ENQUEUE:
            self._enqueue(call_id, record.queue or "")
        elif kind is RecordKind.REQUEUE:
            tracked = self.calls[call_id]
            tracked.state = "waiting"
            tracked.agent = None
            tracked.step = self._step_by_wait(tracked)
        elif kind is RecordKind.RELAX:
            tracked = self.calls[call_id]
            step = int((record.detail or "").split(":")[0].removeprefix("step "))
            # The timer fires at entry + step start; float rounding may put the wait a hair
            # below that start, which the core rightly ignores.
            assert step == self._step_by_wait(tracked, slack=1e-6), (call_id, step)
            tracked.step = step
        elif kind in (
            RecordKind.RING_NO_ANSWER,
            RecordKind.REJECT,
            RecordKind.OFFER_WITHDRAWN,
            RecordKind.OFFER_FAILED,
        ):
            self.agent_call.pop(record.agent_id or "", None)
        elif kind is RecordKind.COMPLETE:
            self.agent_call.pop(record.agent_id or "", None)
            del self.calls[call_id]
        if record.outcome is not None:
            assert call_id not in self.outcomes, (call_id, self.outcomes[call_id], record.outcome)
            self.outcomes[call_id] = record.outcome
            if record.outcome is CallOutcome.ANSWERED:
                self.calls[call_id].state = "connected"
            else:
                tracked = self.calls.pop(call_id)
                if tracked.agent is not None:
                    self.agent_call.pop(tracked.agent, None)

    def _enqueue(self, call_id: str, queue: str) -> None:
        self._order += 1
        tracked = self.calls.get(call_id)
        if tracked is not None:  # an overflow into another queue: a fresh entry there
            tracked.queue = queue
            tracked.entered_at = self.now
            tracked.order = self._order
            tracked.state = "waiting"
            tracked.step = 0
            return
        event = self._event
        assert isinstance(event, CallQueued | CallbackRequested)
        entered_at = self.now
        replaced = self._replaced
        if replaced is not None and replaced.queue == queue and replaced.state == "waiting":
            entered_at = replaced.entered_at
        tracked = TrackedCall(queue, event.priority, dict(event.skills), entered_at, self._order)
        if isinstance(event, CallQueued):
            tracked.server = event.server
            tracked.default_server = event.default_server
        tracked.step = self._step_by_wait(tracked)
        self.calls[call_id] = tracked

    def _offer(self, offer: OfferCall) -> None:
        self.offers += 1
        call = self.calls[offer.call_id]
        agent_id = offer.agent_id
        assert call.state == "waiting", (offer.call_id, call.state)
        assert agent_id not in self.agent_call, f"{agent_id} holds two calls"
        assert self.agent_state[agent_id] is AgentState.RESERVED
        assert call.queue in self.members[agent_id]
        assert offer.explanation.step == call.step
        assert self._meets(agent_id, self._required(call)), (offer, self._required(call))
        assert self._on_server(agent_id, call), (
            f"{offer.call_id} on server {call.server} offered to {agent_id} "
            f"on {self.servers[agent_id]}"
        )
        for other_id, other in self.calls.items():
            if (
                other.state == "waiting"
                and other.queue == call.queue
                and other.priority == call.priority
                and (other.entered_at, other.order) < (call.entered_at, call.order)
                and self._on_server(agent_id, other)
            ):
                assert not self._meets(agent_id, self._required(other)), (
                    f"{offer.call_id} offered to {agent_id} before earlier {other_id}"
                )
        call.state = "offered"
        call.agent = agent_id
        self.agent_call[agent_id] = offer.call_id

    def _step_by_wait(self, call: TrackedCall, slack: float = 0.0) -> int:
        return requirement_in_force(
            self.queues[call.queue], call.skills, self.now - call.entered_at + slack
        )[0]

    def _required(self, call: TrackedCall) -> dict[str, int]:
        """Skills in force at the call's applied step."""
        queue = self.queues[call.queue]
        start = 0.0 if call.step == 0 else queue.relaxation[call.step - 1].after_seconds
        step, required = requirement_in_force(queue, call.skills, start)
        assert step == call.step
        return required

    def _on_server(self, agent_id: str, call: TrackedCall) -> bool:
        """The agent's phone is where the caller is (no server set: the default one)."""
        if call.server is None:
            return True
        server = self.servers[agent_id]
        return call.default_server if server is None else server == call.server

    def _meets(self, agent_id: str, required: Mapping[str, int]) -> bool:
        skills = self.skills[agent_id]
        return all(skills.get(skill, 0) >= level for skill, level in required.items())


class CheckingCenter(Center):
    """A `Center` whose every command batch goes through an `InvariantChecker`."""

    def __init__(self, config: AcdSettings, now: float = 0.0) -> None:
        super().__init__(config, now)
        self.checker = InvariantChecker(config)

    @property
    def calls(self) -> dict[str, TrackedCall]:
        """The checker's picture of the calls without a final outcome."""
        return self.checker.calls

    def send(self, event: Event) -> list[Command]:
        """Feed the event and check its commands."""
        self.checker.before(event)
        commands = super().send(event)
        self.checker.after(commands)
        return commands

    def open_calls(self) -> list[str]:
        """Calls that have no final outcome yet, in a stable order."""
        return sorted(self.checker.calls)

    def check_nothing_lost(self) -> None:
        """See `InvariantChecker.check_nothing_lost`."""
        self.checker.check_nothing_lost(self.acd)
