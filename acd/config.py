"""Configuration of the ACD: queues, agents and the knobs of routing and metrics.

Strategy: these pydantic models are the only place where outside data is validated. The
shell loads them from ``config/callcenter.yaml``; anything inconsistent (a proficiency
outside 1-5, relaxation steps that do not move forward in time, an overflow target naming a
queue that does not exist) fails here with a message naming the offending field, so the core
itself can trust its settings and stay free of defensive checks.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SkillLevel = Annotated[int, Field(ge=1, le=5)]
"""A proficiency level: 1 (novice) to 5 (expert)."""

SkillName = Annotated[str, Field(min_length=1, max_length=64)]
"""The name of a skill, e.g. ``billing`` or ``lang-fr``."""


class RoutingStrategy(StrEnum):
    """How a queue chooses among the ready agents eligible for a call."""

    LONGEST_IDLE = "longest_idle"
    BEST_PROFICIENCY = "best_proficiency"
    FEWEST_CALLS = "fewest_calls"
    ROUND_ROBIN = "round_robin"


class ServiceLevelFormula(StrEnum):
    """Which calls count in the service-level denominator.

    Definitions: docs/ARCHITECTURE.md, "Metric definitions". All three count, in the
    numerator, calls answered within the threshold.
    """

    ANSWERED_AND_ABANDONED = "answered_and_abandoned"
    """Denominator: answered + abandoned after the short-abandon threshold (the default)."""
    OFFERED = "offered"
    """Denominator: every call that entered the queue."""
    ANSWERED = "answered"
    """Denominator: answered calls only."""


class OverflowKind(StrEnum):
    """Where a call goes when it leaves a queue without being answered."""

    QUEUE = "queue"
    VOICEMAIL = "voicemail"
    CALLBACK = "callback"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RelaxationStep(_Model):
    """One widening of the skill requirement, in force from ``after_seconds`` of waiting.

    ``min_level`` caps every required level (``billing>=4`` becomes ``billing>=2`` with a cap
    of 2); ``None`` drops the skills altogether, so any member of the queue may take the call.
    """

    after_seconds: float = Field(gt=0)
    min_level: SkillLevel | None = None


class AnnouncementPolicy(_Model):
    """What a waiting caller is told, and how often."""

    position: bool = True
    estimated_wait: bool = True
    first_after_seconds: float = Field(default=30.0, ge=0)
    every_seconds: float | None = Field(default=60.0, gt=0)
    """Seconds between announcements; ``None`` announces only once."""

    @property
    def enabled(self) -> bool:
        """Whether there is anything to announce at all."""
        return self.position or self.estimated_wait


class OverflowTarget(_Model):
    """Where an overflowing call goes: another queue, a voicemail box, or a callback offer.

    Accepts the short forms ``"queue:sales"``, ``"voicemail:100"`` and ``"callback"``.
    """

    kind: OverflowKind
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _parse_short_form(cls, data: Any) -> Any:
        if isinstance(data, str):
            kind, _, name = data.partition(":")
            return {"kind": kind, "name": name or None}
        return data

    @model_validator(mode="after")
    def _queue_needs_a_name(self) -> Self:
        if self.kind is OverflowKind.QUEUE and not self.name:
            raise ValueError("an overflow to a queue must name the queue, e.g. 'queue:sales'")
        return self


class QueueSettings(_Model):
    """One queue: its skills, routing, timings, overflow, announcements and service level."""

    name: str = Field(min_length=1, max_length=64)
    skills: dict[SkillName, SkillLevel] = Field(default_factory=dict)
    """Skills every call of this queue needs, with minimum levels (step 0 of relaxation)."""
    strategy: RoutingStrategy = RoutingStrategy.LONGEST_IDLE
    weight: float = Field(default=1.0, gt=0)
    """Multiplies waiting time when queues sharing an agent compete for them."""
    relaxation: tuple[RelaxationStep, ...] = ()
    ring_timeout_seconds: float = Field(default=15.0, gt=0)
    wrap_up_seconds: float = Field(default=10.0, ge=0)
    max_wait_seconds: float | None = Field(default=None, gt=0)
    overflow: OverflowTarget | None = None
    """Target on max wait (or when no agent is logged in); without one the call times out."""
    overflow_when_no_agents: bool = False
    announcements: AnnouncementPolicy = AnnouncementPolicy()
    service_level_seconds: float = Field(default=20.0, gt=0)
    service_level_target: float = Field(default=0.8, gt=0, le=1)
    short_abandon_seconds: float = Field(default=5.0, ge=0)
    service_level_formula: ServiceLevelFormula = ServiceLevelFormula.ANSWERED_AND_ABANDONED
    default_handle_seconds: float = Field(default=180.0, gt=0)
    """Handle time assumed for wait estimates until a call of this queue has been handled."""

    @model_validator(mode="after")
    def _check_relaxation(self) -> Self:
        previous: RelaxationStep | None = None
        for index, step in enumerate(self.relaxation, start=1):
            if previous is not None:
                if step.after_seconds <= previous.after_seconds:
                    raise ValueError(
                        f"queue {self.name!r}: relaxation step {index} starts at "
                        f"{step.after_seconds:g} s, not after step {index - 1} "
                        f"({previous.after_seconds:g} s); steps must increase in time"
                    )
                if previous.min_level is None:
                    raise ValueError(
                        f"queue {self.name!r}: relaxation step {index} follows a step that "
                        "already accepts any member; nothing is left to relax"
                    )
                if step.min_level is not None and step.min_level > previous.min_level:
                    raise ValueError(
                        f"queue {self.name!r}: relaxation step {index} raises the level to "
                        f"{step.min_level}; a step may only lower it"
                    )
            previous = step
        return self

    @model_validator(mode="after")
    def _check_overflow(self) -> Self:
        if self.overflow_when_no_agents and self.overflow is None:
            raise ValueError(
                f"queue {self.name!r}: overflow_when_no_agents needs an overflow target"
            )
        target = self.overflow
        if target is not None and target.kind is OverflowKind.QUEUE and target.name == self.name:
            raise ValueError(f"queue {self.name!r} cannot overflow to itself")
        return self


ENDPOINT_PATTERN = r"^[A-Za-z][A-Za-z0-9]{0,15}/[A-Za-z0-9][A-Za-z0-9_.+@-]{0,79}$"
"""A phone's channel, `<technology>/<resource>` (`PJSIP/agent1001`, `Local/1001@agents`).

It becomes the Channel of an AMI Originate and a ChanSpy argument: nothing that the
dialplan or AMI reads as a separator (`,` `|` `&` `/` `(` `)` `$` `;` `:`, spaces, line
breaks) may appear in it."""

SERVER_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
"""An Asterisk server's name, as `asterisk.servers[].name` spells it."""


class AgentSettings(_Model):
    """One agent: identity, skills with proficiency, the queues they serve, and their phone.

    ``endpoint`` is data for the shell (the core ignores it): the channel an offer rings
    (default: the settings file's ``telephony.agent_endpoints``, then ``PJSIP/<id>``).
    ``server`` is the Asterisk server that phone is registered at (None: the default
    server, the first configured): the core offers the agent only calls whose caller is
    on that server (`acd.types.serves`), since a caller can be bridged only there."""

    id: str = Field(min_length=1, max_length=64)
    name: str = ""
    skills: dict[SkillName, SkillLevel] = Field(default_factory=dict)
    queues: tuple[str, ...] = ()
    endpoint: str | None = None
    server: str | None = None

    @field_validator("endpoint")
    @classmethod
    def _safe_endpoint(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not re.fullmatch(ENDPOINT_PATTERN, value):
            raise ValueError(
                "the phone must be <technology>/<resource>, e.g. PJSIP/agent1001, with "
                "letters, digits and _ . + @ - only in the resource"
            )
        return value

    @field_validator("server")
    @classmethod
    def _server_name(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not re.fullmatch(SERVER_PATTERN, value):
            raise ValueError(
                "an Asterisk server's name has 1-32 letters, digits, _ or - (as under "
                "asterisk.servers)"
            )
        return value


class AcdSettings(_Model):
    """The whole ACD configuration, checked for consistency across queues and agents."""

    queues: tuple[QueueSettings, ...] = Field(min_length=1)
    agents: tuple[AgentSettings, ...] = ()
    pause_reasons: tuple[str, ...] = ("break", "lunch", "training", "meeting", "other")
    """Reason codes an agent may pick; the core adds its own (ring-no-answer, rejected...)."""
    offer_grace_seconds: float = Field(default=5.0, ge=0)
    """After ring timeout + grace with no word from the PBX, the core withdraws an offer."""
    arrival_window_seconds: float = Field(default=900.0, gt=0)
    """Window over which the arrival rate (for Erlang C) is observed."""
    pbx_retry_seconds: float = Field(default=1.0, gt=0)
    """After the PBX failed to place an offer, its agent gets no call for this long (they
    stay ready); the delay doubles with every PBX failure in a row."""
    pbx_retry_max_seconds: float = Field(default=15.0, gt=0)
    """The longest such delay: how soon calls flow again once the PBX has recovered."""

    @model_validator(mode="after")
    def _check_retry(self) -> Self:
        if self.pbx_retry_max_seconds < self.pbx_retry_seconds:
            raise ValueError(
                f"pbx_retry_max_seconds ({self.pbx_retry_max_seconds:g}) is below "
                f"pbx_retry_seconds ({self.pbx_retry_seconds:g})"
            )
        return self

    @model_validator(mode="after")
    def _check_references(self) -> Self:
        names = [queue.name for queue in self.queues]
        _reject_duplicates("queue", names)
        _reject_duplicates("agent", [agent.id for agent in self.agents])
        known = set(names)
        for queue in self.queues:
            target = queue.overflow
            if (
                target is not None
                and target.kind is OverflowKind.QUEUE
                and target.name not in known
            ):
                raise ValueError(
                    f"queue {queue.name!r}: overflow target queue {target.name!r} does not exist"
                )
        for agent in self.agents:
            for queue_name in agent.queues:
                if queue_name not in known:
                    raise ValueError(f"agent {agent.id!r}: member of unknown queue {queue_name!r}")
        return self


def _reject_duplicates(kind: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{kind} {name!r} is configured twice")
        seen.add(name)
