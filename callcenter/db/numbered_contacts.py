"""Contacts numbered under what they belong to: a callback request's attempts (`cb-12-2`)
and a follow-up's automated calls (`fu-7-1`).

Strategy: such a contact is an interaction of its own, so the customer's history and the
call detail records list it as a contact and an agent's notes can go on it. Its Uniqueid
is a prefix, the id of what it belongs to and its number among them (1 for the first),
which no Asterisk Uniqueid (`1718000000.12`) can look like. It is made inside its owner's
transaction, in progress (no outcome), and closed there with its result as the outcome,
so the owner's count and its contacts never disagree.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.db.models import Interaction


def numbered_uniqueid(prefix: str, owner: int, n: int) -> str:
    """The Uniqueid of `owner`'s `n`-th contact: `numbered_uniqueid("cb-", 12, 2)` is `cb-12-2`."""
    return f"{prefix}{owner}-{n}"


def parse_numbered_uniqueid(prefix: str, uniqueid: str) -> tuple[int, int] | None:
    """(owner id, number) of a contact made by `numbered_uniqueid` with `prefix`, None for
    any other Uniqueid."""
    owner, _, n = uniqueid.removeprefix(prefix).partition("-")
    if not uniqueid.startswith(prefix) or not (
        owner.isascii() and owner.isdigit() and n.isascii() and n.isdigit()
    ):
        return None
    return int(owner), int(n)


async def numbered_interaction(
    session: AsyncSession,
    uniqueid: str,
    *,
    at: datetime,
    number: str | None,
    customer_id: int | None,
    queue: str | None,
    agent: str | None,
    data: dict[str, str],
) -> Interaction:
    """The interaction `uniqueid` (locked), made when missing, in progress (no outcome yet)
    from `at`, inside the session's transaction; a known `agent` is set on one found."""
    row = await session.scalar(
        select(Interaction).where(Interaction.uniqueid == uniqueid).with_for_update()
    )
    if row is None:
        row = Interaction(
            uniqueid=uniqueid,
            arrived_at=at,
            caller_number=number,
            customer_id=customer_id,
            queue=queue,
            agent=agent,
            offered_at=at,
            ivr_path=[],
            ivr_data=data,
            notes="",
            survey_scores={},
        )
        session.add(row)
        await session.flush()
    elif agent is not None:
        row.agent = agent
    return row


def end_contact(
    row: Interaction, outcome: str, *, at: datetime, answered_at: datetime | None
) -> None:
    """Close a numbered contact at `at` with `outcome` (its result); `answered_at` when the
    customer answered, None otherwise. The notes and disposition on it are kept."""
    row.outcome = outcome
    row.ended_at = at
    row.answered_at = answered_at
