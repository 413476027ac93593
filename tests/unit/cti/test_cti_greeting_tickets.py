"""The suggested greeting (name, language, tier) and the ticket workflow table."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from cti import (
    Customer,
    IllegalTransition,
    TicketError,
    TicketStatus,
    Tier,
    check_transition,
    due_at,
    suggest_greeting,
)


def customer(tier: Tier, language: str | None) -> Customer:
    return Customer(id=1, name="Kim", account="1", tier=tier, language=language)


@pytest.mark.parametrize(
    ("tier", "language", "expected"),
    [
        (Tier.VIP, "en", "Welcome back, Kim. It is a pleasure to help you today."),
        (Tier.GOLD, "en", "Hello Kim, thank you for calling again. How can I help?"),
        (Tier.NEW, None, "Hello Kim, welcome, and thank you for calling. How can I help?"),
        (Tier.STANDARD, "de-AT", "Guten Tag Kim, danke für Ihren Anruf. Wie kann ich helfen?"),
        (Tier.STANDARD, "tlh", "Hello Kim, thank you for calling. How can I help?"),
    ],
)
def test_the_greeting_uses_name_tier_and_language(
    tier: Tier, language: str | None, expected: str
) -> None:
    assert suggest_greeting(customer(tier, language)) == expected


def test_the_language_chosen_in_the_ivr_wins_and_strangers_are_asked_their_name() -> None:
    assert suggest_greeting(customer(Tier.VIP, "en"), "de").startswith("Schön")
    assert (
        suggest_greeting(None, "de") == "Danke für Ihren Anruf. Darf ich nach Ihrem Namen fragen?"
    )


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("open", "confirmed"),
        ("in_progress", "open"),
        ("confirmed", "resolved"),
        ("resolved", "open"),
    ],
)
def test_moves_outside_the_workflow_are_refused_with_the_allowed_ones(
    current: str, target: str
) -> None:
    with pytest.raises(
        IllegalTransition, match=f"cannot go from {current} to {target}; .* may go to"
    ):
        check_transition(current, target)


def test_the_workflow_allows_the_documented_path() -> None:
    path = ["open", "in_progress", "resolved", "reopened", "in_progress", "resolved", "confirmed"]
    for current, target in itertools.pairwise(path):
        assert check_transition(current, target) == TicketStatus(target)
    assert check_transition("confirmed", "reopened") is TicketStatus.REOPENED


def test_due_time_comes_from_the_category_promise() -> None:
    opened = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert due_at("complaint", opened, {"complaint": 48}) == opened + timedelta(hours=48)
    with pytest.raises(TicketError, match=r"unknown ticket category 'praise' \(known: complaint\)"):
        due_at("praise", opened, {"complaint": 48})
