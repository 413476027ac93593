"""The ticket workflow: which status may follow which, and when a ticket is due.

Strategy: a table, in the manner of h11's state machine: a move not in the table is a
failed lookup that raises `IllegalTransition` naming both states and what is allowed.
open -> in_progress -> resolved -> confirmed (with the customer), or resolved -> reopened
-> in_progress again; a confirmed ticket can be reopened when the customer calls back.
Due times come from a per-category promise in hours (settings `cti.ticket_promises_h`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum


class TicketStatus(StrEnum):
    """Where a ticket is in its workflow."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CONFIRMED = "confirmed"
    REOPENED = "reopened"


ALLOWED: Mapping[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.OPEN: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED}),
    TicketStatus.IN_PROGRESS: frozenset({TicketStatus.RESOLVED}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.CONFIRMED, TicketStatus.REOPENED}),
    TicketStatus.CONFIRMED: frozenset({TicketStatus.REOPENED}),
    TicketStatus.REOPENED: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED}),
}
"""Each status and the statuses a ticket may move to from it."""

SETTLED = frozenset({TicketStatus.RESOLVED, TicketStatus.CONFIRMED})
"""Statuses that no longer show as open in the screen pop."""


class TicketError(ValueError):
    """A ticket operation the workflow refuses."""


class IllegalTransition(TicketError):
    """A status change the workflow does not allow."""


def check_transition(current: str, target: str) -> TicketStatus:
    """The target status, if a ticket in `current` may move there; else `IllegalTransition`."""
    try:
        to = TicketStatus(target)
    except ValueError:
        known = ", ".join(s.value for s in TicketStatus)
        raise IllegalTransition(f"unknown ticket status {target!r} (one of: {known})") from None
    allowed = ALLOWED[TicketStatus(current)]
    if to not in allowed:
        options = ", ".join(sorted(s.value for s in allowed)) or "nothing"
        raise IllegalTransition(
            f"a ticket cannot go from {current} to {to.value}; from {current} it may go to "
            f"{options}"
        )
    return to


def due_at(category: str, opened_at: datetime, promises_h: Mapping[str, float]) -> datetime:
    """When a ticket of `category` opened at `opened_at` must be settled."""
    try:
        hours = promises_h[category]
    except KeyError:
        known = ", ".join(sorted(promises_h)) or "none configured"
        raise TicketError(f"unknown ticket category {category!r} (known: {known})") from None
    return opened_at + timedelta(hours=hours)
