"""Alembic's environment, run programmatically by `callcenter.db.migrate.upgrade`.

Strategy: no alembic.ini and no URL here; the caller hands over an open synchronous
connection (the async engine's `run_sync`) in `config.attributes["connection"]`, so the
service, the CLI and the tests migrate through the very engine they then use.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from callcenter.db.models import Base

connection: Connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
