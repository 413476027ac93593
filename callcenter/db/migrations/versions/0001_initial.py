"""The first schema: customers and phones, interactions, tickets, callbacks, users, events.

Revision ID: 0001
Revises: none
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callcenter.db.models import BigId, UTCDateTime

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# The event log is the source of history: neither backend may let a row change or vanish.
_SQLITE_GUARDS = [
    f"CREATE TRIGGER call_events_no_{verb} BEFORE {verb.upper()} ON call_events "
    f"BEGIN SELECT RAISE(ABORT, 'call_events is append-only'); END"
    for verb in ("update", "delete")
]
_PG_GUARDS = [
    "CREATE FUNCTION call_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'call_events is append-only'; END $$",
    "CREATE TRIGGER call_events_append_only BEFORE UPDATE OR DELETE ON call_events "
    "FOR EACH ROW EXECUTE FUNCTION call_events_append_only()",
]


def _id() -> sa.Column[int]:
    return sa.Column("id", BigId, primary_key=True)


def upgrade() -> None:
    """Create every table, index and the event log's append-only guard."""
    op.create_table(
        "customers",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("account", sa.String(64), nullable=False, unique=True),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("language", sa.String(16)),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "customer_phones",
        _id(),
        sa.Column(
            "customer_id",
            BigId,
            sa.ForeignKey("customers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.String(20), nullable=False, unique=True),
    )
    op.create_index("ix_customer_phones_customer", "customer_phones", ["customer_id"])
    op.create_table(
        "interactions",
        _id(),
        sa.Column("uniqueid", sa.String(64), nullable=False, unique=True),
        sa.Column("customer_id", BigId, sa.ForeignKey("customers.id", ondelete="SET NULL")),
        sa.Column("caller_number", sa.String(32)),
        sa.Column("dialled_number", sa.String(32)),
        sa.Column("ivr_path", sa.JSON, nullable=False),
        sa.Column("ivr_data", sa.JSON, nullable=False),
        sa.Column("queue", sa.String(64)),
        sa.Column("agent", sa.String(64)),
        sa.Column("arrived_at", UTCDateTime, nullable=False),
        *(
            sa.Column(f"{step}_at", UTCDateTime)
            for step in ("queued", "offered", "answered", "ended")
        ),
        sa.Column("outcome", sa.String(32)),
        sa.Column("disposition", sa.String(64)),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("survey_scores", sa.JSON, nullable=False),
    )
    op.create_index(
        "ix_interactions_customer_arrived", "interactions", ["customer_id", "arrived_at"]
    )
    op.create_index(
        "ix_interactions_caller_arrived", "interactions", ["caller_number", "arrived_at"]
    )
    op.create_table(
        "tickets",
        _id(),
        sa.Column(
            "customer_id", BigId, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("interaction_id", BigId, sa.ForeignKey("interactions.id", ondelete="SET NULL")),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(64)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_tickets_customer_status", "tickets", ["customer_id", "status"])
    op.create_table(
        "ticket_history",
        _id(),
        sa.Column(
            "ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64)),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_ticket_history_ticket", "ticket_history", ["ticket_id"])
    op.create_table(
        "callbacks",
        _id(),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("customer_id", BigId, sa.ForeignKey("customers.id", ondelete="SET NULL")),
        sa.Column("queue", sa.String(64)),
        sa.Column("window_start", UTCDateTime, nullable=False),
        sa.Column("window_end", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_attempt_at", UTCDateTime),
    )
    op.create_index("ix_callbacks_status_window", "callbacks", ["status", "window_start"])
    op.create_table(
        "users",
        _id(),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "call_events",
        _id(),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("call_id", sa.String(64)),
        sa.Column("queue", sa.String(64)),
        sa.Column("agent", sa.String(64)),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_call_events_at", "call_events", ["at"])
    op.create_index("ix_call_events_call", "call_events", ["call_id"])
    guards = _PG_GUARDS if op.get_bind().dialect.name == "postgresql" else _SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    """Drop everything this revision created."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER call_events_append_only ON call_events")
        op.execute("DROP FUNCTION call_events_append_only()")
    for table in (
        "call_events",
        "users",
        "callbacks",
        "ticket_history",
        "tickets",
        "interactions",
        "customer_phones",
        "customers",
    ):
        op.drop_table(table)
