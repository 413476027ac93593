"""The shipped migrations build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db import current_revision, head_revision, make_engine, upgrade
from callcenter.db.models import Base

TABLES = {
    "customers",
    "customer_phones",
    "interactions",
    "tickets",
    "ticket_history",
    "callbacks",
    "users",
    "call_events",
}


async def test_given_an_empty_database_when_upgraded_then_every_table_exists(
    db_url: str,
) -> None:
    engine = make_engine(db_url)
    try:
        assert await current_revision(engine) is None
        await upgrade(engine)
        await upgrade(engine)  # a second run is a no-op, as on every start
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert tables >= TABLES
    finally:
        await engine.dispose()


async def test_the_migrations_match_the_models(engine: AsyncEngine) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_a_sqlite_file_is_created_with_its_directory_and_in_wal_mode(tmp_path) -> None:
    path = tmp_path / "var" / "new.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
            keys = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
        assert path.exists()
        assert (mode, keys) == ("wal", 1)
    finally:
        await engine.dispose()
