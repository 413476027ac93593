"""Migration 0006: tickets from before the six steps get the step their status stands for,
and no step promise (they are not escalated for a promise never given)."""

from __future__ import annotations

from sqlalchemy import text

from callcenter.db import make_engine, make_sessions, upgrade
from callcenter.db.tickets import TicketRepository


async def test_old_tickets_get_the_step_of_their_status_and_no_step_promise(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await upgrade(engine, "0005")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO customers (id, name, account, tier, language, notes, created_at)"
                    " VALUES (1, 'Carl', '7', 'standard', NULL, '', '2026-03-02 09:00:00')"
                )
            )
            for number, status in enumerate(
                ("open", "in_progress", "resolved", "confirmed", "reopened"), start=1
            ):
                await conn.execute(
                    text(
                        "INSERT INTO tickets (id, customer_id, category, subject, status,"
                        " created_at, updated_at, due_at) VALUES (:id, 1, 'complaint', 's',"
                        " :status, '2026-03-02 09:00:00', '2026-03-02 09:00:00',"
                        " '2026-03-04 09:00:00')"
                    ),
                    {"id": number, "status": status},
                )
        await upgrade(engine)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text("SELECT status, step, step_due_at FROM tickets ORDER BY id")
                )
            ).all()
        assert [tuple(r) for r in rows] == [
            ("open", "received", None),
            ("in_progress", "acknowledged", None),
            ("resolved", "proposed", None),
            ("confirmed", "confirmed", None),
            ("reopened", "reopened", None),
        ]
        tickets = TicketRepository(make_sessions(engine), {"complaint": 48})
        assert [t.id for t in await tickets.worklist(visible_queues=None, me="x")] == [
            1,
            2,
            3,
            5,
        ]
    finally:
        await engine.dispose()
