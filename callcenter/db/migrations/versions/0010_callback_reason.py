"""Callbacks: why a request ended without reaching the customer (its window missed, its
attempts used up).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the column; a request that failed before it existed failed on its attempts."""
    with op.batch_alter_table("callbacks") as table:
        table.add_column(sa.Column("reason", sa.String(32)))
    op.execute("UPDATE callbacks SET reason = 'attempts used up' WHERE status = 'failed'")


def downgrade() -> None:
    with op.batch_alter_table("callbacks") as table:
        table.drop_column("reason")
