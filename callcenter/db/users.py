"""Users who log in: agents, supervisors and admins, with argon2 password hashes.

Strategy: passwords are hashed with argon2id (`argon2-cffi`, its recommended parameters)
and never stored, logged or returned. A verification that succeeds on an old-parameter
hash rehashes it, so raising the cost later needs no password reset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.models import User

USERNAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
MIN_PASSWORD = 8


class Role(StrEnum):
    """What a user may do (every API checks it)."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class UserError(ValueError):
    """A user cannot be created as asked."""


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user without their password hash."""

    id: int
    username: str
    role: Role
    display_name: str
    active: bool


class UserRepository:
    """Creates users and checks their passwords."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], hasher: PasswordHasher | None = None
    ) -> None:
        """`hasher` defaults to argon2id with the library's recommended parameters."""
        self._sessions = sessions
        self._hasher = hasher or PasswordHasher()

    async def add(
        self, username: str, password: str, role: Role | str, *, display_name: str = ""
    ) -> UserInfo:
        """Create a user; `UserError` for a bad name, short password or taken name."""
        if USERNAME.fullmatch(username) is None:
            raise UserError("a username is 1-64 letters, digits, dots, dashes or underscores")
        if len(password) < MIN_PASSWORD:
            raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
        try:
            role = Role(role)
        except ValueError:
            raise UserError(f"unknown role {role!r} (one of: agent, supervisor, admin)") from None
        row = User(
            username=username,
            password_hash=self._hasher.hash(password),
            role=role.value,
            display_name=display_name or username,
            active=True,
            created_at=datetime.now(UTC),
        )
        try:
            async with self._sessions() as session, session.begin():
                session.add(row)
        except IntegrityError:
            raise UserError(f"the username {username!r} is taken") from None
        return _info(row)

    async def authenticate(self, username: str, password: str) -> UserInfo | None:
        """The user, if `password` is theirs and they are active; else None."""
        async with self._sessions() as session, session.begin():
            row = await session.scalar(select(User).where(User.username == username))
            if row is None or not row.active:
                return None
            try:
                self._hasher.verify(row.password_hash, password)
            except (VerificationError, InvalidHashError):
                return None
            if self._hasher.check_needs_rehash(row.password_hash):
                row.password_hash = self._hasher.hash(password)
            return _info(row)

    async def get(self, username: str) -> UserInfo | None:
        """The user called `username`, if any."""
        async with self._sessions() as session:
            row = await session.scalar(select(User).where(User.username == username))
            return None if row is None else _info(row)


def _info(row: User) -> UserInfo:
    return UserInfo(row.id, row.username, Role(row.role), row.display_name, row.active)
