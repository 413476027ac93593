"""The IVR interpreter: one call through its flow, caller input in, actions out.

Strategy: the same shape as the ACD core. `handle(input) -> list[action]`, synchronous and
pure: no clock (every input carries `now`), no I/O, no randomness. The call is a stack of
frames (the call's flow, then any sub-flows) and the `Visit` of the node it is in. An input
goes to the node that awaits it; the node's step may move through any number of nodes
that need no answer until one waits (its action is the last of the list) or the flow ends
(`Finished`, with the outcome, the path of visited nodes and the collected data). A
caller's hang-up ends it at any point with the partial path. An input that does not fit
the moment is answered with `InputIgnored` and changes nothing: facts never crash the core.

Path entries are node ids; nodes of a sub-flow are written `<flow>/<node>`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from types import MappingProxyType

from ivr_flows import conversation_steps, dialog_steps, exit_steps, logic_steps
from ivr_flows.actions import Finished, Hangup, InputIgnored, IvrAction
from ivr_flows.calendar import Calendar
from ivr_flows.flow import AnyNode, Flow
from ivr_flows.flowset import FlowSet
from ivr_flows.inputs import CallerHungUp, CallStarted, IvrInput
from ivr_flows.nodes_conversation import CallbackNode, SurveyNode
from ivr_flows.nodes_dialog import CollectNode, LanguageNode, MenuNode, PlayNode, SayNode
from ivr_flows.nodes_exits import HangupNode, QueueNode, TransferNode, VoicemailNode
from ivr_flows.steps import Call, CallContext, End, Go, Return, Step, Visit, Wait, answers
from ivr_flows.vocabulary import clean_value, is_data_key, is_phone_number

MAX_STEPS_PER_INPUT = 500
"""Nodes passed for one input before the call is ended as failed: a guard, since the
graph checks already refuse loops that never wait for the caller."""


@dataclass(slots=True)
class _Frame:
    flow: Flow
    node_id: str
    then: str | None


class IvrInterpreter:
    """Runs one call through flow `flow` of `flows`; feed it inputs with `handle`.

    `timezone` reads calendars that name no zone of their own (the service's zone).
    `dialable` says whether a number (3-20 digits, optional `+`) can be called back: the
    shell's checks it is a valid number of its country (a callback offer or a keyed-in
    number that is not is never offered: the caller is asked for another).
    """

    def __init__(
        self,
        flows: FlowSet,
        flow: str,
        *,
        timezone: tzinfo = UTC,
        dialable: Callable[[str], bool] = is_phone_number,
        calendars: Mapping[str, Calendar] | None = None,
    ) -> None:
        if flow not in flows:
            raise ValueError(f"no flow {flow!r}; the flows are: {', '.join(flows.names)}")
        self._flows = flows
        self._entry = flows[flow]
        self._stack: list[_Frame] = []
        self._visit = Visit()
        self._path: list[str] = []
        self._ctx: CallContext | None = None
        self._zone = timezone
        self._dialable = dialable
        self._calendars = dict(calendars or {})
        self._finished: Finished | None = None

    @property
    def finished(self) -> Finished | None:
        """The end of the call, once it is over."""
        return self._finished

    @property
    def path(self) -> tuple[str, ...]:
        """The nodes visited so far, in order."""
        return tuple(self._path)

    @property
    def data(self) -> Mapping[str, str]:
        """The call data so far (a read-only view)."""
        return MappingProxyType(self._ctx.data if self._ctx else {})

    def handle(self, event: IvrInput) -> list[IvrAction]:
        """Apply one input; the actions to carry out, in order."""
        name = type(event).__name__
        if self._finished is not None:
            return [InputIgnored(name, "the call has already finished")]
        if isinstance(event, CallStarted):
            if self._ctx is not None:
                return [InputIgnored(name, "the call has already started")]
            return self._start(event)
        ctx = self._ctx
        if ctx is None:
            if isinstance(event, CallerHungUp):
                self._ctx = CallContext({}, event.now, self._zone)
                return self._finish((), "abandoned", hung_up=True)
            return [InputIgnored(name, "the call has not started")]
        ctx.now = event.now
        node = self._node()
        if isinstance(event, CallerHungUp):
            last: tuple[IvrAction, ...] = ()
            if isinstance(node, SurveyNode | CallbackNode):
                last = conversation_steps.on_hangup(node, self._visit, ctx)
            return self._finish(last, ctx.outcome or "abandoned", hung_up=True)
        if not answers(self._visit.awaiting, event):
            waiting = type(self._visit.awaiting).__name__
            return [InputIgnored(name, f"node {self._path[-1]!r} is waiting for {waiting}")]
        return self._run(_resume(node, self._visit, event, ctx))

    def _start(self, event: CallStarted) -> list[IvrAction]:
        data = {}
        for key, raw in event.call.items():
            value = clean_value(raw)
            if is_data_key(key) and value is not None:
                data[key] = value
        if not is_phone_number(data.get("caller_number", "")):
            # Caller ID is whatever the far end claims: only a plain number is looked up.
            data.pop("caller_number", None)
        self._ctx = CallContext(
            data, event.now, self._zone, self._calendars_of(self._entry), dialable=self._dialable
        )
        self._stack.append(_Frame(self._entry, self._entry.start, None))
        return self._run(self._enter(self._entry.start))

    def _run(self, step: Step) -> list[IvrAction]:
        out: list[IvrAction] = []
        for _ in range(MAX_STEPS_PER_INPUT):
            match step:
                case Wait(actions=actions):
                    out += actions
                    self._visit.awaiting = actions[-1]
                    return out
                case Go(target=target, actions=actions):
                    out += actions
                    step = self._enter(target)
                case Call(flow=flow, then=then):
                    sub = self._flows[flow]
                    self._stack.append(_Frame(sub, sub.start, then))
                    step = self._enter(sub.start)
                case Return():
                    frame = self._stack.pop()
                    if frame.then is None:
                        self._stack.append(frame)
                        step = End(None, (Hangup(),))
                    else:
                        step = self._enter(frame.then)
                case End(outcome=outcome, actions=actions):
                    out += actions
                    return out + self._finish((), outcome, hung_up=False)
        return out + self._finish((Hangup(),), "failed", hung_up=False)

    def _enter(self, node_id: str) -> Step:
        frame = self._stack[-1]
        frame.node_id = node_id
        nested = len(self._stack) > 1
        self._path.append(f"{frame.flow.name}/{node_id}" if nested else node_id)
        self._visit = Visit()
        ctx = self._context()
        ctx.calendars = self._calendars_of(frame.flow)
        return _enter(frame.flow.nodes[node_id], self._visit, ctx)

    def _calendars_of(self, flow: Flow) -> Mapping[str, Calendar]:
        # The center's calendars (opening hours changed while the center runs) win over
        # the flow file's copy of the same name.
        if not self._calendars:
            return flow.calendars
        return {**flow.calendars, **self._calendars}

    def _node(self) -> AnyNode:
        frame = self._stack[-1]
        return frame.flow.nodes[frame.node_id]

    def _context(self) -> CallContext:
        if self._ctx is None:
            raise RuntimeError("the call has not started")
        return self._ctx

    def _finish(
        self, last: tuple[IvrAction, ...], outcome: str | None, *, hung_up: bool
    ) -> list[IvrAction]:
        ctx = self._context()
        self._finished = Finished(
            outcome=outcome or ctx.outcome or "completed",
            path=tuple(self._path),
            data=MappingProxyType(dict(ctx.data)),
            hung_up=hung_up,
        )
        return [*last, self._finished]


def _enter(node: AnyNode, visit: Visit, ctx: CallContext) -> Step:
    match node:
        case PlayNode() | SayNode() | MenuNode() | CollectNode() | LanguageNode():
            return dialog_steps.enter(node, visit, ctx)
        case SurveyNode() | CallbackNode():
            return conversation_steps.enter(node, visit, ctx)
        case QueueNode() | VoicemailNode() | TransferNode() | HangupNode():
            return exit_steps.enter(node, visit, ctx)
        case _:
            return logic_steps.enter(node, visit, ctx)


def _resume(node: AnyNode, visit: Visit, event: IvrInput, ctx: CallContext) -> Step:
    match node:
        case PlayNode() | SayNode() | MenuNode() | CollectNode() | LanguageNode():
            return dialog_steps.resume(node, visit, event, ctx)
        case SurveyNode() | CallbackNode():
            return conversation_steps.resume(node, visit, event, ctx)
        case QueueNode() | VoicemailNode() | TransferNode() | HangupNode():
            return exit_steps.resume(node, visit, event, ctx)
        case _:
            return logic_steps.resume(node, visit, event, ctx)
