"""The voicemail inbox (issue 17): one row per message, its state, who handles it.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callcenter.db.models import BigId, UTCDateTime

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the inbox (messages recorded before it are not listed: no row names them)."""
    op.create_table(
        "voicemails",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("call_id", sa.String(64), nullable=False, unique=True),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("caller_number", sa.String(32)),
        sa.Column("customer_id", BigId, sa.ForeignKey("customers.id", ondelete="SET NULL")),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("agent", sa.String(64)),
        sa.Column("taken_at", UTCDateTime),
        sa.Column("closed_at", UTCDateTime),
        sa.Column("disposition", sa.String(64)),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("callback_id", BigId),
    )
    op.create_index("ix_voicemails_queue_status", "voicemails", ["queue", "status", "recorded_at"])


def downgrade() -> None:
    """Drop the inbox."""
    op.drop_table("voicemails")
