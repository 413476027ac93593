"""The event log's lifecycle entries for the callbacks, voicemails and tickets stored before
the repositories wrote them (issue 17): the reports fold those entries, so without them
the days before the upgrade would report nothing (`callcenter.db.lifecycle_backfill`).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import op

from callcenter.db.lifecycle_backfill import backfill

revision = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Append the entries (nothing for what has them already)."""
    backfill(op.get_bind(), datetime.now(UTC))


def downgrade() -> None:
    """Nothing: the event log is append-only (its triggers refuse deletes)."""
