"""Follow-up calls: who makes them (an agent, or the automated IVR call), the calls made,
the one being dialled (so a restart does not dial it twice), the last call's result and
when the follow-up was given up on (unreached, left to an agent).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callcenter.db.models import UTCDateTime

revision = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the columns; the follow-ups stored before them were agent follow-ups."""
    with op.batch_alter_table("ticket_followups") as table:
        table.add_column(sa.Column("mode", sa.String(16), nullable=False, server_default="agent"))
        table.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("dialling_since", UTCDateTime()))
        table.add_column(sa.Column("last_result", sa.String(32)))
        table.add_column(sa.Column("unreached_at", UTCDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("ticket_followups") as table:
        table.drop_column("unreached_at")
        table.drop_column("last_result")
        table.drop_column("dialling_since")
        table.drop_column("attempts")
        table.drop_column("mode")
