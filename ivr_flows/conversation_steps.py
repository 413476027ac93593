"""How the survey and the callback offer behave on a call.

Strategy: both hold a small conversation inside one node, tracked in the `Visit`: the
survey by the question it is at (`index`) and the ratings so far (`answers`), the callback
by its `phase` (offer -> say the number -> confirm, or enter another number) and the
`number` on offer. Ratings are only the keys 1-5; a callback number is only 3-20 digits
that the call's `dialable` check accepts (the shell's: a valid number of its country), else
it is not offered (the caller ID) or asked for again (a keyed-in one). Whatever the caller
keys, nothing else is kept.
"""

from __future__ import annotations

from types import MappingProxyType

from ivr_flows.actions import IvrAction, Play, RequestCallback, SayDigits, StoreSurvey
from ivr_flows.checks import DigitsRule
from ivr_flows.inputs import DigitsReceived, IvrInput, NoInput
from ivr_flows.nodes_conversation import CHANGE_KEY, CONFIRM_KEY, CallbackNode, SurveyNode
from ivr_flows.steps import CallContext, Go, Step, Visit, Wait, ask, ask_again
from ivr_flows.vocabulary import is_phone_number

ConversationNode = SurveyNode | CallbackNode
"""The node types handled here."""

RATINGS = "12345"
"""The keys a survey accepts: 1 (worst) to 5 (best)."""

_ENTERED_NUMBER = DigitsRule(min_length=3, max_length=20, terminator="#")


def enter(node: ConversationNode, visit: Visit, ctx: CallContext) -> Step:
    """Start the node: the first question, or the callback offer."""
    match node:
        case SurveyNode():
            return ask(node.questions[0].prompts, node)
        case CallbackNode():
            number = ctx.data.get(node.number_from)
            if number is not None and is_phone_number(number) and ctx.dialable(number):
                return _offer(visit, number, node)
            return _ask_number(visit, node)


def resume(node: ConversationNode, visit: Visit, event: IvrInput, ctx: CallContext) -> Step:
    """Take the answer to the node's pending action."""
    match node:
        case SurveyNode():
            return _rate(node, visit, event, ctx)
        case CallbackNode():
            return _callback(node, visit, event, ctx)


def on_hangup(node: ConversationNode, visit: Visit, ctx: CallContext) -> tuple[IvrAction, ...]:
    """What must still happen when the caller hangs up inside the node: partial ratings."""
    if isinstance(node, SurveyNode) and visit.answers:
        ctx.outcome = "survey"
        return (StoreSurvey(tuple(visit.answers), complete=False),)
    return ()


def _rate(node: SurveyNode, visit: Visit, event: IvrInput, ctx: CallContext) -> Step:
    question = node.questions[visit.index]
    if isinstance(event, DigitsReceived) and len(event.digits) == 1 and event.digits in RATINGS:
        visit.answers.append((question.id, int(event.digits)))
        ctx.data[f"survey.{question.id}"] = event.digits
    else:
        retry = ask_again(node, visit, no_input=isinstance(event, NoInput))
        if retry is not None:
            return retry
    # Answered, or given up on: a question the caller will not rate is skipped, not guessed.
    visit.index += 1
    visit.attempts = 0
    if visit.index < len(node.questions):
        return ask(node.questions[visit.index].prompts, node)
    if visit.answers:
        ctx.outcome = "survey"
    store = StoreSurvey(tuple(visit.answers), complete=True)
    visit.answers = []
    return Go(node.next, (store,))


def _callback(node: CallbackNode, visit: Visit, event: IvrInput, ctx: CallContext) -> Step:
    if visit.phase == "offer" and visit.number is not None:
        visit.phase = "say"
        return Wait((SayDigits(visit.number.removeprefix("+")),))
    if visit.phase == "say":
        visit.phase = "confirm"
        return ask(node.confirm_prompts, node)
    key = event.digits if isinstance(event, DigitsReceived) else None
    if visit.phase == "confirm" and visit.number is not None:
        if key == CONFIRM_KEY:
            ctx.data["callback.number"] = visit.number
            ctx.outcome = "callback"
            data = MappingProxyType(dict(ctx.data))
            skills, priority = node.routing(data)
            request = RequestCallback(
                node.queue,
                visit.number,
                node.keep_place,
                data,
                MappingProxyType(skills),
                priority,
            )
            return Go(node.next, (request,))
        if key == CHANGE_KEY:
            return _ask_number(visit, node)
    elif visit.phase == "enter" and key is not None:
        entered = _ENTERED_NUMBER.clean(key)
        if entered is not None and ctx.dialable(entered):
            return _offer(visit, entered, node)
    return ask_again(node, visit, no_input=isinstance(event, NoInput)) or Go(node.fallback)


def _offer(visit: Visit, number: str, node: CallbackNode) -> Step:
    visit.phase, visit.number = "offer", number
    return Wait((Play(node.offer_prompts),))


def _ask_number(visit: Visit, node: CallbackNode) -> Step:
    visit.phase = "enter"
    return ask(node.enter_prompts, node, 3, 20, "#")
