"""The call path's reads: a few indexed lookups per call, run the cheapest way per database.

Strategy: the IVR, the queue and the screen pop read a customer, their last calls and
their open tickets, every call, each a prebuilt Core statement with bound parameters (the
ORM's per-query work is most of a lookup's cost and they need none of it). How a
statement runs depends on the database:

* PostgreSQL: on an async engine of their own (asyncpg works inside the event loop),
  in autocommit and without a ping on checkout: one round trip per lookup.
* The SQLite file: on a synchronous connection, inside the event loop. aiosqlite runs each
  step of a query (cursor, execute, fetch, close, rollback) as a round trip to a thread of
  its own, and each round trip costs the loop more than the whole lookup does when SQLite
  answers from the page cache: measured 1.0 ms of loop CPU per indexed lookup through
  aiosqlite against 0.2 ms run inline (`benchmarks/e2e_load.py` shows the effect on the
  whole call). In WAL mode a reader never waits for the writer, and a short busy timeout
  bounds the rare wait for a checkpoint; the connections are read-only.

Everything else (the web's searches and edits, the batched writer) keeps the async engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Engine, Executable, Row, create_engine, event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from callcenter.db.engine import make_sessions, sqlite_pragmas

_POSTGRES_READ_CONNECTIONS = 5
"""Kept open for the lookups (as many again at a peak): a lookup holds one for a round
trip, so a few serve 100 calls a second."""

_INLINE_BUSY_TIMEOUT_MS = 200
"""How long an inline read may wait for a lock (a checkpoint) before it fails loudly."""


class Reads(Protocol):
    """Runs one read-only statement; its rows."""

    async def rows(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
        """All rows of `statement` with `params` bound."""
        ...

    async def close(self) -> None:
        """Release the connections."""
        ...


class SessionReads:
    """Reads through async sessions: PostgreSQL, and the default of every repository."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, owns: AsyncEngine | None = None
    ) -> None:
        """Each read takes a session of `sessions`; `owns` is disposed by `close`."""
        self._sessions = sessions
        self._owned = owns

    async def rows(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
        """All rows, read in a session of their own."""
        async with self._sessions() as session:
            return (await session.execute(statement, params)).all()

    async def close(self) -> None:
        """Dispose the engine these reads own, if any (a caller's engine stays)."""
        if self._owned is not None:
            await self._owned.dispose()


class InlineSqliteReads:
    """Reads on synchronous read-only connections to a SQLite file, inside the event loop."""

    def __init__(self, engine: Engine) -> None:
        """`engine` is a synchronous engine on the file (see `make_reads`)."""
        self._engine = engine

    async def rows(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
        """All rows; the connection goes back to the pool (its read snapshot ended)."""
        with self._engine.connect() as conn:
            return conn.execute(statement, params).all()

    async def close(self) -> None:
        """Close the file's connections."""
        self._engine.dispose()


def _read_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.execute(f"PRAGMA busy_timeout={_INLINE_BUSY_TIMEOUT_MS}")
    cursor.close()


def make_reads(engine: AsyncEngine) -> Reads:
    """The cheapest way to run the call path's reads on `engine`'s database."""
    if engine.dialect.name != "sqlite":
        # Autocommit: no BEGIN and ROLLBACK around each lookup; no ping on checkout: a
        # connection the server dropped fails one lookup (reported), and the pool is
        # renewed. Two round trips of four or five, on a loop that is busy with calls.
        reads = create_async_engine(
            engine.url,
            isolation_level="AUTOCOMMIT",
            pool_size=_POSTGRES_READ_CONNECTIONS,
            max_overflow=_POSTGRES_READ_CONNECTIONS,
            hide_parameters=True,
        )
        return SessionReads(make_sessions(reads), owns=reads)
    inline = create_engine(engine.url.set(drivername="sqlite"), hide_parameters=True)
    event.listen(inline, "connect", sqlite_pragmas)
    event.listen(inline, "connect", _read_only)
    return InlineSqliteReads(inline)
