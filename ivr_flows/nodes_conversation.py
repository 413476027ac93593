"""Nodes that hold a short conversation of their own: the survey and the callback offer.

Strategy: schema only; the behaviour is in `conversation_steps`. Each asks several
questions inside one node, so that a flow file states the whole exchange in one place and
the keys mean the same thing in every flow.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ivr_flows.node_base import AskingNode, exits
from ivr_flows.nodes_exits import RoutingFields
from ivr_flows.vocabulary import DataKey, Label, NodeId, Prompts, QueueName

CONFIRM_KEY = "1"
"""In a callback offer: call back the number just read out."""

CHANGE_KEY = "2"
"""In a callback offer: enter another number."""


class SurveyQuestion(BaseModel):
    """One question, answered 1 (worst) to 5 (best) on the keypad."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Label
    prompts: Prompts


class SurveyNode(AskingNode):
    """Ask each question in turn and store the ratings (StoreSurvey), then go on.

    A question left unanswered after the retries is skipped, not guessed; the ratings are
    kept in the call data as `survey.<id>` too.
    """

    type: Literal["survey"]
    questions: tuple[SurveyQuestion, ...] = Field(min_length=1, max_length=10)
    next: NodeId

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        ids = [question.id for question in self.questions]
        repeated = sorted({qid for qid in ids if ids.count(qid) > 1})
        if repeated:
            raise ValueError(f"question ids must be unique, repeated: {', '.join(repeated)}")
        return self

    def targets(self) -> list[tuple[str, str]]:
        """The survey has one exit."""
        return exits(next=self.next)

    def summary(self) -> str:
        """The question ids."""
        return "survey " + ", ".join(question.id for question in self.questions)


class CallbackNode(AskingNode, RoutingFields):
    """Offer a callback: read the number back, 1 confirms, 2 enters another; then `next`.

    The number comes from `number_from` (the caller's number by default); without a usable
    one the caller is asked to key it in, ended by `#`. A confirmed callback emits
    RequestCallback for `queue`; `keep_place` ranks it as if the caller had queued now; the
    routing fields rank and match the callback as the queue node would the call.
    Silence or wrong keys beyond the retries go to `fallback`.
    """

    type: Literal["callback"]
    queue: QueueName
    keep_place: bool = True
    number_from: DataKey = "caller_number"
    offer_prompts: Prompts
    confirm_prompts: Prompts
    enter_prompts: Prompts
    next: NodeId
    fallback: NodeId

    def targets(self) -> list[tuple[str, str]]:
        """`next` once requested, `fallback` when the caller gave up."""
        return exits(next=self.next, fallback=self.fallback)

    def summary(self) -> str:
        """The queue and whether the place is kept."""
        place = "keeps place" if self.keep_place else "back of the line"
        return f"callback for {self.queue} ({place})"
