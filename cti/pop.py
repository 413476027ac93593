"""The screen pop: everything an agent should see while the phone rings.

Strategy: `ScreenPop` is plain data; `build_pop` gathers it through the ports (customer by
caller number, then by an account number keyed into the IVR, then the CRM as an overlay)
and `compose_pop` is the pure assembly, tested without any storage. An unknown caller
still gets a pop: the number, the IVR answers, and the `create_customer` action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cti.greeting import suggest_greeting
from cti.types import (
    CallContext,
    CrmRecord,
    Customer,
    InteractionSummary,
    TicketSummary,
    Tier,
)

CREATE_CUSTOMER = "create_customer"
OPEN_TICKET = "open_ticket"


@dataclass(frozen=True, slots=True)
class ScreenPop:
    """The payload pushed to the agent's desktop as the call is offered."""

    call: CallContext
    customer: Customer | None
    history: tuple[InteractionSummary, ...]
    open_tickets: tuple[TicketSummary, ...]
    overdue_ticket_ids: tuple[int, ...]
    greeting: str
    actions: tuple[str, ...]
    source: str
    """Where the customer came from: "local", "crm", "local+crm" or "none"."""

    @property
    def known(self) -> bool:
        """Whether the caller was recognised."""
        return self.customer is not None

    @property
    def vip(self) -> bool:
        """Whether the caller is a VIP (the desktop highlights the pop)."""
        return self.customer is not None and self.customer.tier is Tier.VIP

    def as_dict(self) -> dict[str, Any]:
        """The pop as JSON-ready data (times in ISO 8601)."""
        customer = self.customer
        return {
            "uniqueid": self.call.uniqueid,
            "known": self.known,
            "vip": self.vip,
            "caller_number": self.call.caller_number,
            "dialled_number": self.call.dialled_number,
            "queue": self.call.queue,
            "ivr_path": list(self.call.ivr_path),
            "ivr_answers": dict(self.call.ivr_answers),
            "customer": None
            if customer is None
            else {
                "id": customer.id,
                "name": customer.name,
                "account": customer.account,
                "tier": customer.tier.value,
                "language": customer.language,
                "notes": customer.notes,
                "phones": list(customer.phones),
            },
            "history": [
                {
                    "uniqueid": h.uniqueid,
                    "arrived_at": h.arrived_at.isoformat(),
                    "queue": h.queue,
                    "agent": h.agent,
                    "outcome": h.outcome,
                    "disposition": h.disposition,
                    "notes": h.notes,
                }
                for h in self.history
            ],
            "open_tickets": [
                {
                    "id": t.id,
                    "category": t.category,
                    "subject": t.subject,
                    "status": t.status,
                    "due_at": t.due_at.isoformat(),
                    "owner": t.owner,
                    "overdue": t.id in self.overdue_ticket_ids,
                }
                for t in self.open_tickets
            ],
            "greeting": self.greeting,
            "actions": list(self.actions),
            "source": self.source,
        }


def merge_crm(local: Customer | None, crm: CrmRecord | None) -> Customer | None:
    """The local record with what the CRM knows laid over it (the CRM is the master)."""
    if crm is None:
        return local
    if local is None:
        if crm.name is None:
            return None
        local = Customer(id=None, name=crm.name, account=crm.account)
    return Customer(
        id=local.id,
        name=crm.name or local.name,
        account=crm.account or local.account,
        tier=crm.tier or local.tier,
        language=crm.language or local.language,
        notes=local.notes if crm.notes is None else crm.notes,
        phones=local.phones,
    )


def compose_pop(
    call: CallContext,
    customer: Customer | None,
    history: list[InteractionSummary],
    tickets: list[TicketSummary],
    *,
    now: datetime,
    source: str,
) -> ScreenPop:
    """Assemble the pop from what was found; pure, so every case is a unit test."""
    language = call.ivr_answers.get("language")
    # A caller only the CRM knows has no local record to hang tickets on yet.
    stored = customer is not None and customer.id is not None
    actions = (OPEN_TICKET,) if stored else (CREATE_CUSTOMER,)
    ordered = sorted(tickets, key=lambda t: t.due_at)
    return ScreenPop(
        call=call,
        customer=customer,
        history=tuple(sorted(history, key=lambda h: h.arrived_at, reverse=True)),
        open_tickets=tuple(ordered),
        overdue_ticket_ids=tuple(t.id for t in ordered if t.due_at < now),
        greeting=suggest_greeting(customer, language),
        actions=actions,
        source=source,
    )
