"""Who is asking: login sessions, CSRF tokens and the brake on password guessing.

Strategy: a successful login creates a server-side session keyed by a random token (256
bits from `secrets`) sent as an HttpOnly, SameSite=Strict cookie (Secure when the web is
behind HTTPS); the cookie alone never authorises a change: every request that changes
something must also echo the session's CSRF token in `X-CSRF-Token`, which a page of
another origin cannot read. Sessions end on logout, on a new login of the same user, on a
change of the user's password, role or activity, or after the configured idle time; each
end is told to the listeners (`SessionStore.on_end`), which close that session's
websockets at once. Sessions are written through to the database (`web_sessions`, the
token only as a hash), so a restarted service, or another node on the same database,
knows them: a restart logs nobody out. A session held in memory is read back every
`RECHECK_S`, so one ended elsewhere ends here within seconds.

Failed logins are counted per user name *and* client address: a guesser slows down only
themselves (a growing delay, doubling per failure past the free ones, up to a cap), never
the real user at another address nor colleagues behind the same address. Only a flood from
one address (many times the per-user allowance, any names) refuses that address for the
rest of the minute, so that nobody can keep the password hashing busy. The client address
is the peer's, unless the peer is a configured proxy (`web.trusted_proxies`): then it is
the last address in `X-Forwarded-For` that is not itself a trusted proxy.
"""

from __future__ import annotations

import ipaddress
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from callcenter.db import Role
from callcenter.db.web_sessions import WebSessionRows

COOKIE = "cc_session"


@dataclass(slots=True)
class Principal:
    """A logged-in user as every route sees them."""

    username: str
    role: Role
    display_name: str
    queues: frozenset[str] | None
    """Queues this user may see; None means all (admins, unscoped supervisors)."""
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    last_seen: float = 0.0
    checked_at: float = 0.0
    """When the session was last read from (or written to) the database."""
    stored_at: float = 0.0
    """The last use written to the database."""

    @property
    def agent_id(self) -> str | None:
        """The ACD agent this user is, for agents (their user name)."""
        return self.username if self.role is Role.AGENT else None

    def sees_queue(self, queue: str) -> bool:
        """Whether the queue is in this user's scope."""
        return self.queues is None or queue in self.queues


SessionEnded = Callable[[str, Principal, str], None]
"""Told when a session ends: (its token, its user, why, in words for the user)."""

Scope = Callable[[str, str], frozenset[str] | None]
"""The queues a user (name, role) may see; None for all (`WebContext.queues_for`)."""

TOUCH_S = 60.0
"""A session's use is written to the database at most this often."""
RECHECK_S = 10.0
"""A session held in memory is read again from the database after this long, so that one
ended elsewhere (another node, a revoked user) ends here too."""
SWEEP_S = 3600.0
"""Sessions nobody came back to are deleted this often (at the next login)."""


class SessionStore:
    """Login sessions by token, expiring after an idle period.

    With `rows` (`callcenter.db.web_sessions.WebSessionRows`) every session is written
    through to the database and a token this process does not hold is looked up there:
    a restart logs nobody out. Without, sessions live in memory only (tests, tools).
    """

    def __init__(
        self,
        idle_s: float,
        *,
        clock: Callable[[], float] = time.time,
        rows: WebSessionRows | None = None,
    ) -> None:
        """Sessions idle longer than `idle_s` are gone; `clock` reads epoch seconds."""
        self._idle = idle_s
        self._clock = clock
        self._rows = rows
        self._sessions: dict[str, Principal] = {}
        self._listeners: list[SessionEnded] = []
        self._swept = clock()
        self.scope: Scope = lambda _username, _role: None
        """How a session read back from the database gets its user's queues (set by the
        web context: the configuration in force decides)."""

    def on_end(self, listener: SessionEnded) -> None:
        """Call `listener` whenever a session ends (logout, revocation, expiry)."""
        self._listeners.append(listener)

    def _ended(self, token: str, principal: Principal, reason: str) -> None:
        for listener in self._listeners:
            listener(token, principal, reason)

    async def create(self, principal: Principal) -> str:
        """Open a session; its token (the cookie's value)."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        if now - self._swept >= SWEEP_S:
            self._swept = now
            await self.sweep()
        principal.last_seen = principal.checked_at = principal.stored_at = now
        if self._rows is not None:
            await self._rows.add(
                token,
                username=principal.username,
                role=principal.role.value,
                display_name=principal.display_name,
                csrf_token=principal.csrf_token,
                now=now,
            )
        self._sessions[token] = principal
        return token

    async def get(self, token: str | None) -> Principal | None:
        """The session's user, refreshing its idle timer; None if unknown, ended or
        expired (here or, with the database, anywhere)."""
        if not token:
            return None
        now = self._clock()
        principal = self._sessions.get(token)
        if principal is not None and (self._rows is None or now - principal.checked_at < RECHECK_S):
            if now - principal.last_seen > self._idle:
                await self._forget(token, principal, "the session expired")
                return None
            principal.last_seen = now
            await self._touch(token, principal, now)
            return principal
        if self._rows is None:
            return None
        stored = await self._rows.load(token)
        if stored is None:
            if principal is not None:  # ended on another node, or its user was changed
                del self._sessions[token]
                self._ended(token, principal, "the session was ended")
            return None
        last_seen = max(stored.last_seen, principal.last_seen if principal else 0.0)
        if now - last_seen > self._idle:
            await self._forget(token, principal, "the session expired")
            return None
        if principal is None:
            principal = Principal(
                username=stored.username,
                role=Role(stored.role),
                display_name=stored.display_name,
                queues=self.scope(stored.username, stored.role),
                csrf_token=stored.csrf_token,
            )
            principal.stored_at = stored.last_seen
            self._sessions[token] = principal
        principal.last_seen = now
        principal.checked_at = now
        await self._touch(token, principal, now)
        return principal

    async def _touch(self, token: str, principal: Principal, now: float) -> None:
        if self._rows is not None and now - principal.stored_at >= TOUCH_S:
            principal.stored_at = now
            await self._rows.touch(token, now)

    async def _forget(self, token: str, principal: Principal | None, reason: str) -> None:
        self._sessions.pop(token, None)
        if self._rows is not None:
            await self._rows.remove(token)
        if principal is not None:
            self._ended(token, principal, reason)

    def principals(self) -> list[Principal]:
        """The users of the sessions held here (expired ones not yet swept included)."""
        return list(self._sessions.values())

    async def end(self, token: str | None, reason: str = "logged out") -> None:
        """Log a session out."""
        if not token:
            return
        principal = self._sessions.pop(token, None)
        if self._rows is not None:
            await self._rows.remove(token)
        if principal is not None:
            self._ended(token, principal, reason)

    async def end_user(self, username: str, reason: str, *, keep: str | None = None) -> int:
        """End every session of a user but `keep` (deactivated, role or password changed,
        logged in again), also those only the database holds; how many ended."""
        stored = 0
        if self._rows is not None:
            stored = await self._rows.remove_user(username, keep=keep)
        # Told after the database: the listeners close sockets, which must not wait on it.
        gone = [t for t, p in self._sessions.items() if p.username == username and t != keep]
        for token in gone:
            self._ended(token, self._sessions.pop(token), reason)
        return max(len(gone), stored)

    async def sweep(self) -> int:
        """Forget the sessions idle too long (the database's too); how many were here."""
        now = self._clock()
        stale = [(t, p) for t, p in self._sessions.items() if now - p.last_seen > self._idle]
        for token, principal in stale:
            del self._sessions[token]
            self._ended(token, principal, "the session expired")
        if self._rows is not None:
            await self._rows.sweep(now - self._idle)
        return len(stale)

    def __len__(self) -> int:
        return len(self._sessions)


@dataclass(slots=True)
class _Failures:
    count: int
    last: float
    until: float


class LoginLimiter:
    """A growing delay after failed logins, per user name and client address.

    The first `free - 1` failures of a (user, address) key cost nothing; the `free`th
    refuses that key for 2 s, and each one after it for twice as long as the one before
    (4 s, 8 s ... at most `max_delay_s`). A key is forgotten after a good login or after
    `forget_s` without a failure. Separately, an address with `flood_per_minute` failures
    in a sliding minute (any names) is refused until the oldest is a minute old.
    """

    def __init__(
        self,
        free: int,
        *,
        max_delay_s: float = 300.0,
        forget_s: float = 900.0,
        flood_per_minute: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`flood_per_minute` defaults to 20 times `free`."""
        self._free = free
        self._max_delay = max_delay_s
        self._forget = forget_s
        self._flood = flood_per_minute if flood_per_minute is not None else 20 * free
        self._clock = clock
        self._keys: dict[tuple[str, str], _Failures] = {}
        self._addresses: dict[str, deque[float]] = {}

    def _recent(self, address: str) -> deque[float]:
        window = self._addresses.setdefault(address, deque())
        cutoff = self._clock() - 60.0
        while window and window[0] <= cutoff:
            window.popleft()
        return window

    def blocked(self, username: str, address: str) -> float | None:
        """Seconds until `username` may try again from `address`, or None if now."""
        now = self._clock()
        waits = []
        entry = self._keys.get((username.lower(), address))
        if entry is not None and entry.until > now:
            waits.append(entry.until - now)
        window = self._recent(address)
        if len(window) >= self._flood:
            waits.append(window[0] + 60.0 - now)
        return max(waits) if waits else None

    def failed(self, username: str, address: str) -> float:
        """Count a failure; the delay it imposes on this key (0 while failures are free)."""
        now = self._clock()
        key = (username.lower(), address)
        entry = self._keys.get(key)
        if entry is None or now - entry.last > self._forget:
            entry = self._keys[key] = _Failures(0, now, now)
        entry.count += 1
        entry.last = now
        delay = 0.0
        if entry.count >= self._free:
            delay = min(self._max_delay, 2.0 ** (entry.count - self._free + 1))
        entry.until = now + delay
        self._recent(address).append(now)
        if len(self._keys) + len(self._addresses) > 100_000:
            self._prune(now)
        return delay

    def succeeded(self, username: str, address: str) -> None:
        """Forget the failures of this user at this address after a good login."""
        self._keys.pop((username.lower(), address), None)

    def _prune(self, now: float) -> None:
        # A flood of random names must not grow memory without bound.
        self._keys = {
            k: v for k, v in self._keys.items() if now - v.last <= self._forget or v.until > now
        }
        self._addresses = {a: w for a, w in self._addresses.items() if self._recent(a)}


def client_address(peer: str | None, forwarded_for: str | None, trusted: Iterable[str]) -> str:
    """The address a request comes from: the peer's, unless the peer is a trusted proxy.

    Behind trusted proxies the client is the right-most `X-Forwarded-For` entry that is not
    a trusted proxy itself (entries to its left could be made up by the client). `trusted`
    holds addresses or networks (`10.0.0.0/8`); none by default, so the header is ignored.
    """
    networks = [ipaddress.ip_network(t, strict=False) for t in trusted]
    address = peer or "unknown"
    if not networks or not _within(address, networks) or not forwarded_for:
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        if not hop:
            continue
        if not _within(hop, networks):
            return hop if _is_address(hop) else address
        address = hop
    return address


def _within(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
