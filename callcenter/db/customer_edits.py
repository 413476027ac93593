"""Editing customers: the errors an edit can meet, and the writes of `CustomerRepository`.

Strategy: everything that can be checked without the database (tier, name, the numbers'
format) is checked before a transaction opens. An update then locks the customer's row,
refuses numbers that belong to someone else with a message naming the number and its
owner's account, and replaces the numbers wholesale (in the order given). Adding
customers keeps its fast path: the unique indexes guard it, and only when one fires is
the input explained (`explain_duplicate`), so a bulk import pays nothing for the check.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Select, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.db.models import Customer as CustomerRow
from callcenter.db.models import Phone
from cti.types import Tier

LOOKUP_CHUNK = 500
"""Values per IN (...) probe, well under SQLite's bound-parameter limit."""

MAX_NAME = 200
MAX_LANGUAGE = 16
"""Column widths, checked up front so that both backends refuse the same values."""


class CustomerNotFound(LookupError):
    """No customer has the id asked for."""


class DuplicateCustomer(ValueError):
    """An account or phone number already belongs to another customer."""


def parse_tier(tier: Tier | str) -> Tier:
    """`tier` as a `Tier`; `ValueError` naming the allowed tiers for anything else."""
    try:
        return Tier(tier)
    except ValueError:
        allowed = ", ".join(t.value for t in Tier)
        raise ValueError(f"unknown tier {tier!r} (one of: {allowed})") from None


def check_fields(name: str | None, language: str | None) -> tuple[str | None, str | None]:
    """The name and language code of an edit, trimmed; `ValueError` if empty or too long."""
    if name is not None:
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise ValueError(f"a customer's name is 1-{MAX_NAME} characters")
    if language is not None:
        language = language.strip()
        if len(language) > MAX_LANGUAGE:
            raise ValueError(f"a language code is at most {MAX_LANGUAGE} characters")
    return name, language


async def taken_accounts(session: AsyncSession, accounts: Iterable[str]) -> set[str]:
    """Which of `accounts` belong to a customer already."""
    found: set[str] = set()
    for chunk in _chunks(accounts):
        found.update(
            await session.scalars(select(CustomerRow.account).where(CustomerRow.account.in_(chunk)))
        )
    return found


async def number_owners(session: AsyncSession, numbers: Iterable[str]) -> dict[str, str]:
    """Which of the E.164 `numbers` belong to a customer already, with that one's account."""
    found: dict[str, str] = {}
    for chunk in _chunks(numbers):
        for row in await session.execute(_owners_of(chunk)):
            found[row.number] = row.account
    return found


async def explain_duplicate(
    session: AsyncSession, accounts: Sequence[str], numbers: Sequence[tuple[str, str]]
) -> DuplicateCustomer:
    """Why adding these customers broke a unique index, as an error to raise.

    `accounts` are the new customers' accounts; `numbers` pairs each new E.164 number with
    the account it was given to. Repeats inside the input are named first, then values
    that are taken already.
    """
    seen: set[str] = set()
    for account in accounts:
        if account in seen:
            return DuplicateCustomer(f"the account {account!r} is given to two new customers")
        seen.add(account)
    owners: dict[str, str] = {}
    for number, account in numbers:
        first = owners.setdefault(number, account)
        if first != account:
            return DuplicateCustomer(
                f"the number {number} is given to two new customers "
                f"(accounts {first!r} and {account!r})"
            )
    taken = await taken_accounts(session, accounts)
    for account in accounts:
        if account in taken:
            return DuplicateCustomer(f"the account {account!r} belongs to another customer")
    owned = await number_owners(session, owners)
    for number in owners:
        if number in owned:
            return _number_taken(number, owned[number])
    return DuplicateCustomer("an account or phone number belongs to another customer")


async def apply_update(
    session: AsyncSession,
    customer_id: int,
    *,
    name: str | None,
    tier: Tier | None,
    language: str | None,
    notes: str | None,
    phones: Sequence[str] | None,
) -> None:
    """Change the customer inside the caller's transaction; `phones` are E.164 already."""
    row = await session.get(CustomerRow, customer_id, with_for_update=True)
    if row is None:
        raise CustomerNotFound(f"no customer {customer_id}")
    if name is not None:
        row.name = name
    if tier is not None:
        row.tier = tier.value
    if language is not None:
        row.language = language or None
    if notes is not None:
        row.notes = notes
    if phones is None:
        return
    if phones:
        taken = (
            await session.execute(
                _owners_of(phones).where(Phone.customer_id != customer_id).limit(1)
            )
        ).first()
        if taken is not None:
            raise _number_taken(taken.number, taken.account)
    await session.execute(delete(Phone).where(Phone.customer_id == customer_id))
    if phones:
        await session.execute(
            insert(Phone), [{"customer_id": customer_id, "number": n} for n in phones]
        )


def _owners_of(numbers: Iterable[str]) -> Select[str, str]:
    return (
        select(Phone.number, CustomerRow.account)
        .join(CustomerRow, CustomerRow.id == Phone.customer_id)
        .where(Phone.number.in_(list(numbers)))
        .order_by(Phone.number)
    )


def _number_taken(number: str, account: str) -> DuplicateCustomer:
    return DuplicateCustomer(
        f"the number {number} belongs to another customer (account {account!r})"
    )


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    wanted = list(dict.fromkeys(values))
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        yield wanted[start : start + LOOKUP_CHUNK]
