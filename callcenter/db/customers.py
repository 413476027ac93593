"""Customers and their phone numbers: the CTI lookups, the IVR's directory, the desktop's edits.

Strategy: one repository serves every reader of a customer: the pop builder
(`cti.ports.CustomerSource`, full `cti.Customer` records), the IVR
(`callcenter.ivr_lookups.CustomerDirectory`, the smaller `CustomerRecord`) and the web API
(search, read, edit). Numbers are normalised to E.164 on the way in and on the way out
(`callcenter.db.phones`), so a lookup is one round trip: a unique-index probe, the customer
by primary key and their numbers by customer index. Edits and their errors live in
`callcenter.db.customer_edits`; a taken account or number raises `DuplicateCustomer`
naming it, never a driver's `IntegrityError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from callcenter.db.customer_edits import (
    CustomerNotFound,
    DuplicateCustomer,
    apply_update,
    check_fields,
    explain_duplicate,
    number_owners,
    parse_tier,
    taken_accounts,
)
from callcenter.db.models import Customer as CustomerRow
from callcenter.db.models import Phone
from callcenter.db.phones import InvalidPhoneNumber, number_fragment, to_e164, try_e164
from callcenter.ivr_lookups import CustomerRecord
from cti.types import Customer, Tier

__all__ = [
    "CustomerNotFound",
    "CustomerRepository",
    "DuplicateCustomer",
    "InvalidPhoneNumber",
    "NewCustomer",
    "to_e164",
    "try_e164",
]

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
        """Store a customer and their numbers; the new id.

        `InvalidPhoneNumber` for a bad number; `DuplicateCustomer` (naming it) when the
        account or a number belongs to another customer.
        """
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

        `on_progress(n)` is called after each chunk of `n` customers is sent. Raises
        `InvalidPhoneNumber` or `DuplicateCustomer` as `add` does, and stores nothing then.
        """
        everyone = list(customers)
        created = now or datetime.now(UTC)
        ids: list[int] = []
        try:
            async with self._sessions() as session, session.begin():
                for start in range(0, len(everyone), CHUNK):
                    batch = everyone[start : start + CHUNK]
                    ids += await self._insert(session, batch, created)
                    if on_progress is not None:
                        on_progress(len(batch))
        except IntegrityError:
            error = await self._explain_duplicate(everyone)
            raise error from None
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
            {"customer_id": row.id, "number": number}
            for row, c in zip(rows, batch, strict=True)
            for number in self._numbers(c.phones)
        ]
        if phones:
            await session.execute(insert(Phone), phones)
        return [row.id for row in rows]

    def _numbers(self, phones: Iterable[str]) -> list[str]:
        # The same number typed twice (in two formats) is stored once.
        return list(dict.fromkeys(to_e164(number, self._region) for number in phones))

    async def _explain_duplicate(self, everyone: list[NewCustomer]) -> DuplicateCustomer:
        numbers = [
            (e164, c.account)
            for c in everyone
            for e164 in dict.fromkeys(try_e164(number, self._region) for number in c.phones)
            if e164 is not None
        ]
        async with self._sessions() as session:
            return await explain_duplicate(session, [c.account for c in everyone], numbers)

    async def _load(self, session: AsyncSession, where: ColumnElement[bool]) -> list[Customer]:
        # One round trip: the customers' columns and each of their numbers, one row each.
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
            .order_by(CustomerRow.name, CustomerRow.id, Phone.id)
        )
        heads: dict[int, Customer] = {}
        numbers: dict[int, list[str]] = {}
        for row in await session.execute(query):
            if row.id not in heads:
                heads[row.id] = Customer(
                    id=row.id,
                    name=row.name,
                    account=row.account,
                    tier=Tier(row.tier),
                    language=row.language,
                    notes=row.notes,
                )
            if row.number is not None:
                numbers.setdefault(row.id, []).append(row.number)
        return [replace(c, phones=tuple(numbers.get(i, ()))) for i, c in heads.items()]

    async def _find(self, where: ColumnElement[bool]) -> Customer | None:
        async with self._sessions() as session:
            found = await self._load(session, where)
        return found[0] if found else None

    async def get(self, customer_id: int) -> Customer | None:
        """The customer with id `customer_id`, with their numbers; None if there is none."""
        return await self._find(CustomerRow.id == customer_id)

    async def search(self, text: str, *, limit: int = 50) -> list[Customer]:
        """Customers matching `text`, ordered by name; at most `limit` of them.

        A customer matches when their name contains `text` (ignoring case; on SQLite only
        ASCII letters fold), their account starts with it (ignoring case), or, when
        `text` reads as part of a phone number (`phones.number_fragment`: 3 or more
        digits), one of their numbers contains its digits, leading zeros ignored, so
        `030 1234` finds `+49301234567`. Empty text gives the first `limit` customers.
        """
        wanted = text.strip()
        ids = select(CustomerRow.id).order_by(CustomerRow.name, CustomerRow.id)
        if wanted:
            folded = wanted.lower()
            matches = [
                func.lower(CustomerRow.name).contains(folded, autoescape=True),
                func.lower(CustomerRow.account).startswith(folded, autoescape=True),
            ]
            number = number_fragment(wanted)
            if number is not None:
                matches.append(
                    CustomerRow.id.in_(
                        select(Phone.customer_id).where(Phone.number.contains(number))
                    )
                )
            ids = ids.where(or_(*matches))
        async with self._sessions() as session:
            chosen = list(await session.scalars(ids.limit(max(limit, 0))))
            if not chosen:
                return []
            return await self._load(session, CustomerRow.id.in_(chosen))

    async def update(
        self,
        customer_id: int,
        *,
        name: str | None = None,
        tier: Tier | str | None = None,
        language: str | None = None,
        notes: str | None = None,
        phones: Sequence[str] | None = None,
    ) -> Customer:
        """Change a customer; None leaves a field as it is. The customer as now stored.

        `phones` replaces the whole list (in the order given, a number typed twice kept
        once); an empty `language` clears it. Raises `CustomerNotFound`,
        `InvalidPhoneNumber` for a bad number, `DuplicateCustomer` when a number belongs
        to another customer, and `ValueError` for an unknown tier or an empty or overlong
        name or language; nothing changes then.
        """
        new_tier = None if tier is None else parse_tier(tier)
        name, language = check_fields(name, language)
        numbers = None if phones is None else self._numbers(phones)
        try:
            async with self._sessions() as session, session.begin():
                await apply_update(
                    session,
                    customer_id,
                    name=name,
                    tier=new_tier,
                    language=language,
                    notes=notes,
                    phones=numbers,
                )
                found = await self._load(session, CustomerRow.id == customer_id)
        except IntegrityError:
            # Another transaction took one of the numbers between our check and our write.
            raise DuplicateCustomer(
                f"a number of customer {customer_id} was just given to another customer"
            ) from None
        return found[0]

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
        async with self._sessions() as session:
            return await taken_accounts(session, accounts)

    async def existing_numbers(self, numbers: Iterable[str]) -> set[str]:
        """Which of the E.164 `numbers` belong to a customer already."""
        async with self._sessions() as session:
            return set(await number_owners(session, numbers))


def _record(customer: Customer | None) -> CustomerRecord | None:
    if customer is None:
        return None
    return CustomerRecord(
        name=customer.name,
        tier=customer.tier.value,
        language=customer.language,
        account=customer.account,
        id=customer.id,
    )
