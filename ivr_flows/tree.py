"""A flow drawn as a tree, the way `callcenter flows check` prints a valid flow.

Strategy: walk depth-first from `start`, each node under the exit that leads to it; a node
already drawn is named again with `(see above)` instead of being drawn twice, so loops and
shared endings stay readable. Pure: returns lines, prints nothing.
"""

from __future__ import annotations

from ivr_flows.flow import Flow


def flow_tree(flow: Flow) -> list[str]:
    """The lines of the tree of `flow`, headed by its name, size and start."""
    head = f"{flow.name}: {len(flow.nodes)} nodes, starts at {flow.start}"
    lines = [head]
    if flow.description:
        lines.append(f"  {' '.join(flow.description.split())}")
    drawn: set[str] = set()
    # (prefix for the node's children, exit label, node id, is last child): an explicit
    # stack instead of recursion, as a flow may nest a few hundred nodes deep.
    todo: list[tuple[str, str, str, bool]] = [("", "", flow.start, True)]
    while todo:
        prefix, label, node_id, last = todo.pop()
        node = flow.nodes[node_id]
        branch = "" if not label else ("└── " if last else "├── ")
        lead = f"{label} → " if label else ""
        if node_id in drawn:
            lines.append(f"{prefix}{branch}{lead}{node_id} (see above)")
            continue
        drawn.add(node_id)
        lines.append(f"{prefix}{branch}{lead}{node_id}: {node.summary()}")
        inner = prefix + ("" if not label else ("    " if last else "│   "))
        exits = node.targets()
        for index in reversed(range(len(exits))):
            exit_label, target = exits[index]
            todo.append((inner, exit_label, target, index == len(exits) - 1))
    return lines
