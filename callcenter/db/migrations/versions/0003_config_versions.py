"""Configuration versions: the ACD section of the settings as data, one row per change.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callcenter.db.models import UTCDateTime

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the versions table (empty: the service's next start seeds version 1)."""
    op.create_table(
        "config_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("diff", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    """Drop the versions table (the settings file's `acd` section is used again)."""
    op.drop_table("config_versions")
