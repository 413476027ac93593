"""Who is asking: login sessions, CSRF tokens and the brake on password guessing.

Strategy: a successful login creates a server-side session keyed by a random token (256
bits from `secrets`) sent as an HttpOnly, SameSite=Strict cookie (Secure when the web is
behind HTTPS); the cookie alone never authorises a change: every request that changes
something must also echo the session's CSRF token in `X-CSRF-Token`, which a page of
another origin cannot read. Sessions end on logout, on deactivation of the user, or after
the configured idle time. They live in this process's memory: a restart logs everyone out
(the desktops log in again), and several nodes would need a shared store (see
docs/ARCHITECTURE.md, "Scale beyond one machine"). Failed logins are counted per user name
and per client address in a sliding minute; past the limit the answer is 429 without even
checking the password.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from callcenter.db import Role

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

    @property
    def agent_id(self) -> str | None:
        """The ACD agent this user is, for agents (their user name)."""
        return self.username if self.role is Role.AGENT else None

    def sees_queue(self, queue: str) -> bool:
        """Whether the queue is in this user's scope."""
        return self.queues is None or queue in self.queues


class SessionStore:
    """Login sessions by token, expiring after an idle period."""

    def __init__(self, idle_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        """Sessions idle longer than `idle_s` are gone."""
        self._idle = idle_s
        self._clock = clock
        self._sessions: dict[str, Principal] = {}

    def create(self, principal: Principal) -> str:
        """Open a session; its token (the cookie's value)."""
        token = secrets.token_urlsafe(32)
        principal.last_seen = self._clock()
        self._sessions[token] = principal
        return token

    def get(self, token: str | None) -> Principal | None:
        """The session's user, refreshing its idle timer; None if unknown or expired."""
        if not token:
            return None
        principal = self._sessions.get(token)
        if principal is None:
            return None
        now = self._clock()
        if now - principal.last_seen > self._idle:
            del self._sessions[token]
            return None
        principal.last_seen = now
        return principal

    def end(self, token: str | None) -> None:
        """Log a session out."""
        if token:
            self._sessions.pop(token, None)

    def end_user(self, username: str) -> int:
        """End every session of a user (deactivated, role or password changed)."""
        gone = [t for t, p in self._sessions.items() if p.username == username]
        for token in gone:
            del self._sessions[token]
        return len(gone)

    def __len__(self) -> int:
        return len(self._sessions)


class LoginLimiter:
    """Counts failed logins per key over a sliding minute."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        """Allow `per_minute` failures per key before refusing."""
        self._limit = per_minute
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        window = self._failures.setdefault(key, deque())
        cutoff = self._clock() - 60.0
        while window and window[0] <= cutoff:
            window.popleft()
        return window

    def blocked(self, *keys: str) -> float | None:
        """Seconds until a login is allowed again for any of `keys`, or None if allowed."""
        waits = []
        for key in keys:
            window = self._recent(key)
            if len(window) >= self._limit:
                waits.append(window[0] + 60.0 - self._clock())
        return max(waits) if waits else None

    def failed(self, *keys: str) -> None:
        """Count one failure against each key."""
        now = self._clock()
        for key in keys:
            self._recent(key).append(now)
        if len(self._failures) > 100_000:
            # A flood of random names must not grow memory without bound.
            self._failures = {k: v for k, v in self._failures.items() if self._recent(k)}

    def succeeded(self, key: str) -> None:
        """Forget the failures of a key after a good login."""
        self._failures.pop(key, None)
