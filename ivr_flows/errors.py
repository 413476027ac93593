"""What is wrong with a flow, said so that whoever edits the file can fix it.

Strategy: every problem, from pydantic's schema or from the graph checks, becomes a
`FlowProblem`: the flow, where in the file (`loc`, keys from the top), and the problem in
words. The pure core names the node; the shell adds the file and the line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FlowProblem:
    """One problem of one flow, e.g. node 'main_menu', `choices.4`: no such node."""

    flow: str
    loc: tuple[str | int, ...]
    message: str

    @property
    def node(self) -> str | None:
        """The node the problem is in, if it is in one."""
        if len(self.loc) >= 2 and self.loc[0] == "nodes":
            return str(self.loc[1])
        return None

    @property
    def where(self) -> str:
        """The place in words: `node 'menu': choices.4` or `calendars.hotline.timezone`."""
        if self.node is not None:
            inner = ".".join(str(part) for part in self.loc[2:])
            return f"node {self.node!r}" + (f": {inner}" if inner else "")
        return ".".join(str(part) for part in self.loc) or "(top level)"

    def describe(self) -> str:
        """`<where>: <message>`, the line the CLI prints after the file and line."""
        return f"{self.where}: {self.message}"


class FlowError(Exception):
    """One or more flows cannot be used; `problems` says what and where."""

    def __init__(self, problems: Iterable[FlowProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            "\n".join(f"flow {problem.flow!r}: {problem.describe()}" for problem in self.problems)
        )
