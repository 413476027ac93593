"""Customers and their phone numbers: the CTI lookups, the IVR's directory, the desktop's edits.

Strategy: one repository serves every reader of a customer: the pop builder
(`cti.ports.CustomerSource`, full `cti.Customer` records), the IVR
(`callcenter.ivr.lookups.CustomerDirectory`, the smaller `CustomerRecord`) and the web API
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
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
from callcenter.db.lookup_cache import LookupCache
from callcenter.db.models import Customer as CustomerRow
from callcenter.db.models import Phone
from callcenter.db.phones import InvalidPhoneNumber, number_fragment, to_e164, try_e164
from callcenter.db.reads import Reads, SessionReads
from callcenter.ivr.lookups import CustomerRecord
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

_CUSTOMERS = CustomerRow.__table__
_PHONES = Phone.__table__
_OWNER = _PHONES.alias("owner")
"""The number looked up; an alias, or the subquery would correlate with the joined numbers."""


def _customer_query(where: ColumnElement[bool]) -> Select[Any]:
    """The customers matching `where`, each of their numbers a row (none: one row, NULL)."""
    c = _CUSTOMERS.c
    return (
        select(c.id, c.name, c.account, c.tier, c.language, c.notes, _PHONES.c.number)
        .outerjoin(_PHONES, _PHONES.c.customer_id == c.id)
        .where(where)
        .order_by(c.name, c.id, _PHONES.c.id)
    )


# The call path's lookups, built once (SQLAlchemy reuses their compiled form).
_BY_PHONE = _customer_query(
    _CUSTOMERS.c.id
    == select(_OWNER.c.customer_id).where(_OWNER.c.number == bindparam("number")).scalar_subquery()
)
_BY_ACCOUNT = _customer_query(_CUSTOMERS.c.account == bindparam("account"))
_BY_ID = _customer_query(_CUSTOMERS.c.id == bindparam("id"))


def _customers(rows: Iterable[Row[Any]]) -> list[Customer]:
    heads: dict[int, Customer] = {}
    numbers: dict[int, list[str]] = {}
    for row in rows:
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

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        region: str = "DE",
        cache_s: float = 0.0,
        reads: Reads | None = None,
    ) -> None:
        """`region` is how numbers without a country code are read; lookups by number and
        by account are remembered for `cache_s` seconds (`lookup_cache`), none by default,
        and run on `reads` (`callcenter.db.reads`; default: a session of `sessions`)."""
        self._sessions = sessions
        self._reads = reads or SessionReads(sessions)
        self._region = region
        self._cache: LookupCache[Customer | None] = LookupCache(cache_s)

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
        finally:
            self._cache.clear()
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
        # The same number typed twice (in two formats) is stored once. A refusal names the
        # number by its place in the list (never by its text: it may be anything).
        numbers = []
        for index, number in enumerate(phones):
            try:
                numbers.append(to_e164(number, self._region))
            except InvalidPhoneNumber as exc:
                raise InvalidPhoneNumber(f"phones[{index}]: {exc}") from None
        return list(dict.fromkeys(numbers))

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
        return _customers(await session.execute(_customer_query(where)))

    async def _find(self, statement: Select[Any], **params: object) -> Customer | None:
        found = _customers(await self._reads.rows(statement, params))
        return found[0] if found else None

    async def get(self, customer_id: int) -> Customer | None:
        """The customer with id `customer_id`, with their numbers; None if there is none."""
        return await self._find(_BY_ID, id=customer_id)

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
        finally:
            self._cache.clear()
        return found[0]

    async def find_by_phone(self, number: str) -> Customer | None:
        """The customer owning `number` (any format), None if unknown or not a number."""
        e164 = try_e164(number, self._region)
        if e164 is None:
            return None
        return await self._remembered(("phone", e164), _BY_PHONE, number=e164)

    async def find_by_account(self, account: str) -> Customer | None:
        """The customer with account number `account`, if any."""
        account = account.strip()
        return await self._remembered(("account", account), _BY_ACCOUNT, account=account)

    async def _remembered(
        self, key: tuple[str, str], statement: Select[Any], **params: object
    ) -> Customer | None:
        known, customer = self._cache.get(key)
        if known:
            return customer
        generation = self._cache.generation
        customer = await self._find(statement, **params)
        self._cache.put(key, customer, generation)
        return customer

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
