"""Users who log in: agents, supervisors and admins, with argon2 password hashes.

Strategy: passwords are hashed with argon2id (`argon2-cffi`, its recommended parameters)
and never stored, logged or returned. Hashing and verifying cost tens of milliseconds of
CPU on purpose, so they run in a worker thread (`asyncio.to_thread`): a login never stalls
the calls on the event loop, and no database connection is held while they run. A
verification that succeeds on an old-parameter hash rehashes it, so raising the cost later
needs no password reset. An unknown or deactivated user's password is verified too, against
a dummy hash made with the same parameters, so the time of a refusal does not tell an
attacker which user names exist.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import threading
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
MAX_DISPLAY_NAME = 200


class Role(StrEnum):
    """What a user may do (every API checks it)."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class UserError(ValueError):
    """A user cannot be created or changed as asked."""


class UserNotFound(UserError, LookupError):
    """No user has the name asked for (a `UserError`, so one handler catches both)."""


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user without their password hash."""

    id: int
    username: str
    role: Role
    display_name: str
    active: bool


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise UserError(f"unknown role {role!r} (one of: {known})") from None


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")


def _check_display_name(display_name: str) -> None:
    if len(display_name) > MAX_DISPLAY_NAME:
        raise UserError(f"a display name is at most {MAX_DISPLAY_NAME} characters")


class UserRepository:
    """Creates, lists and changes users, and checks their passwords."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], hasher: PasswordHasher | None = None
    ) -> None:
        """`hasher` defaults to argon2id with the library's recommended parameters."""
        self._sessions = sessions
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None
        self._dummy_lock = threading.Lock()

    async def add(
        self, username: str, password: str, role: Role | str, *, display_name: str = ""
    ) -> UserInfo:
        """Create a user; `UserError` for a bad name, short password or taken name."""
        if USERNAME.fullmatch(username) is None:
            raise UserError("a username is 1-64 letters, digits, dots, dashes or underscores")
        _check_password(password)
        checked = _role(role)
        _check_display_name(display_name)
        row = User(
            username=username,
            password_hash=await asyncio.to_thread(self._hasher.hash, password),
            role=checked.value,
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
        async with self._sessions() as session:
            row = await session.scalar(select(User).where(User.username == username))
        if row is None or not row.active:
            # As slow as a wrong password of a real user: no user names by timing.
            await asyncio.to_thread(self._verify_dummy, password)
            return None
        stored = row.password_hash
        if not await asyncio.to_thread(self._verify, stored, password):
            return None
        if self._hasher.check_needs_rehash(stored):
            await self._rehash(row.id, stored, password)
        return _info(row)

    def _verify_dummy(self, password: str) -> bool:
        # The dummy hash is made on first use (in the worker thread) with this hasher's
        # parameters, so raising them raises the cost of the dummy too.
        with self._dummy_lock:
            if self._dummy is None:
                self._dummy = self._hasher.hash(secrets.token_urlsafe(32))
            dummy = self._dummy
        return self._verify(dummy, password)

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    async def _rehash(self, user_id: int, stored: str, password: str) -> None:
        fresh = await asyncio.to_thread(self._hasher.hash, password)
        async with self._sessions() as session, session.begin():
            row = await session.get(User, user_id, with_for_update=True)
            # Only if nobody changed the password while we hashed.
            if row is not None and row.password_hash == stored:
                row.password_hash = fresh

    async def get(self, username: str) -> UserInfo | None:
        """The user called `username`, if any."""
        async with self._sessions() as session:
            row = await session.scalar(select(User).where(User.username == username))
            return None if row is None else _info(row)

    async def update(
        self,
        username: str,
        *,
        role: Role | str | None = None,
        display_name: str | None = None,
        active: bool | None = None,
        password: str | None = None,
    ) -> UserInfo:
        """Change a user; None leaves a field as it is. The user as now stored.

        An empty `display_name` resets it to the username; a new `password` is hashed
        like one given to `add`. `UserNotFound` (a `UserError`) for an unknown user,
        `UserError` for an unknown role or a short password; nothing changes then.
        """
        checked = None if role is None else _role(role)
        if display_name is not None:
            _check_display_name(display_name)
        new_hash = None
        if password is not None:
            _check_password(password)
            new_hash = await asyncio.to_thread(self._hasher.hash, password)
        async with self._sessions() as session, session.begin():
            row = await session.scalar(
                select(User).where(User.username == username).with_for_update()
            )
            if row is None:
                raise UserNotFound(f"no user {username!r}")
            if checked is not None:
                row.role = checked.value
            if display_name is not None:
                row.display_name = display_name or row.username
            if active is not None:
                row.active = active
            if new_hash is not None:
                row.password_hash = new_hash
            return _info(row)

    # Kept last: inside the class body, the name `list` hides the builtin below it.
    async def list(self) -> list[UserInfo]:
        """Every user (active or not), ordered by username."""
        async with self._sessions() as session:
            rows = await session.scalars(select(User).order_by(User.username))
            return [_info(row) for row in rows]


def _info(row: User) -> UserInfo:
    return UserInfo(row.id, row.username, Role(row.role), row.display_name, row.active)
