"""How lookups, conditions, data and sub-flow nodes behave on a call.

Strategy: conditions are pure functions of the call data, the calendar and `now`; lookups
ask the shell (LookupCustomer, LookupData, EstimateWait) and branch on the answer. An
answer's fields are untrusted text: a field whose name is not a data key, or whose value
is not printable text of bounded length, is dropped before it reaches the call data.
"""

from __future__ import annotations

from collections.abc import Mapping

from ivr_flows.actions import EstimateWait, LookupCustomer, LookupData
from ivr_flows.inputs import IvrInput, LookupAnswered, WaitEstimated
from ivr_flows.nodes_logic import (
    CompareNode,
    EstimatedWaitNode,
    LookupCustomerNode,
    LookupDataNode,
    OpeningHoursNode,
    ReturnNode,
    SetDataNode,
    SubflowNode,
    SwitchNode,
)
from ivr_flows.steps import Call, CallContext, Go, Return, Step, Visit, Wait
from ivr_flows.vocabulary import clean_value, is_data_key, is_keypad_entry, is_phone_number

LogicNode = (
    LookupCustomerNode
    | LookupDataNode
    | OpeningHoursNode
    | CompareNode
    | SwitchNode
    | EstimatedWaitNode
    | SetDataNode
    | SubflowNode
    | ReturnNode
)
"""The node types handled here."""


def enter(node: LogicNode, visit: Visit, ctx: CallContext) -> Step:
    """Start the node: decide at once, or ask the shell a question."""
    match node:
        case LookupCustomerNode():
            key = ctx.data.get(node.key)
            usable = is_phone_number if node.by == "caller_number" else _is_number
            if key is None or not usable(key):
                return Go(node.not_found)
            return Wait((LookupCustomer(node.by, key),))
        case LookupDataNode():
            key = ctx.data.get(node.using)
            if key is None:
                return Go(node.not_found)
            return Wait((LookupData(node.kind, key),))
        case OpeningHoursNode():
            state = ctx.calendars[node.calendar].state_at(ctx.now, ctx.default_zone)
            if state == "open":
                return Go(node.open)
            return Go(node.holiday or node.closed if state == "holiday" else node.closed)
        case CompareNode():
            holds = _compare(node, ctx.data.get(node.key))
            return Go(node.then if holds else node.otherwise)
        case SwitchNode():
            return Go(node.cases.get(ctx.data.get(node.key, ""), node.default))
        case EstimatedWaitNode():
            return Wait((EstimateWait(node.queue),))
        case SetDataNode():
            ctx.data.update(node.values)
            return Go(node.next)
        case SubflowNode():
            return Call(node.flow, node.next)
        case ReturnNode():
            return Return()


def resume(node: LogicNode, visit: Visit, event: IvrInput, ctx: CallContext) -> Step:
    """Take the shell's answer to a lookup or a wait estimate."""
    match node:
        case LookupCustomerNode() if isinstance(event, LookupAnswered):
            if event.fields is None or event.failed:
                return Go(node.not_found)
            _store(ctx.data, "customer", event.fields)
            tier = ctx.data.get("customer.tier")
            return Go(node.tiers.get(tier, node.found) if tier else node.found)
        case LookupDataNode() if isinstance(event, LookupAnswered):
            if event.fields is None or event.failed:
                return Go(node.not_found)
            _store(ctx.data, node.store_as, event.fields)
            # The caller was answered by the IVR: hanging up now is served, not abandoned.
            ctx.outcome = ctx.outcome or "self_service"
            return Go(node.found)
        case EstimatedWaitNode() if isinstance(event, WaitEstimated):
            if event.seconds is None or event.seconds < 0:
                return Go(node.otherwise)
            ctx.data["estimated_wait_s"] = f"{event.seconds:.0f}"
            return Go(node.then if event.seconds > node.above_s else node.otherwise)
    raise ValueError(f"{type(node).__name__} takes no {type(event).__name__}")


def _is_number(text: str) -> bool:
    return text.isdigit() and is_keypad_entry(text)


def _store(data: dict[str, str], prefix: str, fields: Mapping[str, str]) -> None:
    """Copy an answer into the call data as `<prefix>.<field>`, dropping what is unusable."""
    for name, raw in fields.items():
        key = f"{prefix}.{name}"
        value = clean_value(raw)
        if is_data_key(key) and value is not None:
            data[key] = value


def _compare(node: CompareNode, value: str | None) -> bool:
    if node.op == "exists":
        return value is not None
    if node.op == "missing":
        return value is None
    if value is None:
        return False
    expected = node.value
    if node.op == "in":
        return isinstance(expected, list) and value in expected
    if not isinstance(expected, str):
        return False
    if node.op == "eq":
        return value == expected
    if node.op == "ne":
        return value != expected
    try:
        left, right = float(value), float(expected)
    except ValueError:
        return False
    match node.op:
        case "lt":
            return left < right
        case "le":
            return left <= right
        case "gt":
            return left > right
    return left >= right
