"""The greeting an agent is offered when the call rings: by name, in the caller's language.

Strategy: a small table of phrasings per language and tier; an unknown language falls
back to English, an unknown caller is asked for their name. The agent reads it or not -
it is a suggestion, shown in the pop, never played to the caller.
"""

from __future__ import annotations

from collections.abc import Mapping

from cti.types import Customer, Tier

_KNOWN: Mapping[str, Mapping[Tier, str]] = {
    "en": {
        Tier.VIP: "Welcome back, {name}. It is a pleasure to help you today.",
        Tier.GOLD: "Hello {name}, thank you for calling again. How can I help?",
        Tier.STANDARD: "Hello {name}, thank you for calling. How can I help?",
        Tier.NEW: "Hello {name}, welcome, and thank you for calling. How can I help?",
    },
    "de": {
        Tier.VIP: "Schön, von Ihnen zu hören, {name}. Wie kann ich Ihnen heute helfen?",
        Tier.GOLD: "Guten Tag {name}, danke für Ihren erneuten Anruf. Wie kann ich helfen?",
        Tier.STANDARD: "Guten Tag {name}, danke für Ihren Anruf. Wie kann ich helfen?",
        Tier.NEW: "Guten Tag {name}, herzlich willkommen! Wie kann ich helfen?",
    },
}
_UNKNOWN: Mapping[str, str] = {
    "en": "Thank you for calling. May I have your name, please?",
    "de": "Danke für Ihren Anruf. Darf ich nach Ihrem Namen fragen?",
}
DEFAULT_LANGUAGE = "en"


def _language(code: str | None) -> str:
    # "de-AT" and "de_CH" greet like "de".
    base = (code or DEFAULT_LANGUAGE).replace("_", "-").split("-")[0].lower()
    return base if base in _KNOWN else DEFAULT_LANGUAGE


def suggest_greeting(customer: Customer | None, language: str | None = None) -> str:
    """The greeting for `customer` (None: an unknown caller) in their language.

    `language` (e.g. chosen in the IVR) wins over the customer's recorded language.
    """
    if customer is None:
        return _UNKNOWN[_language(language)]
    lang = _language(language or customer.language)
    return _KNOWN[lang][customer.tier].format(name=customer.name)


def languages() -> tuple[str, ...]:
    """The languages greetings exist in."""
    return tuple(_KNOWN)
