"""Several nodes on one PostgreSQL: the leader's term on every event-log entry, and the
term in force, which a PostgreSQL trigger holds every new entry to (fencing).

`cluster_state` has one row: the term (raised by each node that takes the lead), the
leader's name and since when it leads; `cluster_nodes` one row per node: its role, the
term it last saw and when it was last heard from (the leader's heartbeat, a standby's
poll). Heartbeats go to their own table so they never wait on the fence's row locks.
An entry written with a term (`call_events.term`) other than the one in force is refused
on PostgreSQL: a leader that lost its lock (paused, cut off) and comes back cannot add to
the log. The trigger reads
the row FOR SHARE, so a new leader's raise of the term waits for a write in flight, and
every write that got in is in the log the new leader then replays. A single node writes
no term (NULL): nothing to hold it to. SQLite is single-node only: no trigger there.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callcenter.db.models import UTCDateTime

revision = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

FENCED_SQLSTATE = "CC001"
"""The error PostgreSQL raises for an entry of a term that is over (callcenter.cluster)."""

_PG_FENCE = [
    "CREATE FUNCTION call_events_fence() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF NEW.term IS NULL THEN RETURN NEW; END IF; "
    "PERFORM 1 FROM cluster_state WHERE id = 1 AND term = NEW.term FOR SHARE; "
    "IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = '" + FENCED_SQLSTATE + "', "
    "MESSAGE = format('fenced: an event of term %s, the cluster has moved on', NEW.term); "
    "END IF; "
    "RETURN NEW; "
    "END $$",
    "CREATE TRIGGER call_events_fence BEFORE INSERT ON call_events "
    "FOR EACH ROW EXECUTE FUNCTION call_events_fence()",
]


def upgrade() -> None:
    """Add the term column, the state and node tables and (on PostgreSQL) the fence."""
    # A plain ADD COLUMN: a batch (copy) of call_events would drop its SQLite guards.
    op.add_column("call_events", sa.Column("term", sa.BigInteger()))
    state = op.create_table(
        "cluster_state",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("term", sa.BigInteger(), nullable=False),
        sa.Column("leader", sa.String(64)),
        sa.Column("since", UTCDateTime),
        sa.CheckConstraint("id = 1", name="cluster_state_one_row"),
    )
    op.bulk_insert(state, [{"id": 1, "term": 0}])
    op.create_table(
        "cluster_nodes",
        sa.Column("node", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("term", sa.BigInteger(), nullable=False),
        sa.Column("seen_at", UTCDateTime, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in _PG_FENCE:
            op.execute(statement)


def downgrade() -> None:
    """Drop the fence, the tables and the column."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER call_events_fence ON call_events")
        op.execute("DROP FUNCTION call_events_fence()")
    op.drop_table("cluster_nodes")
    op.drop_table("cluster_state")
    with op.batch_alter_table("call_events") as table:
        table.drop_column("term")
