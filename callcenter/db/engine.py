"""The database engine: an embedded SQLite file by default, PostgreSQL by URL.

Strategy: one async engine per process, built from a URL. A SQLite file needs no setup:
its directory is created and every connection turns on WAL (readers never wait for the
writer), foreign keys (off by default in SQLite) and a busy timeout (the CLI may write
while the service runs). PostgreSQL gets a pre-ping so a restarted server costs one retry,
not an error. Sessions keep their objects readable after commit (`expire_on_commit=False`):
repositories hand plain records back, never live ORM rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

DEFAULT_URL = "sqlite+aiosqlite:///var/callcenter.db"
"""The embedded default: a SQLite file under `var/` in the working directory."""

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=5000",
    # Lookups read the file through the OS page cache, shared by every connection, instead
    # of each connection copying pages into SQLite's own small (2 MB) cache.
    "PRAGMA mmap_size=268435456",
)


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Turn on what every connection to the SQLite file needs (a `connect` listener)."""
    cursor = dbapi_connection.cursor()
    for pragma in _SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def make_engine(
    url: str = DEFAULT_URL, *, echo: bool = False, pool_size: int | None = None
) -> AsyncEngine:
    """An async engine for `url` (`sqlite+aiosqlite:///path` or `postgresql+asyncpg://...`).

    `pool_size` connections are kept open (SQLAlchemy's default, 5, when None), and as many
    again may be opened at a peak. Plain `sqlite:///` and `postgresql://` URLs are given
    their async drivers. A SQLite file's directory is created; an in-memory SQLite
    database is refused, because each connection would see a different empty database.
    """
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+aiosqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
        if parsed.database in (None, "", ":memory:"):
            raise ValueError("the database must be a SQLite file, not in memory")
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, echo=echo, hide_parameters=True, **_pool(pool_size))
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        return engine
    if parsed.drivername in ("postgresql", "postgresql+asyncpg", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
        return create_async_engine(
            parsed, echo=echo, pool_pre_ping=True, hide_parameters=True, **_pool(pool_size)
        )
    raise ValueError(
        f"unsupported database URL scheme {parsed.drivername!r}: use sqlite or postgresql"
    )


def _pool(size: int | None) -> dict[str, int]:
    return {} if size is None else {"pool_size": size, "max_overflow": size}


def make_sessions(engine: AsyncEngine, *, fence: object = None) -> async_sessionmaker[AsyncSession]:
    """The session factory every repository takes; with a `fence` (several nodes), the
    event-log entries its sessions write carry the fence's term (`events.AppendEvents`)."""
    info = {} if fence is None else {"fence": fence}
    return async_sessionmaker(engine, expire_on_commit=False, info=info)
