"""What the web API does with customers: read one, search, edit; duplicates named clearly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db import (
    CustomerNotFound,
    CustomerRepository,
    DuplicateCustomer,
    InvalidPhoneNumber,
    NewCustomer,
)
from cti import Tier

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANNA = NewCustomer(
    name="Anna Schmidt",
    account="AB-100200",
    tier=Tier.VIP,
    language="de",
    notes="prefers e-mail",
    phones=("030 1234567", "+49 151 12345678"),
)
BEN = NewCustomer(name="Ben Weber", account="AB-300400", phones=("040 7654321",))
CLARA = NewCustomer(name="Clara 100% Meyer", account="CD-500600", phones=("089 555666",))


@pytest.fixture
def customers(sessions: async_sessionmaker[AsyncSession]) -> CustomerRepository:
    return CustomerRepository(sessions, region="DE")


@pytest.fixture
async def ids(customers: CustomerRepository) -> dict[str, int]:
    clara, anna, ben = await customers.add_many([CLARA, ANNA, BEN], now=T0)
    return {"anna": anna, "ben": ben, "clara": clara}


async def test_a_customer_is_read_by_id_with_their_numbers(
    customers: CustomerRepository, ids: dict[str, int]
) -> None:
    anna = await customers.get(ids["anna"])
    assert anna is not None
    assert (anna.name, anna.account, anna.tier, anna.language, anna.notes) == (
        "Anna Schmidt",
        "AB-100200",
        Tier.VIP,
        "de",
        "prefers e-mail",
    )
    assert anna.phones == ("+49301234567", "+4915112345678")
    assert await customers.get(10_000) is None


SEARCHES = {
    "": ["Anna Schmidt", "Ben Weber", "Clara 100% Meyer"],
    "  ": ["Anna Schmidt", "Ben Weber", "Clara 100% Meyer"],
    "schmidt": ["Anna Schmidt"],  # name substring, case folded
    "A WEB": [],
    "n": ["Anna Schmidt", "Ben Weber"],
    "100%": ["Clara 100% Meyer"],  # LIKE wildcards are matched literally
    "_": [],
    "ab-": ["Anna Schmidt", "Ben Weber"],  # account prefix, case folded
    "300400": [],  # inside an account, not its prefix, and in no number
    "+49 151 1234": ["Anna Schmidt"],  # digits of an E.164 number
    "0151-12345678": ["Anna Schmidt"],  # national format: the trunk 0 is ignored
    "0049 40 765": ["Ben Weber"],  # the international prefix 00 is ignored
    "040 76": ["Ben Weber"],
    "040": [],  # two significant digits are too few to search numbers by
    "555666": ["Clara 100% Meyer"],
    "0": ["Clara 100% Meyer"],  # in a name; too few digits for a number search
    "+49": [],  # (every number would match)
    "Ben 040": [],  # not a number: text with letters is only searched in names
}


async def test_search_matches_name_account_prefix_or_number_digits_ordered_by_name(
    customers: CustomerRepository, ids: dict[str, int]
) -> None:
    found = {text: [c.name for c in await customers.search(text)] for text in SEARCHES}
    assert found == SEARCHES


async def test_search_is_limited_and_returns_whole_records(
    customers: CustomerRepository, ids: dict[str, int]
) -> None:
    assert [c.name for c in await customers.search("", limit=2)] == ["Anna Schmidt", "Ben Weber"]
    [anna] = await customers.search("anna")
    assert anna == await customers.get(ids["anna"])


async def test_an_update_changes_only_what_is_given_and_replaces_the_numbers(
    customers: CustomerRepository, ids: dict[str, int]
) -> None:
    changed = await customers.update(ids["anna"], tier="gold", notes="")
    assert (changed.name, changed.tier, changed.language, changed.notes) == (
        "Anna Schmidt",
        Tier.GOLD,
        "de",
        "",
    )
    assert changed.phones == ("+49301234567", "+4915112345678")
    changed = await customers.update(
        ids["anna"],
        name=" Anna Schmidt-Lang ",
        tier=Tier.VIP,
        language="",
        phones=["+49 151 12345678", "030 9999999", "0151 12345678"],
    )
    assert (changed.name, changed.tier, changed.language) == ("Anna Schmidt-Lang", Tier.VIP, None)
    assert changed.phones == ("+4915112345678", "+49309999999")
    assert await customers.get(ids["anna"]) == changed
    assert await customers.find_by_phone("030 1234567") is None  # the old number is free
    found = await customers.find_by_phone("030 9999999")
    assert found is not None
    assert found.id == ids["anna"]
    cleared = await customers.update(ids["anna"], phones=[])
    assert cleared.phones == ()


async def test_refused_updates_name_the_problem_and_change_nothing(
    customers: CustomerRepository, ids: dict[str, int]
) -> None:
    before = await customers.get(ids["anna"])
    with pytest.raises(CustomerNotFound, match="no customer 10000"):
        await customers.update(10_000, name="Nobody")
    with pytest.raises(ValueError, match=r"unknown tier 'platinum' \(one of: vip, gold, "):
        await customers.update(ids["anna"], tier="platinum", name="Changed")
    with pytest.raises(InvalidPhoneNumber, match="not a"):
        await customers.update(ids["anna"], phones=["030 9999999", "12"], name="Changed")
    with pytest.raises(
        DuplicateCustomer,
        match=r"the number \+49407654321 belongs to another customer \(account 'AB-300400'\)",
    ):
        await customers.update(ids["anna"], phones=["030 9999999", "040 7654321"], notes="x")
    with pytest.raises(ValueError, match="name is 1-200 characters"):
        await customers.update(ids["anna"], name="  ")
    assert await customers.get(ids["anna"]) == before


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (
            NewCustomer(name="Dora", account="AB-100200"),
            r"the account 'AB-100200' belongs to another customer",
        ),
        (
            NewCustomer(name="Dora", account="X-1", phones=("0049 40 7654321",)),
            r"the number \+49407654321 belongs to another customer \(account 'AB-300400'\)",
        ),
    ],
)
async def test_adding_a_taken_account_or_number_raises_duplicate_customer(
    customers: CustomerRepository, ids: dict[str, int], new: NewCustomer, message: str
) -> None:
    with pytest.raises(DuplicateCustomer, match=message):
        await customers.add(new, now=T0)
    assert await customers.find_by_account("X-1") is None


async def test_repeats_inside_one_import_are_named_and_nothing_is_stored(
    customers: CustomerRepository,
) -> None:
    dora = NewCustomer(name="Dora", account="X-1", phones=("030 1111111", "+49301111111"))
    with pytest.raises(DuplicateCustomer, match="account 'X-1' is given to two new customers"):
        await customers.add_many([dora, NewCustomer(name="Eve", account="X-1")])
    with pytest.raises(
        DuplicateCustomer,
        match=r"number \+49301111111 is given to two new customers \(accounts 'X-1' and 'X-2'\)",
    ):
        await customers.add_many(
            [dora, NewCustomer(name="Eve", account="X-2", phones=("030 1111111",))]
        )
    assert await customers.search("") == []
    # One customer giving the same number twice is not a conflict: it is stored once.
    dora_id = await customers.add(dora)
    stored = await customers.get(dora_id)
    assert stored is not None
    assert stored.phones == ("+49301111111",)
