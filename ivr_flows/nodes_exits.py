"""Nodes that end the IVR or hand the caller on: queue, voicemail, transfer, hang-up.

Strategy: schema only; the behaviour is in `exit_steps`. A queue node is where the IVR's
work ends: the collected data travels with the call to the agent's screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field

from ivr_flows.node_base import NodeModel, exits
from ivr_flows.vocabulary import (
    DataKey,
    Label,
    NodeId,
    PhoneNumber,
    Prompts,
    QueueName,
    SkillName,
    TextKeys,
)

SkillLevel = Annotated[int, Field(ge=1, le=5)]
"""A required proficiency, 1 (novice) to 5 (expert), as the ACD grades skills."""

Priority = Annotated[int, Field(ge=0, le=100)]
"""A queue priority: higher is served first."""


class RoutingFields(NodeModel):
    """How a call (or a callback standing in for it) is ranked and matched in the ACD.

    `language_skill` adds `lang-<language>` (from the call data) to the required skills;
    `priority_by_tier` raises the priority by the customer's tier (`customer.tier`).
    """

    skills: dict[SkillName, SkillLevel] = Field(default_factory=dict)
    language_skill: bool = False
    priority: Priority = 0
    priority_by_tier: Annotated[dict[Label, Priority], TextKeys] = Field(default_factory=dict)

    def routing(self, data: Mapping[str, str]) -> tuple[dict[str, int], int]:
        """The required skills and the priority of a call with `data`."""
        skills = dict(self.skills)
        language = data.get("language")
        if self.language_skill and language:
            skills.setdefault(f"lang-{language}", 1)
        tier = data.get("customer.tier", "")
        return skills, max(self.priority, self.priority_by_tier.get(tier, 0))


class QueueNode(RoutingFields):
    """Put the call in an ACD queue with skills, a priority and the collected data.

    The routing fields are `RoutingFields`'; `attach` limits the data sent along (all of it
    by default).
    """

    type: Literal["queue"]
    queue: QueueName
    attach: tuple[DataKey, ...] | None = None

    def summary(self) -> str:
        """The queue, skills and priority."""
        skills = ", ".join(f"{name}>={level}" for name, level in self.skills.items())
        tiers = ", ".join(f"{tier}:{p}" for tier, p in self.priority_by_tier.items())
        details = [f"priority {self.priority}"]
        if skills:
            details.append(f"skills {skills}")
        if self.language_skill:
            details.append("language skill")
        if tiers:
            details.append(f"by tier {tiers}")
        return f"queue {self.queue} ({'; '.join(details)})"


class VoicemailNode(NodeModel):
    """Play the prompts, record a message for `queue` (`#` ends it), then go on to `next`.

    When the PBX could not record the message (say, its spool folder is missing) the call
    goes on at `failed` instead; without one the caller hears `vm-goodbye` (a stock
    Asterisk sound) and the call ends. Either way the call's outcome is `voicemail_failed`.
    """

    type: Literal["voicemail"]
    queue: QueueName
    prompts: Prompts
    max_seconds: int = Field(120, ge=5, le=600)
    next: NodeId
    failed: NodeId | None = None

    @property
    def waits_for_input(self) -> bool:
        """Recording waits for the caller's message."""
        return True

    def targets(self) -> list[tuple[str, str]]:
        """Where to go after the recording, and when it failed."""
        return exits(next=self.next, failed=self.failed)

    def summary(self) -> str:
        """The queue and the length limit."""
        return f"voicemail for {self.queue} (up to {self.max_seconds} s)"


class TransferNode(NodeModel):
    """Send the call to an outside number; the IVR ends."""

    type: Literal["transfer"]
    number: PhoneNumber

    def summary(self) -> str:
        """The number."""
        return f"transfer to {self.number}"


class HangupNode(NodeModel):
    """Hang up. `outcome` labels a call that achieved nothing else (e.g. `self_service`).

    A call that left a voicemail, asked for a callback or rated a survey keeps that outcome.
    """

    type: Literal["hangup"]
    outcome: Label | None = None

    def summary(self) -> str:
        """The outcome label."""
        return f"hang up ({self.outcome})" if self.outcome else "hang up"
