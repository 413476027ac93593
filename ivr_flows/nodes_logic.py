"""Nodes that decide without talking: lookups, conditions, data, sub-flows.

Strategy: schema only; the behaviour is in `logic_steps`. Conditions read the call data,
the calendar or an estimated wait and branch; none of them waits for the caller, which is
why the graph check watches loops made of them.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from ivr_flows.actions import CustomerKey
from ivr_flows.node_base import NodeModel, exits
from ivr_flows.vocabulary import (
    DataKey,
    FlowName,
    Label,
    NodeId,
    QueueName,
    Text,
    TextKeys,
    TextValues,
)

CompareOp = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "exists", "missing"]
"""How `compare` tests a value: equality, numeric order, membership, presence."""

_NUMERIC_OPS = ("lt", "le", "gt", "ge")


class LookupCustomerNode(NodeModel):
    """Find the customer by the caller's number or by an account number in the call data.

    The record's fields land in the call data as `customer.<field>` (name, tier, language,
    account ...). A tier listed in `tiers` takes its own exit before `found`.
    """

    type: Literal["lookup_customer"]
    by: CustomerKey
    using: DataKey | None = None
    found: NodeId
    not_found: NodeId
    tiers: Annotated[dict[Label, NodeId], TextKeys] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        """The call data searched: `using`, else the caller's number."""
        return self.using or "caller_number"

    @model_validator(mode="after")
    def _account_names_its_key(self) -> Self:
        if self.by == "account" and self.using is None:
            raise ValueError("a lookup by account needs `using`: the key holding the number")
        return self

    def targets(self) -> list[tuple[str, str]]:
        """Tier exits first, then found and not found."""
        tiered = [(f"tiers.{tier}", target) for tier, target in self.tiers.items()]
        return [*tiered, *exits(found=self.found, not_found=self.not_found)]

    def summary(self) -> str:
        """What is searched by."""
        return f"lookup customer by {self.by} ({self.key})"


class LookupDataNode(NodeModel):
    """Fetch a self-service answer; its fields land in the call data as `<store_as>.<field>`.

    An answer found makes the call's outcome `self_service` unless a later step gives
    another (queued, callback ...): a caller who hangs up after hearing it was served.
    """

    type: Literal["lookup_data"]
    kind: Literal["order_status"]
    using: DataKey
    store_as: DataKey
    found: NodeId
    not_found: NodeId

    def targets(self) -> list[tuple[str, str]]:
        """Found or not."""
        return exits(found=self.found, not_found=self.not_found)

    def summary(self) -> str:
        """The kind of answer and its key."""
        return f"lookup {self.kind} of {self.using}"


class OpeningHoursNode(NodeModel):
    """Branch on a calendar of the flow: open, closed, or a holiday (closed by default)."""

    type: Literal["opening_hours"]
    calendar: Label
    open: NodeId
    closed: NodeId
    holiday: NodeId | None = None

    def targets(self) -> list[tuple[str, str]]:
        """Open, closed, and holiday when set."""
        return exits(open=self.open, closed=self.closed, holiday=self.holiday)

    def summary(self) -> str:
        """The calendar consulted."""
        return f"opening hours of {self.calendar}"


class CompareNode(NodeModel):
    """Test one value of the call data; `then` when the test holds, `else` otherwise.

    `lt`/`le`/`gt`/`ge` compare numbers (a value that is not one fails the test); `eq`/`ne`
    compare text; `in` checks membership in a list; `exists`/`missing` need no value.
    """

    type: Literal["compare"]
    key: DataKey
    op: CompareOp = "eq"
    value: Text | list[Text] | None = None
    then: NodeId
    otherwise: NodeId = Field(alias="else")

    @model_validator(mode="after")
    def _value_fits_op(self) -> Self:
        if self.op in ("exists", "missing"):
            if self.value is not None:
                raise ValueError(f"op {self.op!r} takes no value")
        elif self.op == "in":
            if not isinstance(self.value, list) or not self.value:
                raise ValueError("op 'in' needs a list of values")
        elif not isinstance(self.value, str):
            raise ValueError(f"op {self.op!r} needs one value")
        elif self.op in _NUMERIC_OPS and not _is_number(self.value):
            raise ValueError(f"op {self.op!r} needs a number, not {self.value!r}")
        return self

    def targets(self) -> list[tuple[str, str]]:
        """Then and else."""
        return [*exits(then=self.then), ("else", self.otherwise)]

    def summary(self) -> str:
        """The test."""
        shown = "" if self.value is None else f" {self.value}"
        return f"compare {self.key} {self.op}{shown}"


class SwitchNode(NodeModel):
    """Branch on the text of one value of the call data; `default` for any other."""

    type: Literal["switch"]
    key: DataKey
    cases: Annotated[dict[str, NodeId], TextKeys] = Field(min_length=1)
    default: NodeId

    def targets(self) -> list[tuple[str, str]]:
        """One exit per case, then the default."""
        return [(f"cases.{value}", target) for value, target in self.cases.items()] + [
            ("default", self.default)
        ]

    def summary(self) -> str:
        """The key switched on."""
        return f"switch on {self.key}"


class EstimatedWaitNode(NodeModel):
    """Branch on the wait a caller would have in `queue` now: `then` when above the limit."""

    type: Literal["estimated_wait"]
    queue: QueueName
    above_s: float = Field(ge=0, le=86_400)
    then: NodeId
    otherwise: NodeId = Field(alias="else")

    def targets(self) -> list[tuple[str, str]]:
        """Above (then) and not above or unknown (else)."""
        return [*exits(then=self.then), ("else", self.otherwise)]

    def summary(self) -> str:
        """The queue and the limit."""
        return f"estimated wait in {self.queue} above {self.above_s:g} s"


class SetDataNode(NodeModel):
    """Put literal values into the call data (e.g. `reason: billing` for the agent's screen)."""

    type: Literal["set"]
    values: Annotated[dict[DataKey, Text], TextValues] = Field(min_length=1)
    next: NodeId

    def targets(self) -> list[tuple[str, str]]:
        """Set has one exit."""
        return exits(next=self.next)

    def summary(self) -> str:
        """The values set."""
        return "set " + ", ".join(f"{key}={value}" for key, value in self.values.items())


class SubflowNode(NodeModel):
    """Run another flow; when it reaches a `return` node, go on at `next`."""

    type: Literal["subflow"]
    flow: FlowName
    next: NodeId

    def targets(self) -> list[tuple[str, str]]:
        """Where to go on after the sub-flow returns."""
        return exits(next=self.next)

    def summary(self) -> str:
        """The flow run."""
        return f"sub-flow {self.flow}"


class ReturnNode(NodeModel):
    """End a sub-flow and go back to the flow that called it (in a call's own flow: hang up)."""

    type: Literal["return"]

    def summary(self) -> str:
        """Nothing more to say."""
        return "return"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
