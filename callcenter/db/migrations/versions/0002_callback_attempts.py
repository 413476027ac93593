"""Callback attempts: each try at calling a customer back, with its agent and result.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callcenter.db.models import BigId, UTCDateTime

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the attempts table (requests made before it keep their count, no history)."""
    op.create_table(
        "callback_attempts",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "callback_id", BigId, sa.ForeignKey("callbacks.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("agent", sa.String(64)),
        sa.Column("result", sa.String(32), nullable=False),
    )
    op.create_index("ix_callback_attempts_callback", "callback_attempts", ["callback_id"])


def downgrade() -> None:
    """Drop the attempts table."""
    op.drop_table("callback_attempts")
