"""A flow: named nodes, a start, calendars; and `parse_flow`, which checks one whole.

Strategy: a flow file is a mapping that pydantic validates (`extra="forbid"`: a misspelt
key is an error, never a silent default); nodes are a union tagged by `type`. A `Flow` that
exists has passed the schema and the graph checks (`graph`), because `parse_flow` is the
way to make one from data: it gathers every problem of the file at once, each with the
node and the key, so one run of `callcenter flows check` shows them all.
"""

from __future__ import annotations

from typing import Annotated, Any, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from ivr_flows.calendar import Calendar
from ivr_flows.errors import FlowError, FlowProblem
from ivr_flows.graph import Loc, graph_problems
from ivr_flows.nodes_conversation import CallbackNode, SurveyNode
from ivr_flows.nodes_dialog import CollectNode, LanguageNode, MenuNode, PlayNode, SayNode
from ivr_flows.nodes_exits import HangupNode, QueueNode, TransferNode, VoicemailNode
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
from ivr_flows.vocabulary import DataKey, FlowName, Label, NodeId

AnyNode = (
    PlayNode
    | SayNode
    | MenuNode
    | CollectNode
    | LanguageNode
    | SurveyNode
    | CallbackNode
    | LookupCustomerNode
    | LookupDataNode
    | OpeningHoursNode
    | CompareNode
    | SwitchNode
    | EstimatedWaitNode
    | SetDataNode
    | SubflowNode
    | ReturnNode
    | QueueNode
    | VoicemailNode
    | TransferNode
    | HangupNode
)
"""Every node type a flow may hold."""

NODE_TYPES: tuple[str, ...] = tuple(
    get_args(node_type.model_fields["type"].annotation)[0] for node_type in get_args(AnyNode)
)
"""The `type` names of the node types, in the order above."""

MAX_NODES = 500
"""More nodes than this is not a flow anybody can read; it is refused."""


class Flow(BaseModel):
    """One IVR flow. Build it with `parse_flow`, which also runs the graph checks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: FlowName
    description: str | None = Field(None, max_length=2000)
    pop_labels: dict[DataKey, Annotated[str, Field(max_length=80)]] = Field(
        default_factory=dict, max_length=100
    )
    """What the agent's screen pop calls each piece of call data this flow stores
    (`account_number: Account number`), in the order the pop lists them; an empty label keeps
    a key off the pop. Data without a label shows under its key; the service's own data
    (dialled number, call id, estimated wait) never shows."""
    start: NodeId
    calendars: dict[Label, Calendar] = Field(default_factory=dict)
    nodes: dict[NodeId, Annotated[AnyNode, Field(discriminator="type")]] = Field(
        min_length=1, max_length=MAX_NODES
    )


def parse_flow(data: object, name: str) -> Flow:
    """Validate a flow read from a file called `<name>.yaml`; FlowError lists every problem.

    The flow's name is its file name; a `name:` key in the file, if any, must agree.
    """
    if not isinstance(data, dict):
        where: Loc = ()
        raise FlowError([FlowProblem(name, where, "a flow must be a mapping with start and nodes")])
    given = data.get("name", name)
    if given != name:
        message = f"{given!r} differs from the file's name {name!r}; a flow is named by its file"
        raise FlowError([FlowProblem(name, ("name",), message)])
    try:
        flow = Flow.model_validate({**data, "name": name})
    except ValidationError as error:
        raise FlowError([_problem(name, detail) for detail in error.errors()]) from None
    problems = [FlowProblem(name, loc, message) for loc, message in _flow_problems(flow)]
    if problems:
        raise FlowError(problems)
    return flow


def _flow_problems(flow: Flow) -> list[tuple[Loc, str]]:
    problems = graph_problems(flow.start, flow.nodes)
    for node_id, node in flow.nodes.items():
        if isinstance(node, OpeningHoursNode) and node.calendar not in flow.calendars:
            known = ", ".join(flow.calendars) or "none"
            message = f"no calendar {node.calendar!r} in this flow (calendars: {known})"
            problems.append((("nodes", node_id, "calendar"), message))
    return problems


def _problem(flow: str, detail: ErrorDetails) -> FlowProblem:
    """A pydantic error as a problem a flow's author understands."""
    loc = tuple(detail["loc"])
    if len(loc) >= 3 and loc[0] == "nodes" and loc[2] in NODE_TYPES:
        loc = loc[:2] + loc[3:]  # the tag pydantic adds for the chosen node type
    loc = tuple(part for part in loc if part != "[key]")
    kind = detail["type"]
    context: dict[str, Any] = dict(detail.get("ctx") or {})
    known = ", ".join(NODE_TYPES)
    if kind == "union_tag_invalid":
        message = f"unknown node type {context.get('tag')!r}; the types are: {known}"
    elif kind == "union_tag_not_found":
        message = f"a node needs a `type`, one of: {known}"
    elif kind == "extra_forbidden":
        message = "unknown key (misspelt, or not a key of this node type)"
    elif kind == "missing":
        message = "required, but missing"
    else:
        message = detail["msg"].removeprefix("Value error, ")
    return FlowProblem(flow, loc, message)
