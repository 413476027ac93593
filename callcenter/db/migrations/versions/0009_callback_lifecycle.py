"""Callbacks: the name the customer gave, where the request came from, whether it waits for
its window (the schedule puts it in line then), and cancelled as a status.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the columns; a request stored for a later window and never tried is scheduled."""
    with op.batch_alter_table("callbacks") as table:
        table.add_column(sa.Column("name", sa.String(120)))
        table.add_column(sa.Column("channel", sa.String(16), nullable=False, server_default="ivr"))
        table.add_column(
            sa.Column("scheduled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE callbacks SET scheduled = true WHERE status = 'pending' AND attempts = 0 "
        "AND window_start > created_at"
    )


def downgrade() -> None:
    with op.batch_alter_table("callbacks") as table:
        table.drop_column("scheduled")
        table.drop_column("channel")
        table.drop_column("name")
