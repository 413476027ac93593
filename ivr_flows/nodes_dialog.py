"""Nodes that talk with the caller: play, say, menu, collect, language.

Strategy: schema only (what a flow file may write, checked at load); how each behaves on a
call is in `dialog_steps`. Every prompt is a list of Asterisk sound names; keypad keys in
YAML are quoted when they are `*` or `#`.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator

from ivr_flows.checks import compile_pattern
from ivr_flows.node_base import AskingNode, NodeModel, exits
from ivr_flows.vocabulary import (
    DataKey,
    DtmfKey,
    Language,
    NodeId,
    Prompts,
    TextKeys,
)


class PlayNode(NodeModel):
    """Play prompts, then go on. `interruptible`: any key skips the rest."""

    type: Literal["play"]
    prompts: Prompts
    interruptible: bool = False
    next: NodeId

    def targets(self) -> list[tuple[str, str]]:
        """Play has one exit."""
        return exits(next=self.next)

    def summary(self) -> str:
        """The sounds played."""
        return "play " + ", ".join(self.prompts)


class SayNode(NodeModel):
    """Say a value of the call data as digits, a number, a date, or a sound it names.

    When the value is missing or unusable (not digits, not a date ...) the node goes to
    `missing`, or simply on to `next`.
    """

    type: Literal["say"]
    format: Literal["digits", "number", "date", "sound"]
    key: DataKey
    next: NodeId
    missing: NodeId | None = None

    def targets(self) -> list[tuple[str, str]]:
        """`next`, and `missing` when set."""
        return exits(next=self.next, missing=self.missing)

    def summary(self) -> str:
        """What is said, from which key."""
        return f"say {self.format} of {self.key}"


class MenuNode(AskingNode):
    """Play a menu and branch on one key; silence or a wrong key asks again, then `fallback`."""

    type: Literal["menu"]
    prompts: Prompts
    choices: Annotated[dict[DtmfKey, NodeId], TextKeys] = Field(min_length=1)
    fallback: NodeId
    store_as: DataKey | None = None

    def targets(self) -> list[tuple[str, str]]:
        """One exit per key, then the fallback."""
        keyed = [(f"choices.{key}", target) for key, target in self.choices.items()]
        return [*keyed, *exits(fallback=self.fallback)]

    def summary(self) -> str:
        """The menu's sounds and keys."""
        return f"menu {', '.join(self.prompts)} [{' '.join(self.choices)}]"


class CollectNode(AskingNode):
    """Read several keys into the call data, checked by length, pattern and Luhn digit."""

    type: Literal["collect"]
    prompts: Prompts
    min_length: int = Field(1, ge=1, le=32)
    max_length: int = Field(ge=1, le=32)
    terminator: Literal["#", "*"] | None = "#"
    pattern: str | None = Field(None, max_length=200)
    luhn: bool = False
    store_as: DataKey
    next: NodeId
    fallback: NodeId

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            compile_pattern(pattern)
        return pattern

    @model_validator(mode="after")
    def _lengths_in_order(self) -> Self:
        if self.min_length > self.max_length:
            raise ValueError(
                f"min_length {self.min_length} is more than max_length {self.max_length}"
            )
        return self

    def targets(self) -> list[tuple[str, str]]:
        """`next` with valid digits, `fallback` when the retries are used up."""
        return exits(next=self.next, fallback=self.fallback)

    def summary(self) -> str:
        """Where the digits go and how they are checked."""
        checks = f"{self.min_length}-{self.max_length} digits"
        if self.pattern:
            checks += f", pattern {self.pattern}"
        if self.luhn:
            checks += ", Luhn"
        return f"collect {self.store_as} ({checks})"


class LanguageNode(AskingNode):
    """Let the caller pick a language by key; a language already known skips the question.

    `known_from` names call data (e.g. `customer.language`) that, when it holds one of the
    offered languages, is used without asking; silence or wrong keys end in `default`.
    """

    type: Literal["language"]
    prompts: Prompts
    choices: Annotated[dict[DtmfKey, Language], TextKeys] = Field(min_length=1)
    default: Language
    known_from: DataKey | None = None
    next: NodeId

    @model_validator(mode="after")
    def _default_is_offered(self) -> Self:
        if self.default not in self.choices.values():
            offered = ", ".join(sorted(set(self.choices.values())))
            raise ValueError(f"default {self.default!r} is not among the choices ({offered})")
        return self

    @property
    def waits_for_input(self) -> bool:
        """A known language skips the question, so this node may not wait."""
        return self.known_from is None

    def targets(self) -> list[tuple[str, str]]:
        """Every choice continues at `next`."""
        return exits(next=self.next)

    def summary(self) -> str:
        """The keys and their languages."""
        keys = " ".join(f"{key}={lang}" for key, lang in self.choices.items())
        return f"language {keys} (default {self.default})"
