"""What the CTI layer needs from storage and from an external CRM (Protocols).

Strategy: the pop builder depends on these four small interfaces only; the database
repositories in `callcenter.db` implement the first three, `callcenter.live.crm` the last, and
tests use ten-line fakes. A CRM lookup must never raise and never be late: it returns None
on timeout or failure, and the builder falls back to the local record.
"""

from __future__ import annotations

from typing import Protocol

from cti.types import CrmRecord, Customer, InteractionSummary, TicketSummary


class CustomerSource(Protocol):
    """Finds customers by E.164 phone number or by account number."""

    async def find_by_phone(self, number: str) -> Customer | None:
        """The customer owning `number` (any format the caller ID arrives in), if known."""
        ...

    async def find_by_account(self, account: str) -> Customer | None:
        """The customer with account number `account`, if any."""
        ...


class HistorySource(Protocol):
    """Earlier interactions, newest first."""

    async def recent(
        self, *, customer_id: int | None, caller_number: str | None, limit: int
    ) -> list[InteractionSummary]:
        """The last `limit` calls of a customer, or of a number when the caller is unknown."""
        ...


class TicketSource(Protocol):
    """Tickets not yet settled with the customer."""

    async def open_for_customer(self, customer_id: int) -> list[TicketSummary]:
        """Open, in-progress and reopened tickets of a customer, soonest due first."""
        ...


class CrmLookup(Protocol):
    """An external CRM; None when it does not know the caller, is slow, or fails."""

    async def lookup(self, caller_number: str) -> CrmRecord | None:
        """What the CRM knows about the caller at `caller_number`."""
        ...
