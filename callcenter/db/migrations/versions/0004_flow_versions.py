"""IVR flow versions: each uploaded flow text, one row per version of a flow.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callcenter.db.models import UTCDateTime

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the flow versions table (empty: the service's next start seeds version 1 of
    each flow from the files of `ivr.flows_dir`)."""
    op.create_table(
        "flow_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("flow", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("diff", sa.Text, nullable=False),
        sa.UniqueConstraint("flow", "version", name="uq_flow_versions_flow_version"),
    )


def downgrade() -> None:
    """Drop the flow versions table (the files of `ivr.flows_dir` are run again)."""
    op.drop_table("flow_versions")
