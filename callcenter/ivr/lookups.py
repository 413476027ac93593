"""What the IVR runner asks of the rest of the service: customers, self-service, waits.

Strategy: small Protocols the runner takes as constructor arguments, so the IVR depends on
no database: persistence implements them in a later issue, tests with ten-line fakes. The
answers are small frozen records; the runner turns them into call data (`customer.<field>`,
`order.<field>`), where the interpreter checks every value again before using it.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date
from typing import Protocol


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """What the IVR needs to know about a customer. `name_prompt` is a recorded name."""

    name: str
    tier: str = "standard"
    language: str | None = None
    account: str | None = None
    name_prompt: str | None = None
    id: int | None = None
    """The customer's id in the database, so the call is linked without asking again."""

    def fields(self) -> dict[str, str]:
        """The record as call data fields (they become `customer.<field>`)."""
        values = {
            "id": None if self.id is None else str(self.id),
            "name": self.name,
            "tier": self.tier,
            "language": self.language,
            "account": self.account,
            "name_prompt": self.name_prompt,
        }
        return {key: value for key, value in values.items() if value is not None}


class CustomerDirectory(Protocol):
    """Finds customers for the IVR (persistence provides it in a later issue)."""

    async def by_phone(self, number: str) -> CustomerRecord | None:
        """The customer calling from `number`, if known."""
        ...

    async def by_account(self, account: str) -> CustomerRecord | None:
        """The customer with account number `account`, if any."""
        ...


@dataclass(frozen=True, slots=True)
class OrderStatus:
    """An order as read back to a caller: status word and the date it took that status."""

    status: str
    date: date | None = None

    def fields(self) -> dict[str, str]:
        """As call data fields (they become `<store_as>.<field>`)."""
        values = {"status": self.status}
        if self.date is not None:
            values["date"] = self.date.isoformat()
        return values


class SelfServiceData(Protocol):
    """Answers callers serve themselves with."""

    async def order_status(self, order_number: str) -> OrderStatus | None:
        """The status of an order, None when there is no such order."""
        ...


class WaitEstimates(Protocol):
    """Estimated waits, from the ACD."""

    def estimated_wait(self, queue: str) -> float | Awaitable[float | None] | None:
        """Seconds a caller queued now in `queue` would wait; None when unknown. Awaitable
        when the ACD is elsewhere (a cluster's standby asks the leader)."""
        ...
