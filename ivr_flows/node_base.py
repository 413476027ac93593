"""What every node of a flow has: its exits, whether it waits for the caller, a summary.

Strategy: a node is a frozen pydantic model with a `type` tag; the graph checks and the tree
printer only need the three questions answered here, so new node types plug in by
overriding them. `targets()` names each exit the way the flow file writes it
(`next`, `choices.1`, `cases.shipped`), which is also where a problem with it is reported.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ivr_flows.vocabulary import NodeId, Prompts


class NodeModel(BaseModel):
    """Base of every node type."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def targets(self) -> list[tuple[str, str]]:
        """The exits of the node: (where the flow file names it, target node id)."""
        return []

    @property
    def waits_for_input(self) -> bool:
        """True when every pass through the node waits for the caller (keys or a message).

        The graph check refuses a loop of nodes that never wait: it would spin for ever.
        """
        return False

    def summary(self) -> str:
        """One line about the node for `callcenter flows check`."""
        return ""


class AskingNode(NodeModel):
    """Base of the nodes that read keys: how long to wait, how often to ask again."""

    timeout_s: float = Field(5.0, gt=0, le=60)
    retries: int = Field(2, ge=0, le=5)
    no_input_prompts: Prompts | None = None
    invalid_prompts: Prompts | None = None

    @property
    def waits_for_input(self) -> bool:
        """Asking nodes always wait for keys (or their timeout)."""
        return True

    def retry_prompts(self, no_input: bool) -> tuple[str, ...]:
        """What to play before asking again after silence or an invalid entry."""
        extra = self.no_input_prompts if no_input else self.invalid_prompts
        return extra or ()


def exits(**named: NodeId | None) -> list[tuple[str, str]]:
    """The named exits that are set, in the order given."""
    return [(label, target) for label, target in named.items() if target is not None]
