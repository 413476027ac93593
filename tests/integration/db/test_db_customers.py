"""Customers by phone number in any format and by account; interactions as history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db import (
    CustomerRepository,
    DuplicateCustomer,
    InteractionData,
    InteractionRepository,
    NewCustomer,
)
from callcenter.ivr.lookups import CustomerDirectory, CustomerRecord
from cti import Tier

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANNA = NewCustomer(
    name="Anna Schmidt",
    account="100200",
    tier=Tier.VIP,
    language="de",
    notes="prefers e-mail",
    phones=("030 1234567", "+49 151 12345678"),
)


@pytest.fixture
def customers(sessions: async_sessionmaker[AsyncSession]) -> CustomerRepository:
    return CustomerRepository(sessions, region="DE")


@pytest.mark.parametrize("dialled_as", ["+49301234567", "030 1234567", "0049 30 1234567"])
async def test_given_a_customer_when_their_number_calls_in_any_format_then_found(
    customers: CustomerRepository, dialled_as: str
) -> None:
    anna_id = await customers.add(ANNA, now=T0)
    found = await customers.find_by_phone(dialled_as)
    assert found is not None
    assert (found.id, found.name, found.tier) == (anna_id, "Anna Schmidt", Tier.VIP)
    assert found.phones == ("+49301234567", "+4915112345678")


async def test_lookup_by_account_and_unknown_or_invalid_numbers(
    customers: CustomerRepository,
) -> None:
    await customers.add(ANNA, now=T0)
    by_account = await customers.find_by_account(" 100200 ")
    assert by_account is not None
    assert by_account.name == "Anna Schmidt"
    assert await customers.find_by_account("999") is None
    assert await customers.find_by_phone("+49301234568") is None
    assert await customers.find_by_phone("anonymous") is None


async def test_the_repository_is_the_ivr_directory(customers: CustomerRepository) -> None:
    anna = await customers.add(ANNA, now=T0)
    directory: CustomerDirectory = customers
    expected = CustomerRecord(
        name="Anna Schmidt", tier="vip", language="de", account="100200", id=anna
    )
    assert await directory.by_phone("030 1234567") == expected
    assert await directory.by_account("100200") == expected
    assert await directory.by_phone("+4940999999") is None


async def test_a_number_belongs_to_one_customer_only(customers: CustomerRepository) -> None:
    await customers.add(ANNA, now=T0)
    with pytest.raises(DuplicateCustomer, match=r"\+49301234567 belongs to another customer"):
        await customers.add(NewCustomer(name="Ben", account="2", phones=("030 1234567",)))
    assert await customers.find_by_account("2") is None  # nothing half-stored


async def test_interactions_upsert_by_uniqueid_and_read_back_newest_first(
    customers: CustomerRepository, sessions: async_sessionmaker[AsyncSession]
) -> None:
    anna_id = await customers.add(ANNA, now=T0)
    interactions = InteractionRepository(sessions)
    for day in range(4):
        await interactions.save(
            InteractionData(
                uniqueid=f"1700000000.{day}",
                arrived_at=T0 + timedelta(days=day),
                caller_number="+49301234567",
                customer_id=anna_id,
                ivr_path=("welcome", "menu"),
                ivr_data={"menu": "2"},
                queue="support",
            )
        )
    done = InteractionData(
        uniqueid="1700000000.3",
        arrived_at=T0 + timedelta(days=3),
        caller_number="+49301234567",
        customer_id=anna_id,
        queue="support",
        agent="agent7",
        outcome="completed",
        disposition="complaint",
        notes="parcel damaged",
        survey_scores={"q1": 5},
    )
    await interactions.save(done)
    assert await interactions.get("1700000000.3") == done
    recent = await interactions.recent(customer_id=anna_id, caller_number=None, limit=3)
    assert [r.uniqueid for r in recent] == ["1700000000.3", "1700000000.2", "1700000000.1"]
    assert (recent[0].disposition, recent[0].notes) == ("complaint", "parcel damaged")
    by_number = await interactions.recent(customer_id=None, caller_number="+49301234567", limit=10)
    assert len(by_number) == 4
