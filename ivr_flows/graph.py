"""The graph checks of a flow: missing targets, unreachable nodes, loops without input.

Strategy: a flow is a directed graph (node -> its exits). Three things make it unusable on
a call, and each is reported where the flow file can be fixed: an exit naming no node (at
that exit), a node no path from `start` reaches (at the node: dead text misleads whoever
edits the flow), and a loop of nodes none of which waits for the caller (at its first
node: the interpreter would spin in it for ever). Loops are found by peeling off, again and
again, the nodes with no exit left inside the set (Kahn's algorithm); what remains lies on
a loop or leads into one, and a walk from any of it finds the loop itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ivr_flows.node_base import NodeModel

Loc = tuple[str | int, ...]
"""Where a problem is in a flow file: keys from the top (`("nodes", "menu", "next")`)."""


def reachable(start: str, edges: Mapping[str, Sequence[str]]) -> set[str]:
    """Every node a path from `start` reaches (`start` included), following `edges`."""
    seen = {start}
    todo = [start]
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def loops(order: Sequence[str], edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The distinct cycles among `order`'s nodes, each starting at its earliest node."""
    inside = set(order)
    out = {node: {t for t in edges.get(node, ()) if t in inside} for node in order}
    peeled = True
    while peeled:
        peeled = False
        for node in [n for n in out if not out[n]]:
            del out[node]
            peeled = True
        for targets in out.values():
            targets.intersection_update(out)
    rank = {node: i for i, node in enumerate(order)}
    found: list[list[str]] = []
    covered: set[str] = set()
    for node in order:
        if node not in out or node in covered:
            continue
        walk: list[str] = []
        current = node
        while current not in walk and current not in covered:
            walk.append(current)
            current = min(out[current], key=rank.__getitem__)
        if current in covered:
            covered.update(walk)
            continue
        cycle = walk[walk.index(current) :]
        first = cycle.index(min(cycle, key=rank.__getitem__))
        found.append(cycle[first:] + cycle[:first])
        covered.update(walk)
    return found


def graph_problems(start: str, nodes: Mapping[str, NodeModel]) -> list[tuple[Loc, str]]:
    """Every graph problem of a flow, in the order of the flow file."""
    problems: list[tuple[Loc, str]] = []
    if start not in nodes:
        problems.append((("start",), f"start node {start!r} is not a node of this flow"))
    edges: dict[str, list[str]] = {}
    for node_id, node in nodes.items():
        edges[node_id] = []
        for label, target in node.targets():
            if target in nodes:
                edges[node_id].append(target)
            else:
                loc: Loc = ("nodes", node_id, *label.split("."))
                problems.append((loc, f"{target!r} is not a node of this flow"))
    if start in nodes:
        seen = reachable(start, edges)
        problems.extend(
            (("nodes", node_id), f"unreachable: no path leads here from start {start!r}")
            for node_id in nodes
            if node_id not in seen
        )
    silent = [node_id for node_id, node in nodes.items() if not node.waits_for_input]
    for cycle in loops(silent, edges):
        shown = " -> ".join([*cycle, cycle[0]])
        problems.append(
            (
                ("nodes", cycle[0]),
                f"loop that never waits for caller input: {shown} "
                "(a menu, collect or other question must be on the way)",
            )
        )
    return problems
