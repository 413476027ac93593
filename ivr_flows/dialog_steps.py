"""How play, say, menu, collect and language nodes behave on a call.

Strategy: `enter` starts the node, `resume` takes the caller's answer. Keys are checked
before anything is kept: a menu key must be one of the choices, collected digits must pass
the node's `DigitsRule`; whatever fails counts as an invalid entry and asks again (with the
node's invalid prompt) until the retries are used up.
"""

from __future__ import annotations

import re
from datetime import date

from ivr_flows.actions import IvrAction, Play, SayDate, SayDigits, SayNumber, SetLanguage
from ivr_flows.checks import DigitsRule
from ivr_flows.inputs import DigitsReceived, IvrInput, NoInput
from ivr_flows.nodes_dialog import CollectNode, LanguageNode, MenuNode, PlayNode, SayNode
from ivr_flows.steps import CallContext, Go, Step, Visit, Wait, ask, ask_again
from ivr_flows.vocabulary import DTMF_KEYS, MAX_DIGITS, is_sound_name

DialogNode = PlayNode | SayNode | MenuNode | CollectNode | LanguageNode
"""The node types handled here."""

_NUMBER = re.compile(r"-?[0-9]{1,9}")
_DIGITS = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")


def enter(node: DialogNode, visit: Visit, ctx: CallContext) -> Step:
    """Start the node."""
    match node:
        case PlayNode():
            escape = DTMF_KEYS if node.interruptible else ""
            return Wait((Play(node.prompts, escape),))
        case SayNode():
            action = _say(node, ctx.data.get(node.key))
            if action is None:
                return Go(node.missing or node.next)
            return Wait((action,))
        case MenuNode():
            return ask(node.prompts, node)
        case CollectNode():
            return ask(node.prompts, node, node.min_length, node.max_length, node.terminator)
        case LanguageNode():
            known = ctx.data.get(node.known_from) if node.known_from else None
            if known is not None and known in node.choices.values():
                return _choose_language(node, known, ctx)
            return ask(node.prompts, node)


def resume(node: DialogNode, visit: Visit, event: IvrInput, ctx: CallContext) -> Step:
    """Take the answer to the node's pending action."""
    match node:
        case PlayNode() | SayNode():
            return Go(node.next)
        case MenuNode():
            if isinstance(event, DigitsReceived) and event.digits in node.choices:
                if node.store_as is not None:
                    ctx.data[node.store_as] = event.digits
                return Go(node.choices[event.digits])
            return ask_again(node, visit, no_input=_silent(event)) or Go(node.fallback)
        case CollectNode():
            rule = DigitsRule(
                node.min_length, node.max_length, node.terminator, node.pattern, node.luhn
            )
            digits = rule.clean(event.digits) if isinstance(event, DigitsReceived) else None
            if digits is not None:
                ctx.data[node.store_as] = digits
                return Go(node.next)
            return ask_again(node, visit, no_input=_silent(event)) or Go(node.fallback)
        case LanguageNode():
            if isinstance(event, DigitsReceived) and event.digits in node.choices:
                return _choose_language(node, node.choices[event.digits], ctx)
            retry = ask_again(node, visit, no_input=_silent(event))
            return retry or _choose_language(node, node.default, ctx)


def _silent(event: IvrInput) -> bool:
    return isinstance(event, NoInput)


def _choose_language(node: LanguageNode, language: str, ctx: CallContext) -> Step:
    """Record the language and switch the call to it."""
    ctx.data["language"] = language
    return Go(node.next, (SetLanguage(language),))


def _say(node: SayNode, value: str | None) -> IvrAction | None:
    """The action that says `value` in the node's format, or None when it cannot be said."""
    if value is None:
        return None
    if node.format == "digits":
        return SayDigits(value) if _DIGITS.fullmatch(value) else None
    if node.format == "number":
        return SayNumber(int(value)) if _NUMBER.fullmatch(value) else None
    if node.format == "date":
        try:
            return SayDate(date.fromisoformat(value[:10]))
        except ValueError:
            return None
    return Play((value,)) if is_sound_name(value) else None
