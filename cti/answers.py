"""What the caller told the IVR, as the agent's screen shows it: labelled, internals left out.

Strategy: the IVR's call data mixes the caller's answers (language, account number, the
reason for calling) with what the service keeps for itself (the dialled number, the call's
id, the estimated wait it announced). The pop shows the answers only, each under the label
its flow gives it (`pop_labels` in the flow file), in the flow's order; data a flow does
not label shows under its key made readable; a key labelled with an empty text stays off
the screen. Pure: the labels come in as a mapping.
"""

from __future__ import annotations

from collections.abc import Mapping

INTERNAL_KEYS = frozenset({"caller_number", "dnis", "call_id", "estimated_wait_s", "callback_for"})
"""Call data the IVR and the service set for their own use, never shown as an answer."""

INTERNAL_PREFIXES = ("customer.",)
"""The identified customer's fields: the pop shows the customer record itself."""


def is_internal(key: str) -> bool:
    """Whether a call-data key is the service's own, not something the caller said."""
    return key in INTERNAL_KEYS or key.startswith(INTERNAL_PREFIXES)


def readable(key: str) -> str:
    """A key as words, for data no flow labels: `order.status` -> `Order status`."""
    words = key.replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def pop_answers(answers: Mapping[str, str], labels: Mapping[str, str]) -> list[dict[str, str]]:
    """The caller's answers as (key, label, value) rows: labelled ones first, in the order
    of `labels`, then the others in the order they were given; internal keys left out."""
    rows = [
        {"key": key, "label": label, "value": str(answers[key])}
        for key, label in labels.items()
        if label and key in answers and not is_internal(key)
    ]
    rows += [
        {"key": key, "label": readable(key), "value": str(value)}
        for key, value in answers.items()
        if key not in labels and not is_internal(key)
    ]
    return rows
