"""The flows a service runs, checked together: sub-flows exist and do not call in circles.

Strategy: a `FlowSet` is built once from parsed flows and never changes (a reload builds a
new one), so an interpreter can hold it for the whole call. Building it checks what no
single flow can: a `subflow` node naming a flow that is not there, and flows that call
each other round in a loop, which would nest without end.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ivr_flows.errors import FlowError, FlowProblem
from ivr_flows.flow import Flow
from ivr_flows.graph import loops
from ivr_flows.nodes_logic import SubflowNode


class FlowSet:
    """Flows by name, consistent with each other. FlowError on any problem."""

    def __init__(self, flows: Iterable[Flow]) -> None:
        self._flows: dict[str, Flow] = {}
        problems: list[FlowProblem] = []
        for flow in flows:
            if flow.name in self._flows:
                problems.append(FlowProblem(flow.name, (), "two flows have this name"))
            self._flows[flow.name] = flow
        problems += self._subflow_problems()
        if problems:
            raise FlowError(problems)

    def __getitem__(self, name: str) -> Flow:
        return self._flows[name]

    def __contains__(self, name: object) -> bool:
        return name in self._flows

    def __iter__(self) -> Iterator[Flow]:
        return iter(self._flows.values())

    def __len__(self) -> int:
        return len(self._flows)

    @property
    def names(self) -> tuple[str, ...]:
        """The flows' names, sorted."""
        return tuple(sorted(self._flows))

    def pop_labels(self) -> dict[str, str]:
        """Every flow's `pop_labels` in one mapping (a call's data may come from several
        flows: sub-flows). Flows are taken by name; where two label a key, the first wins."""
        labels: dict[str, str] = {}
        for name in self.names:
            for key, label in self._flows[name].pop_labels.items():
                labels.setdefault(key, label)
        return labels

    def _subflow_problems(self) -> list[FlowProblem]:
        problems = []
        calls: dict[str, list[str]] = {}
        for flow in self._flows.values():
            calls[flow.name] = []
            for node_id, node in flow.nodes.items():
                if not isinstance(node, SubflowNode):
                    continue
                if node.flow in self._flows:
                    calls[flow.name].append(node.flow)
                else:
                    known = ", ".join(sorted(self._flows))
                    message = f"no flow {node.flow!r} (flows: {known})"
                    problems.append(FlowProblem(flow.name, ("nodes", node_id, "flow"), message))
        for cycle in loops(sorted(calls), calls):
            shown = " -> ".join([*cycle, cycle[0]])
            message = f"sub-flows call each other in a loop: {shown}"
            problems.append(FlowProblem(cycle[0], ("nodes", self._caller(cycle)), message))
        return problems

    def _caller(self, cycle: list[str]) -> str:
        """The node of the cycle's first flow that calls the next flow of the cycle."""
        callee = cycle[1] if len(cycle) > 1 else cycle[0]
        return next(
            node_id
            for node_id, node in self._flows[cycle[0]].nodes.items()
            if isinstance(node, SubflowNode) and node.flow == callee
        )
