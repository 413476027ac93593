"""Customers and their phone numbers: the CTI lookups and the IVR's directory.

Strategy: one repository serves both callers of a lookup: the pop builder
(`cti.ports.CustomerSource`, full `cti.Customer` records) and the IVR
(`callcenter.ivr_lookups.CustomerDirectory`, the smaller `CustomerRecord`). Numbers are
normalised to E.164 on the way in and on the way out, so a lookup is one round trip: a
unique-index probe, the customer by primary key and their numbers by customer index.
`phonenumbers` (Google's libphonenumber) reads what people type and what caller ID
delivers (`030 123456`, `0049 30 123456`, `+49-30-123456`); numbers without a country code
are read in the default region of the settings (`cti.default_region`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import phonenumbers
from sqlalchemy import ColumnElement, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from callcenter.db.models import Customer as CustomerRow
from callcenter.db.models import Phone
from callcenter.ivr_lookups import CustomerRecord
from cti.types import Customer, Tier

MAX_INPUT = 40
"""Caller ID is untrusted input: anything longer is refused before parsing."""


class InvalidPhoneNumber(ValueError):
    """The text is not a valid phone number."""


def to_e164(raw: str, region: str = "DE") -> str:
    """`raw` as E.164; `InvalidPhoneNumber` when it is not a valid number."""
    text = raw.strip()
    if not text or len(text) > MAX_INPUT:
        raise InvalidPhoneNumber(f"not a phone number: {len(text)} characters")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber("not a valid phone number for its country")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def try_e164(raw: str, region: str = "DE") -> str | None:
    """`raw` as E.164, or None when it is not a valid number (a withheld caller ID)."""
    try:
        return to_e164(raw, region)
    except InvalidPhoneNumber:
        return None


CHUNK = 1000
"""Customers per INSERT round trip when many are stored at once."""

_OWNER = aliased(Phone, name="owner")
"""The number looked up; an alias, or the subquery would correlate with the joined numbers."""


@dataclass(frozen=True, slots=True)
class NewCustomer:
    """A customer to create; `phones` may be in any format `to_e164` reads."""

    name: str
    account: str
    tier: Tier = Tier.STANDARD
    language: str | None = None
    notes: str = ""
    phones: Sequence[str] = field(default_factory=tuple)


class CustomerRepository:
    """Customers by phone number and by account number (implements both lookup ports)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, region: str = "DE") -> None:
        """`region` is how numbers without a country code are read."""
        self._sessions = sessions
        self._region = region

    async def add(self, customer: NewCustomer, *, now: datetime | None = None) -> int:
        """Store a customer and their numbers; the new id. Numbers must be valid."""
        ids = await self.add_many([customer], now=now)
        return ids[0]

    async def add_many(
        self,
        customers: Iterable[NewCustomer],
        *,
        now: datetime | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> list[int]:
        """Store customers in one transaction (all or nothing); their ids, in order.

        `on_progress(n)` is called after each chunk of `n` customers is sent.
        """
        everyone = list(customers)
        created = now or datetime.now(UTC)
        ids: list[int] = []
        async with self._sessions() as session, session.begin():
            for start in range(0, len(everyone), CHUNK):
                batch = everyone[start : start + CHUNK]
                ids += await self._insert(session, batch, created)
                if on_progress is not None:
                    on_progress(len(batch))
        return ids

    async def _insert(
        self, session: AsyncSession, batch: list[NewCustomer], created: datetime
    ) -> list[int]:
        rows = [
            CustomerRow(
                name=c.name,
                account=c.account,
                tier=c.tier.value,
                language=c.language,
                notes=c.notes,
                created_at=created,
            )
            for c in batch
        ]
        session.add_all(rows)
        await session.flush()
        phones = [
            {"customer_id": row.id, "number": to_e164(number, self._region)}
            for row, c in zip(rows, batch, strict=True)
            for number in c.phones
        ]
        if phones:
            await session.execute(insert(Phone), phones)
        return [row.id for row in rows]

    async def _find(self, where: ColumnElement[bool]) -> Customer | None:
        # One round trip: the customer's columns and each of their numbers, one row each.
        query = (
            select(
                CustomerRow.id,
                CustomerRow.name,
                CustomerRow.account,
                CustomerRow.tier,
                CustomerRow.language,
                CustomerRow.notes,
                Phone.number,
            )
            .outerjoin(Phone, Phone.customer_id == CustomerRow.id)
            .where(where)
            .order_by(Phone.id)
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        if not rows:
            return None
        first = rows[0]
        return Customer(
            id=first.id,
            name=first.name,
            account=first.account,
            tier=Tier(first.tier),
            language=first.language,
            notes=first.notes,
            phones=tuple(row.number for row in rows if row.number is not None),
        )

    async def find_by_phone(self, number: str) -> Customer | None:
        """The customer owning `number` (any format), None if unknown or not a number."""
        e164 = try_e164(number, self._region)
        if e164 is None:
            return None
        return await self._find(
            CustomerRow.id
            == select(_OWNER.customer_id).where(_OWNER.number == e164).scalar_subquery()
        )

    async def find_by_account(self, account: str) -> Customer | None:
        """The customer with account number `account`, if any."""
        return await self._find(CustomerRow.account == account.strip())

    async def by_phone(self, number: str) -> CustomerRecord | None:
        """The IVR's view of the customer calling from `number` (`CustomerDirectory`)."""
        return _record(await self.find_by_phone(number))

    async def by_account(self, account: str) -> CustomerRecord | None:
        """The IVR's view of the customer with account `account` (`CustomerDirectory`)."""
        return _record(await self.find_by_account(account))

    async def existing_accounts(self, accounts: Iterable[str]) -> set[str]:
        """Which of `accounts` are taken already (the import checks before it writes)."""
        wanted = list(set(accounts))
        found: set[str] = set()
        async with self._sessions() as session:
            # Chunks keep each statement under SQLite's bound-parameter limit.
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = await session.scalars(
                    select(CustomerRow.account).where(CustomerRow.account.in_(chunk))
                )
                found.update(rows)
        return found

    async def existing_numbers(self, numbers: Iterable[str]) -> set[str]:
        """Which of the E.164 `numbers` belong to a customer already."""
        wanted = list(set(numbers))
        found: set[str] = set()
        async with self._sessions() as session:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = await session.scalars(select(Phone.number).where(Phone.number.in_(chunk)))
                found.update(rows)
        return found


def _record(customer: Customer | None) -> CustomerRecord | None:
    if customer is None:
        return None
    return CustomerRecord(
        name=customer.name,
        tier=customer.tier.value,
        language=customer.language,
        account=customer.account,
    )
