"""Skill relaxation: which requirement is in force after a call has waited so long.

Strategy: a queue's relaxation steps (Amazon Connect's routing steps, Genesys' bullseye
rings) form a plan. Step 0 is the call's full requirement (queue skills merged with the
call's own); step n caps every level at the n-th step's ``min_level`` or, with no level,
accepts any member. Steps only widen, so an agent eligible at step n stays eligible later.
The plan answers three questions fast: the step for a wait, when the next step starts, and
the requirement at a step (memoised, since thousands of calls share a handful of them).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence

from acd.config import RelaxationStep
from acd.types import Requirement, Seconds


def merge_requirements(*parts: Mapping[str, int]) -> Requirement:
    """Combine skill maps, keeping the highest level asked for each skill."""
    merged: dict[str, int] = {}
    for part in parts:
        for skill, level in part.items():
            if level > merged.get(skill, 0):
                merged[skill] = level
    return tuple(sorted(merged.items()))


def qualifies(skills: Mapping[str, int], requirement: Requirement) -> bool:
    """Whether an agent with ``skills`` meets every minimum level of ``requirement``."""
    return all(skills.get(skill, 0) >= level for skill, level in requirement)


def proficiency(skills: Mapping[str, int], requirement: Requirement) -> int:
    """Sum of the agent's levels over the required skills (the best-proficiency score)."""
    return sum(skills.get(skill, 0) for skill, _ in requirement)


class RelaxationPlan:
    """The relaxation steps of one queue, ready to be asked about a waiting call."""

    __slots__ = ("_caps", "_memo", "starts")

    def __init__(self, steps: Sequence[RelaxationStep]) -> None:
        self.starts: tuple[Seconds, ...] = (0.0, *(step.after_seconds for step in steps))
        """When each step comes into force, in seconds of waiting; step 0 at once."""
        self._caps: tuple[int | None, ...] = tuple(step.min_level for step in steps)
        self._memo: dict[tuple[Requirement, int], Requirement] = {}

    @property
    def last_step(self) -> int:
        """Index of the widest step."""
        return len(self.starts) - 1

    def step_for_wait(self, waited: Seconds) -> int:
        """The step in force after ``waited`` seconds in the queue."""
        return bisect_right(self.starts, waited) - 1

    def next_step_at(self, step: int) -> Seconds | None:
        """Seconds of waiting at which the step after ``step`` starts, or None at the last."""
        if step >= self.last_step:
            return None
        return self.starts[step + 1]

    def requirement(self, base: Requirement, step: int) -> Requirement:
        """The requirement in force at ``step`` for a call whose full requirement is ``base``."""
        if step == 0:
            return base
        memo_key = (base, step)
        cached = self._memo.get(memo_key)
        if cached is None:
            cap = self._caps[step - 1]
            cached = () if cap is None else tuple((skill, min(level, cap)) for skill, level in base)
            self._memo[memo_key] = cached
        return cached
