"""The sounds a flow plays, and the languages it switches a call to.

Strategy: a flow names its sounds in fields that hold `Prompts` (`prompts`, `*_prompts`,
each survey question's `prompts`); every node is walked field by field, so a node type
added later is covered without a list to keep up to date. Some nodes also make Asterisk
say something from its own sounds: a `say` node (digits, a number, a date), a callback
offer reading the number back (digits), a voicemail node recording (the shell beeps first).
Those are named here by kind only (`SPOKEN`): which files they need depends on the
language and on Asterisk's `say.c`, which is the shell's knowledge. A `say` node of format
`sound` plays a name taken from the call data; no flow can say which, so it is left out.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from ivr_flows.flow import Flow
from ivr_flows.nodes_conversation import CallbackNode
from ivr_flows.nodes_dialog import LanguageNode, SayNode
from ivr_flows.nodes_exits import VoicemailNode

Spoken = Literal["digits", "number", "date", "recording"]
"""What Asterisk says or plays from its own sounds for a node: SAY DIGITS, SAY NUMBER,
SAY DATE, or the beep before RECORD FILE."""

SPOKEN: tuple[Spoken, ...] = ("digits", "number", "date", "recording")
"""Every kind of `Spoken`, in a stable order."""


@dataclass(frozen=True, slots=True)
class SoundUse:
    """One sound a node plays: a named `sound`, or a `spoken` kind Asterisk fills in.

    `field` says where in the node: `prompts`, `invalid_prompts`,
    `questions.satisfaction.prompts`, or for a spoken kind the reason (`format`, `number`).
    """

    flow: str
    node: str
    field: str
    sound: str | None = None
    spoken: Spoken | None = None


def sound_uses(flow: Flow) -> list[SoundUse]:
    """Every sound `flow` names and every kind of sound it has Asterisk say, node by node."""
    uses: list[SoundUse] = []
    for node_id, node in flow.nodes.items():
        for field, sound in _named(node, ""):
            uses.append(SoundUse(flow.name, node_id, field, sound=sound))
        if isinstance(node, SayNode) and node.format != "sound":
            uses.append(SoundUse(flow.name, node_id, "format", spoken=node.format))
        elif isinstance(node, CallbackNode):
            # The offer reads the caller's number back digit by digit (SayDigits).
            uses.append(SoundUse(flow.name, node_id, "number", spoken="digits"))
        elif isinstance(node, VoicemailNode):
            uses.append(SoundUse(flow.name, node_id, "recording", spoken="recording"))
    return uses


def flow_languages(flows: Iterable[Flow]) -> frozenset[str]:
    """The languages the flows' `language` nodes may switch a call to (choices and defaults)."""
    languages: set[str] = set()
    for flow in flows:
        for node in flow.nodes.values():
            if isinstance(node, LanguageNode):
                languages.update(node.choices.values())
                languages.add(node.default)
    return frozenset(languages)


def _named(model: BaseModel, prefix: str) -> list[tuple[str, str]]:
    """(field path, sound) for every prompt field of `model` and of models inside it."""
    found: list[tuple[str, str]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if not isinstance(value, tuple):
            continue
        if name == "prompts" or name.endswith("_prompts"):
            found.extend((f"{prefix}{name}", sound) for sound in value if isinstance(sound, str))
            continue
        for index, item in enumerate(value):
            if isinstance(item, BaseModel):
                label = getattr(item, "id", index)
                found.extend(_named(item, f"{prefix}{name}.{label}."))
    return found
