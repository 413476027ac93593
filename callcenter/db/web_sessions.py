"""Login sessions of the web, kept in the database (`web_sessions`).

Strategy: the web's `SessionStore` keeps the sessions it serves in memory and writes each
one through to this table, so a restarted service (or, later, another node on the same
database) knows a session it did not open: nobody is logged out by a restart. A row is
keyed by a SHA-256 hash of the session's token, never the token itself. The idle time is
counted from `last_seen_at`, which the store refreshes at most once a minute per session
(a write per request would cost more than the whole request); an expired or ended session
is deleted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.models import WebSession


def token_hash(token: str) -> str:
    """The key a session's token is stored under."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredSession:
    """A session as the table holds it."""

    username: str
    role: str
    display_name: str
    csrf_token: str
    last_seen: float
    """Epoch seconds."""


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class WebSessionRows:
    """Reads and writes the `web_sessions` table."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Works through `sessions`."""
        self._sessions = sessions

    async def add(
        self,
        token: str,
        *,
        username: str,
        role: str,
        display_name: str,
        csrf_token: str,
        now: float,
    ) -> None:
        """Store a new session."""
        async with self._sessions() as session, session.begin():
            session.add(
                WebSession(
                    token_hash=token_hash(token),
                    username=username,
                    role=role,
                    display_name=display_name,
                    csrf_token=csrf_token,
                    created_at=_when(now),
                    last_seen_at=_when(now),
                )
            )

    async def load(self, token: str) -> StoredSession | None:
        """The session of `token`, if stored."""
        async with self._sessions() as session:
            row = await session.get(WebSession, token_hash(token))
            if row is None:
                return None
            return StoredSession(
                row.username,
                row.role,
                row.display_name,
                row.csrf_token,
                row.last_seen_at.timestamp(),
            )

    async def stored(self, hashes: list[str]) -> set[str]:
        """Which of these token hashes (`token_hash`) are stored: the sessions that did
        not end (a cluster's leader checks the standbys' relayed screens with it)."""
        async with self._sessions() as session:
            query = select(WebSession.token_hash).where(WebSession.token_hash.in_(hashes))
            return set((await session.scalars(query)).all())

    async def touch(self, token: str, now: float) -> None:
        """The session was used at `now`."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(WebSession)
                .where(WebSession.token_hash == token_hash(token))
                .values(last_seen_at=_when(now))
            )

    async def remove(self, token: str) -> None:
        """Forget one session (logged out, expired)."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                delete(WebSession).where(WebSession.token_hash == token_hash(token))
            )

    async def remove_user(self, username: str, *, keep: str | None = None) -> int:
        """Forget every session of `username` but `keep`'s; how many."""
        query = delete(WebSession).where(WebSession.username == username)
        if keep is not None:
            query = query.where(WebSession.token_hash != token_hash(keep))
        async with self._sessions() as session, session.begin():
            result = await session.execute(query)
            return int(getattr(result, "rowcount", 0) or 0)

    async def sweep(self, idle_before: float) -> int:
        """Forget the sessions unused since `idle_before` (epoch seconds); how many."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(WebSession).where(WebSession.last_seen_at < _when(idle_before))
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def count(self) -> int:
        """How many sessions are stored."""
        async with self._sessions() as session:
            return len((await session.scalars(select(WebSession.token_hash))).all())
