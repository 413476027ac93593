"""Follow-up calls after a ticket is resolved: who calls (an agent, or the automated IVR
call that asks "are you satisfied?"), when, and how often it is tried.

Strategy: a pure policy, time an input. A ticket category's rule (`FollowUpRule`) says
the mode; an automated call is first due `delay_hours` after the resolution, each call
that misses the customer (busy, no answer, no key pressed, a call lost to a restart) is
tried again `retry_minutes` later, until `max_attempts` calls have missed: then the
follow-up is unreached and stays on the worklist for an agent. An agent follow-up keeps
the promise of its step (`cti.complaint`), as before automated calls existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class FollowUpMode(StrEnum):
    """Who makes the follow-up call."""

    AGENT = "agent"
    """An agent calls (agent-first, as a callback) and records the answer."""
    AUTOMATED = "automated"
    """The service dials the customer, whose keypad answer is recorded."""


@dataclass(frozen=True, slots=True)
class FollowUpRule:
    """How the follow-up of one ticket category is made."""

    mode: FollowUpMode = FollowUpMode.AGENT
    delay_hours: float = 24.0
    """An automated call is first due this long after the ticket was resolved."""
    max_attempts: int = 3
    """Calls that may miss the customer before the follow-up is unreached."""
    retry_minutes: float = 120.0
    """The wait after a call that missed the customer."""


@dataclass(frozen=True, slots=True)
class AfterMiss:
    """What follows a call that missed: the next try at `retry_at`, or none (`unreached`)."""

    retry_at: datetime | None

    @property
    def unreached(self) -> bool:
        """True when no call is left: the follow-up goes to an agent's worklist."""
        return self.retry_at is None


def first_due(rule: FollowUpRule, resolved_at: datetime, promised: datetime | None) -> datetime:
    """When the follow-up of a ticket resolved at `resolved_at` is due: for an automated
    call after the rule's delay, for an agent when the next step is `promised` (the
    resolution time if nothing is)."""
    if rule.mode is FollowUpMode.AUTOMATED:
        return resolved_at + timedelta(hours=rule.delay_hours)
    return promised if promised is not None else resolved_at


def after_miss(rule: FollowUpRule, attempts: int, missed_at: datetime) -> AfterMiss:
    """After the `attempts`-th call (counting this one) missed the customer at `missed_at`."""
    if attempts >= rule.max_attempts:
        return AfterMiss(None)
    return AfterMiss(missed_at + timedelta(minutes=rule.retry_minutes))


def is_due(
    *,
    mode: str,
    due_at: datetime,
    now: datetime,
    answered: bool,
    unreached: bool,
    dialling: bool,
) -> bool:
    """Whether an automated follow-up should be dialled at `now`: due, waiting for an answer,
    not given up on, and not being dialled already (a call in flight is never doubled)."""
    return (
        mode == FollowUpMode.AUTOMATED
        and not answered
        and not unreached
        and not dialling
        and due_at <= now
    )


def is_stale(dialling_since: datetime | None, now: datetime, stale_after_s: float) -> bool:
    """Whether a call claimed at `dialling_since` has gone unheard of for too long (its
    answer never came: the service restarted mid-call, or Asterisk lost it): it counts as
    a miss, so the follow-up is tried again by the rule instead of waiting for ever."""
    return dialling_since is not None and now - dialling_since >= timedelta(seconds=stale_after_s)


def answer_of_key(key: str | None) -> bool | None:
    """The customer's keypad answer: 1 satisfied, 2 not satisfied, anything else none."""
    return {"1": True, "2": False}.get(key or "")
