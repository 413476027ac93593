"""Each automated follow-up call as a contact: `fu-<follow-up>-<n>`, the n-th call placed.

Strategy: as a callback attempt (`callcenter.db.numbered_contacts`), every call the
follow-up dialler places is an interaction of its own, made as the call is claimed (in the
claim's transaction, `TicketRepository.claim_due`) and closed with what it came to, so the
customer's history and the call detail records list each call with its result and the
ticket it was about (`ticket.id` in its IVR data). The result is the keypad answer
(`satisfied`, `not-satisfied`) or the miss (`busy`, `no-answer`, `no-key`, `lost` ...,
`callcenter.pbx.followup_calls`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.db.models import Interaction, Ticket, TicketFollowUp
from callcenter.db.numbered_contacts import (
    end_contact,
    numbered_interaction,
    numbered_uniqueid,
    parse_numbered_uniqueid,
)

FOLLOWUP_PREFIX = "fu-"
TICKET_KEY = "ticket.id"
"""The IVR data key of a follow-up call's ticket."""
SATISFIED = "satisfied"
NOT_SATISFIED = "not-satisfied"
ANSWERED_BY_AGENT = "agent-answered"
"""An agent recorded the customer's answer while the call was out."""


def followup_call_uniqueid(followup_id: int, n: int) -> str:
    """The interaction of a follow-up's `n`-th automated call (1 for the first): `fu-7-1`."""
    return numbered_uniqueid(FOLLOWUP_PREFIX, followup_id, n)


def parse_followup_call_uniqueid(uniqueid: str) -> tuple[int, int] | None:
    """(follow-up id, call number) of a follow-up call's interaction, None for any other."""
    return parse_numbered_uniqueid(FOLLOWUP_PREFIX, uniqueid)


def result_of_answer(satisfied: bool) -> str:
    """A call's result when the customer keyed an answer."""
    return SATISFIED if satisfied else NOT_SATISFIED


async def followup_call(
    session: AsyncSession,
    followup: TicketFollowUp,
    ticket: Ticket,
    *,
    at: datetime,
    number: str | None = None,
) -> Interaction:
    """The interaction of `followup`'s current call (its `attempts`-th), made when missing
    (a call claimed before calls were contacts), inside the session's transaction."""
    return await numbered_interaction(
        session,
        followup_call_uniqueid(followup.id, followup.attempts),
        at=at,
        number=number,
        customer_id=ticket.customer_id,
        queue=ticket.queue,
        agent=None,
        data={
            "followup.id": str(followup.id),
            "followup.call": str(followup.attempts),
            TICKET_KEY: str(ticket.id),
        },
    )


async def end_followup_call(
    session: AsyncSession,
    followup: TicketFollowUp,
    ticket: Ticket,
    result: str,
    *,
    at: datetime,
    answered_at: datetime | None = None,
) -> None:
    """Close `followup`'s current call with `result` at `at` (`answered_at`: when the
    customer answered)."""
    contact = await followup_call(session, followup, ticket, at=at)
    end_contact(contact, result, at=at, answered_at=answered_at)
