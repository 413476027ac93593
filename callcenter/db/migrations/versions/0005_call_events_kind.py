"""An index of the event log by kind and time.

Reports find the configuration in force at a period's start from the newest `config`
record before it (`ReportRepository.rules_at`): without the index that is a scan of the
whole log, which grows by some ten records per call.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_call_events_kind_at", "call_events", ["kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_call_events_kind_at", table_name="call_events")
