"""What the web API does with users: list them and change role, name, state or password."""

from __future__ import annotations

import asyncio
import threading

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db import Role, UserError, UserInfo, UserNotFound, UserRepository
from callcenter.db.models import User


class ThreadRecordingHasher(PasswordHasher):
    """Cheap argon2 parameters (fast tests) that note the thread of every hash/verify."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.threads: list[int] = []
        self.verified: list[str] = []
        """The hashes each password was verified against."""

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.threads.append(threading.get_ident())
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.threads.append(threading.get_ident())
        self.verified.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify(hash, password)


@pytest.fixture
def hasher() -> ThreadRecordingHasher:
    return ThreadRecordingHasher()


@pytest.fixture
def users(sessions: async_sessionmaker[AsyncSession], hasher: PasswordHasher) -> UserRepository:
    return UserRepository(sessions, hasher)


async def test_users_are_listed_by_username(users: UserRepository) -> None:
    assert await users.list() == []
    zoe = await users.add("zoe", "secret-pass", "agent", display_name="Zoe Z")
    amy = await users.add("amy", "secret-pass", Role.ADMIN)
    assert await users.list() == [amy, zoe]
    assert amy == UserInfo(amy.id, "amy", Role.ADMIN, "amy", True)


async def test_an_update_changes_only_what_is_given(users: UserRepository) -> None:
    await users.add("zoe", "secret-pass", "agent", display_name="Zoe Z")
    promoted = await users.update("zoe", role="supervisor")
    assert (promoted.role, promoted.display_name, promoted.active) == (
        Role.SUPERVISOR,
        "Zoe Z",
        True,
    )
    renamed = await users.update("zoe", display_name="Zoe Zimmer", role=Role.ADMIN)
    assert (renamed.role, renamed.display_name) == (Role.ADMIN, "Zoe Zimmer")
    assert (await users.update("zoe", display_name="")).display_name == "zoe"
    assert await users.get("zoe") == await users.update("zoe")


async def test_a_deactivated_user_cannot_log_in_until_reactivated(users: UserRepository) -> None:
    await users.add("zoe", "secret-pass", "agent")
    assert (await users.update("zoe", active=False)).active is False
    assert await users.authenticate("zoe", "secret-pass") is None
    await users.update("zoe", active=True)
    assert await users.authenticate("zoe", "secret-pass") is not None


async def test_a_new_password_replaces_the_old_one(users: UserRepository) -> None:
    await users.add("zoe", "secret-pass", "agent")
    await users.update("zoe", password="another-pass")
    assert await users.authenticate("zoe", "secret-pass") is None
    logged_in = await users.authenticate("zoe", "another-pass")
    assert logged_in is not None
    assert logged_in.username == "zoe"


async def test_refused_updates_say_why_and_change_nothing(users: UserRepository) -> None:
    zoe = await users.add("zoe", "secret-pass", "agent")
    with pytest.raises(UserNotFound, match="no user 'bob'"):
        await users.update("bob", active=False)
    with pytest.raises(
        UserError, match=r"unknown role 'boss' \(one of: agent, supervisor, admin\)"
    ):
        await users.update("zoe", role="boss", active=False)
    with pytest.raises(UserError, match="at least 8 characters"):
        await users.update("zoe", password="short", display_name="Changed")
    assert await users.get("zoe") == zoe
    assert await users.authenticate("zoe", "secret-pass") == zoe
    assert isinstance(UserNotFound("x"), LookupError)


async def test_hashing_and_verifying_run_off_the_event_loop(
    users: UserRepository, hasher: ThreadRecordingHasher
) -> None:
    loop_thread = threading.get_ident()
    await users.add("zoe", "secret-pass", "agent")
    await users.authenticate("zoe", "secret-pass")
    await users.authenticate("zoe", "wrong-pass")
    await users.update("zoe", password="another-pass")
    assert len(hasher.threads) == 4
    assert loop_thread not in hasher.threads
    # Logins in parallel all complete (no shared state in the worker threads).
    results = await asyncio.gather(*(users.authenticate("zoe", "another-pass") for _ in range(5)))
    assert all(r is not None for r in results)


async def test_an_old_parameter_hash_is_upgraded_on_login(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def stored_hash() -> str:
        async with sessions() as session:
            return (await session.scalars(select(User.password_hash))).one()

    weak_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    strong_hasher = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    await UserRepository(sessions, weak_hasher).add("zoe", "secret-pass", "agent")
    assert strong_hasher.check_needs_rehash(await stored_hash())
    assert await UserRepository(sessions, strong_hasher).authenticate("zoe", "secret-pass")
    assert not strong_hasher.check_needs_rehash(await stored_hash())
    assert await UserRepository(sessions, strong_hasher).authenticate("zoe", "secret-pass")


async def test_given_an_unknown_or_deactivated_user_then_a_refusal_costs_a_verification_too(
    users: UserRepository, hasher: ThreadRecordingHasher
) -> None:
    # A refusal that skipped the argon2 verification would answer in a few milliseconds
    # instead of the ~140 ms of a real user's, telling an attacker which names exist.
    await users.add("zoe", "secret-pass", "agent")
    await users.add("max", "secret-pass", "agent")
    await users.update("max", active=False)
    assert await users.authenticate("zoe", "wrong-pass") is None
    assert await users.authenticate("nobody", "wrong-pass") is None
    assert await users.authenticate("max", "secret-pass") is None
    assert await users.authenticate("nobody2", "wrong-pass") is None
    real, unknown, deactivated, unknown2 = hasher.verified
    # Each was a verification with the same argon2 parameters as the real user's hash.

    def params(encoded: str) -> str:
        return encoded.rsplit("$", 2)[0]  # $argon2id$v=19$m=8,t=1,p=1

    assert params(unknown) == params(deactivated) == params(unknown2) == params(real)
    assert not hasher.check_needs_rehash(unknown)
