"""The CTI vocabulary: customers, past interactions, open tickets, the call being offered.

Strategy: small frozen dataclasses, the same on every side of the layer. Repositories
return them, the CRM lookup returns a partial `CrmRecord`, the pop builder reads them, and
the web layer serialises the result with `ScreenPop.as_dict()`. Times are aware UTC
datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Tier(StrEnum):
    """How a customer is treated; VIP callers get priority and a personal greeting."""

    VIP = "vip"
    GOLD = "gold"
    STANDARD = "standard"
    NEW = "new"


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer as the CTI layer sees it. `id` is None for a record only the CRM knows."""

    id: int | None
    name: str
    account: str | None
    tier: Tier = Tier.STANDARD
    language: str | None = None
    notes: str = ""
    phones: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CrmRecord:
    """What an external CRM said about a caller; None fields keep the local value."""

    name: str | None = None
    account: str | None = None
    tier: Tier | None = None
    language: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class InteractionSummary:
    """One earlier call, as an agent reads it in the pop."""

    uniqueid: str
    arrived_at: datetime
    queue: str | None
    agent: str | None
    outcome: str | None
    disposition: str | None
    notes: str


@dataclass(frozen=True, slots=True)
class TicketSummary:
    """An open complaint or request and when it was promised."""

    id: int
    category: str
    subject: str
    status: str
    due_at: datetime
    owner: str | None


@dataclass(frozen=True, slots=True)
class CallContext:
    """The call ringing at the agent: who called, what they dialled, what the IVR learnt."""

    uniqueid: str
    caller_number: str | None
    dialled_number: str | None
    queue: str | None = None
    ivr_path: tuple[str, ...] = ()
    ivr_answers: Mapping[str, str] = field(default_factory=dict)
    account: str | None = None
    """An account number the caller keyed in, tried when the number is unknown."""
