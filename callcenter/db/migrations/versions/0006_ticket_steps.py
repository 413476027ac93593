"""Tickets as work (issue 17): the complaint process's step with its promise, the ticket's
queue, the step and promise on each history row, and the follow-up calls.

Tickets from before get the step their status stands for (open: received, in_progress:
acknowledged, resolved: proposed, confirmed and reopened as they are) and no step promise
(they are not escalated for a promise they were never given).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callcenter.db.models import BigId, UTCDateTime

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the columns and the follow-up table; give old tickets their step."""
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(
            sa.Column("step", sa.String(16), nullable=False, server_default="received")
        )
        batch.add_column(sa.Column("step_due_at", UTCDateTime))
        batch.add_column(sa.Column("queue", sa.String(64)))
    op.create_index("ix_tickets_step_due", "tickets", ["step", "step_due_at"])
    op.execute(
        "UPDATE tickets SET step = CASE status WHEN 'in_progress' THEN 'acknowledged' "
        "WHEN 'resolved' THEN 'proposed' WHEN 'confirmed' THEN 'confirmed' "
        "WHEN 'reopened' THEN 'reopened' ELSE 'received' END"
    )
    with op.batch_alter_table("ticket_history") as batch:
        batch.add_column(sa.Column("step", sa.String(16)))
        batch.add_column(sa.Column("promise_due_at", UTCDateTime))
    op.create_table(
        "ticket_followups",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("answered_at", UTCDateTime),
        sa.Column("satisfied", sa.Boolean),
        sa.Column("agent", sa.String(64)),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_ticket_followups_ticket", "ticket_followups", ["ticket_id"])


def downgrade() -> None:
    """Drop the follow-ups and the new columns."""
    op.drop_table("ticket_followups")
    with op.batch_alter_table("ticket_history") as batch:
        batch.drop_column("promise_due_at")
        batch.drop_column("step")
    op.drop_index("ix_tickets_step_due", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("queue")
        batch.drop_column("step_due_at")
        batch.drop_column("step")
