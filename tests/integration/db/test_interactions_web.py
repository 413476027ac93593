"""What the web API does with calls: search, read one whole, annotate; the call path keeps notes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db import (
    CustomerRepository,
    InteractionData,
    InteractionNotFound,
    InteractionRepository,
    NewCustomer,
    SaveInteraction,
    TicketRepository,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def interactions(sessions: async_sessionmaker[AsyncSession]) -> InteractionRepository:
    return InteractionRepository(sessions)


@pytest.fixture
async def anna_id(sessions: async_sessionmaker[AsyncSession]) -> int:
    anna = NewCustomer(name="Anna Schmidt", account="100200", phones=("030 1234567",))
    return await CustomerRepository(sessions).add(anna, now=T0)


def call(uniqueid: str, minutes: int, **fields: object) -> InteractionData:
    return InteractionData(uniqueid=uniqueid, arrived_at=T0 + timedelta(minutes=minutes), **fields)  # type: ignore[arg-type]


@pytest.fixture
async def calls(interactions: InteractionRepository, anna_id: int) -> None:
    for data in [
        call("1700000000.1", 0, caller_number="+49301234567", customer_id=anna_id,
             queue="support", agent="a7", notes="Parcel DAMAGED"),
        call("1700000000.2", 10, caller_number="+4940999999", queue="sales", agent="a8"),
        call("1700000000.3", 20, caller_number="+4989123456", queue="support", agent="a8",
             notes="wants a refund"),
        call("1700000000.4", 30, caller_number=None, queue="support"),
    ]:  # fmt: skip
        await interactions.save(data)


SEARCHES: dict[str, list[str]] = {
    "": ["1700000000.4", "1700000000.3", "1700000000.2", "1700000000.1"],
    "030 123": ["1700000000.1"],  # caller number digits, trunk 0 ignored
    "+49 40": ["1700000000.2"],
    "anna": ["1700000000.1"],  # the customer's name
    "damaged": ["1700000000.1"],  # notes, case folded
    "REFUND": ["1700000000.3"],
    "0000.2": ["1700000000.2"],  # the Uniqueid (too few digits for a number search)
    "1700000000.3": ["1700000000.3"],
    "bob": [],
}


async def test_search_matches_number_digits_customer_notes_or_uniqueid_newest_first(
    interactions: InteractionRepository, calls: None
) -> None:
    found = {text: [r.uniqueid for r in await interactions.search(text=text)] for text in SEARCHES}
    assert found == SEARCHES


async def test_search_filters_combine_and_the_window_is_half_open(
    interactions: InteractionRepository, calls: None
) -> None:
    async def ids(**filters: object) -> list[str]:
        return [r.uniqueid for r in await interactions.search(**filters)]  # type: ignore[arg-type]

    assert await ids(queue="support") == ["1700000000.4", "1700000000.3", "1700000000.1"]
    assert await ids(agent="a8") == ["1700000000.3", "1700000000.2"]
    assert await ids(queue="support", agent="a8") == ["1700000000.3"]
    assert await ids(since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=30)) == [
        "1700000000.3",
        "1700000000.2",
    ]
    assert await ids(text="0000", queue="sales") == ["1700000000.2"]
    assert await ids(limit=2) == ["1700000000.4", "1700000000.3"]


async def test_a_record_carries_its_customer_ivr_data_and_tickets(
    sessions: async_sessionmaker[AsyncSession], interactions: InteractionRepository, anna_id: int
) -> None:
    await interactions.save(
        call("1700000000.9", 0, caller_number="+49301234567", dialled_number="+49800100",
             customer_id=anna_id, ivr_path=("welcome", "menu"), ivr_data={"menu": "2"},
             queue="support", agent="a7", answered_at=T0 + timedelta(seconds=30),
             outcome="completed", survey_scores={"q1": 4})
    )  # fmt: skip
    first = await interactions.record("1700000000.9")
    assert first is not None
    tickets = TicketRepository(sessions, {"complaint": 48})
    opened = await tickets.open(
        customer_id=anna_id, category="complaint", subject="x", now=T0, interaction_id=first.id
    )
    other = await tickets.open(customer_id=anna_id, category="complaint", subject="y", now=T0)
    await tickets.link(other.id, first.id, now=T0)
    record = await interactions.record("1700000000.9")
    assert record == replace(first, ticket_ids=(opened.id, other.id))
    assert (record.customer_id, record.customer_name) == (anna_id, "Anna Schmidt")
    assert (record.caller_number, record.dialled_number) == ("+49301234567", "+49800100")
    assert (record.ivr_path, record.ivr_data, record.survey_scores) == (
        ("welcome", "menu"),
        {"menu": "2"},
        {"q1": 4},
    )
    assert (record.answered_at, record.outcome) == (T0 + timedelta(seconds=30), "completed")
    assert await interactions.record("nope") is None


async def test_annotate_sets_notes_and_disposition_and_refuses_unknown_calls(
    interactions: InteractionRepository, calls: None
) -> None:
    noted = await interactions.annotate("1700000000.2", notes="called about prices")
    assert (noted.notes, noted.disposition) == ("called about prices", None)
    both = await interactions.annotate("1700000000.2", disposition="inquiry")
    assert (both.notes, both.disposition) == ("called about prices", "inquiry")
    assert both.queue == "sales"
    assert await interactions.record("1700000000.2") == both
    cleared = await interactions.annotate("1700000000.2", disposition="")
    assert cleared.disposition is None
    with pytest.raises(InteractionNotFound, match="no recorded call 'nope'"):
        await interactions.annotate("nope", notes="x")


async def test_given_an_annotated_call_when_the_call_path_saves_again_then_notes_stay(
    interactions: InteractionRepository,
) -> None:
    arrived = call("u1", 0, queue="support", survey_scores={"q1": 3})
    await interactions.save(arrived)
    await interactions.annotate("u1", notes="angry about delay", disposition="complaint")
    ended = replace(arrived, ended_at=T0 + timedelta(minutes=5), outcome="completed",
                    survey_scores={"q2": 5})  # fmt: skip
    await interactions.save(ended)
    stored = await interactions.record("u1")
    assert stored is not None
    assert (stored.notes, stored.disposition) == ("angry about delay", "complaint")
    assert (stored.outcome, stored.ended_at) == ("completed", T0 + timedelta(minutes=5))
    assert stored.survey_scores == {"q1": 3, "q2": 5}
    # What the call path does set still wins: a rescored question, given notes.
    await interactions.save(replace(ended, survey_scores={"q1": 1}, notes="from wrap-up"))
    stored = await interactions.record("u1")
    assert stored is not None
    assert (stored.notes, stored.disposition) == ("from wrap-up", "complaint")
    assert stored.survey_scores == {"q1": 1, "q2": 5}


async def test_the_call_paths_batched_saves_keep_notes_disposition_and_scores(
    sessions: async_sessionmaker[AsyncSession], interactions: InteractionRepository
) -> None:
    # The call path's saves carry no scores: the writer upserts them in one statement.
    surveyed = call("u3", 0, queue="support", survey_scores={"q1": 4})
    await interactions.save(surveyed)
    await interactions.annotate("u3", notes="wants a refund", disposition="complaint")
    ringing = call("u4", 1, queue="sales", caller_number="+4930222")
    async with sessions() as session, session.begin():
        saves = SaveInteraction(replace(surveyed, survey_scores={}, agent="a1")).merged(
            SaveInteraction(ringing)
        )
        await saves.merged(SaveInteraction(replace(ringing, agent="a2"))).apply(session)
    stored = await interactions.record("u3")
    assert stored is not None
    assert (stored.agent, stored.notes, stored.disposition) == ("a1", "wants a refund", "complaint")
    assert stored.survey_scores == {"q1": 4}
    assert await interactions.get("u4") == replace(ringing, agent="a2")
    # Notes the call path does carry (from wrap-up) replace the stored ones.
    async with sessions() as session, session.begin():
        await SaveInteraction(replace(surveyed, survey_scores={}, notes="refunded")).apply(session)
    stored = await interactions.record("u3")
    assert stored is not None
    assert (stored.notes, stored.disposition, stored.agent) == ("refunded", "complaint", None)


async def test_given_a_saved_call_when_annotated_then_the_call_data_stays(
    interactions: InteractionRepository,
) -> None:
    data = call("u2", 0, caller_number="+4930111", queue="support", agent="a7",
                disposition="order", survey_scores={"q1": 5}, ivr_path=("menu",))  # fmt: skip
    await interactions.save(data)
    annotated = await interactions.annotate("u2", notes="ordered 3 items")
    assert (annotated.notes, annotated.disposition) == ("ordered 3 items", "order")
    assert await interactions.get("u2") == replace(data, notes="ordered 3 items")
