"""The screen pop for known, unknown and VIP callers, with history and open tickets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cti import (
    CREATE_CUSTOMER,
    OPEN_TICKET,
    CallContext,
    CrmRecord,
    Customer,
    InteractionSummary,
    PopBuilder,
    TicketSummary,
    Tier,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ANNA = Customer(id=1, name="Anna Schmidt", account="100200", tier=Tier.VIP, language="de",
                phones=("+49301234567",))  # fmt: skip
BEN = Customer(id=2, name="Ben Meyer", account="100201", phones=("+4940987654",))


def past_call(n: int, customer_days_ago: int, disposition: str) -> InteractionSummary:
    return InteractionSummary(
        uniqueid=f"u{n}",
        arrived_at=NOW - timedelta(days=customer_days_ago),
        queue="support",
        agent="a7",
        outcome="completed",
        disposition=disposition,
        notes=f"note {n}",
    )


@dataclass
class FakeStore:
    """Customers, history and tickets in dictionaries: the three storage ports at once."""

    customers: list[Customer] = field(default_factory=list)
    history: dict[object, list[InteractionSummary]] = field(default_factory=dict)
    tickets: dict[int, list[TicketSummary]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    async def find_by_phone(self, number: str) -> Customer | None:
        self.asked.append(f"phone:{number}")
        return next((c for c in self.customers if number in c.phones), None)

    async def find_by_account(self, account: str) -> Customer | None:
        self.asked.append(f"account:{account}")
        return next((c for c in self.customers if c.account == account), None)

    async def recent(
        self, *, customer_id: int | None, caller_number: str | None, limit: int
    ) -> list[InteractionSummary]:
        key = customer_id if customer_id is not None else caller_number
        return self.history.get(key, [])[:limit]

    async def open_for_customer(self, customer_id: int) -> list[TicketSummary]:
        return self.tickets.get(customer_id, [])


@dataclass
class FakeCrm:
    answer: CrmRecord | None

    async def lookup(self, caller_number: str) -> CrmRecord | None:
        return self.answer


def builder(store: FakeStore, crm: FakeCrm | None = None, size: int = 2) -> PopBuilder:
    return PopBuilder(store, store, store, crm=crm, history_size=size)


def call(number: str | None, **answers: str) -> CallContext:
    return CallContext(
        uniqueid="1700000000.9",
        caller_number=number,
        dialled_number="100",
        queue="support",
        ivr_path=("welcome", "menu", "account"),
        ivr_answers=answers,
    )


async def test_given_a_vip_with_history_and_tickets_then_the_pop_shows_it_all() -> None:
    overdue = TicketSummary(1, "complaint", "late parcel", "open", NOW - timedelta(hours=1), None)
    later = TicketSummary(2, "request", "new address", "in_progress", NOW + timedelta(days=1), "a7")
    store = FakeStore(
        customers=[ANNA],
        history={1: [past_call(1, 1, "complaint"), past_call(2, 5, "order"), past_call(3, 9, "x")]},
        tickets={1: [later, overdue]},
    )
    pop = await builder(store).build(call("+49301234567", menu="2"), now=NOW)
    assert pop.known
    assert pop.vip
    assert pop.source == "local"
    assert [h.disposition for h in pop.history] == ["complaint", "order"]  # history_size 2
    assert [t.id for t in pop.open_tickets] == [1, 2]  # soonest due first
    assert pop.overdue_ticket_ids == (1,)
    assert pop.greeting.startswith("Schön, von Ihnen zu hören, Anna Schmidt")
    assert pop.actions == (OPEN_TICKET,)
    data = pop.as_dict()
    assert data["customer"]["tier"] == "vip"
    assert data["ivr_path"] == ["welcome", "menu", "account"]
    assert data["ivr_answers"] == {"menu": "2"}
    assert data["dialled_number"] == "100"
    assert data["open_tickets"][0] == {
        "id": 1, "category": "complaint", "subject": "late parcel", "status": "open",
        "due_at": "2026-03-02T09:00:00+00:00", "owner": None, "overdue": True,
    }  # fmt: skip
    assert data["history"][0]["notes"] == "note 1"


async def test_given_an_unknown_caller_then_the_pop_offers_to_create_the_customer() -> None:
    store = FakeStore(customers=[ANNA], history={"+4989000": [past_call(4, 2, "inquiry")]})
    pop = await builder(store).build(call("+4989000", menu="3"), now=NOW)
    assert not pop.known
    assert not pop.vip
    assert pop.customer is None
    assert pop.actions == (CREATE_CUSTOMER,)
    assert pop.source == "none"
    assert [h.uniqueid for h in pop.history] == ["u4"]  # earlier calls from this number
    assert pop.greeting == "Thank you for calling. May I have your name, please?"
    data = pop.as_dict()
    assert (data["known"], data["customer"], data["caller_number"]) == (False, None, "+4989000")
    assert data["ivr_answers"] == {"menu": "3"}


async def test_an_unknown_number_is_found_by_the_account_keyed_into_the_ivr() -> None:
    store = FakeStore(customers=[ANNA, BEN])
    pop = await builder(store).build(call("+4989000", account="100201"), now=NOW)
    assert pop.customer == BEN
    assert store.asked == ["phone:+4989000", "account:100201"]
    assert pop.greeting == "Hello Ben Meyer, thank you for calling. How can I help?"


async def test_a_withheld_number_still_gets_a_pop() -> None:
    pop = await builder(FakeStore()).build(call(None), now=NOW)
    assert pop.customer is None
    assert pop.history == ()
    assert pop.actions == (CREATE_CUSTOMER,)


async def test_the_crm_overlays_local_data_and_can_know_a_caller_alone() -> None:
    store = FakeStore(customers=[BEN])
    crm = FakeCrm(CrmRecord(tier=Tier.VIP, notes="key account"))
    pop = await builder(store, crm).build(call("+4940987654"), now=NOW)
    assert pop.vip
    assert pop.source == "local+crm"
    assert pop.customer is not None
    assert (pop.customer.id, pop.customer.name, pop.customer.notes) == (
        2,
        "Ben Meyer",
        "key account",
    )
    only_crm = await builder(FakeStore(), FakeCrm(CrmRecord(name="Dora"))).build(
        call("+4930555"), now=NOW
    )
    assert only_crm.customer is not None
    assert only_crm.customer.id is None
    assert only_crm.source == "crm"
    assert only_crm.actions == (CREATE_CUSTOMER,)  # no local record to attach tickets to yet
