"""The relay between the nodes of a cluster (`callcenter.cluster.relay`): `cluster_messages`
holds what a standby asks the leader (an API request, a feed, a caller the IVR queued) and
the leader's answer; `cluster_nodes.fastagi` the FastAGI address each node advertises, so a
standby can send a queued caller on to the leader. Only a cluster (PostgreSQL) uses them.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the messages table and the nodes' FastAGI address."""
    op.create_table(
        "cluster_messages",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("key", sa.String(120), nullable=False, unique=True),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(64)),
        sa.Column("taken_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.SmallInteger()),
        sa.Column("answer", sa.Text()),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
    )
    # The leader looks only for messages nobody took: a partial index keeps that cheap
    # however many answered ones wait for the sweep.
    op.create_index(
        "cluster_messages_untaken",
        "cluster_messages",
        ["seq"],
        postgresql_where=sa.text("taken_by IS NULL"),
        sqlite_where=sa.text("taken_by IS NULL"),
    )
    op.create_index("cluster_messages_created", "cluster_messages", ["created_at"])
    op.add_column("cluster_nodes", sa.Column("fastagi", sa.String(255)))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("cluster_nodes") as table:
        table.drop_column("fastagi")
    op.drop_table("cluster_messages")
