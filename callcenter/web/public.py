"""What keeps the public "call me back" endpoint from abuse, without third-party services.

Strategy: the form is a page of ours that asks for a *form token* when it loads: the time it
was issued and an HMAC-SHA256 of it (a key from the settings, or a random one per process).
A request must bring a token that is genuine (else the page was not ours), not older than
`form_max_age_s` and not younger than `min_fill_s` (a person takes a few seconds to type a
number; a script posting at once is refused). The form also holds a field no person sees
(the honeypot, `website`): a request that fills it is refused. Requests are counted per
client address (every request, refused ones too) and per number (every valid one) in
sliding windows; each counter keeps at most `max_keys` keys, so a flood of fresh addresses
cannot grow memory without bound (the oldest keys are forgotten first). The endpoint takes
only a JSON body of at most `max_body_bytes` (a cross-site HTML form cannot send JSON, and
no CORS header lets another site's script post it), described by a pydantic model that
forbids extra keys.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict, deque
from dataclasses import dataclass, field


class SlidingLimit:
    """At most `limit` hits per key in a sliding `window_s`; bounded to `max_keys` keys."""

    def __init__(self, *, max_keys: int = 50_000) -> None:
        """An empty counter; the limit and the window are given with each hit (settings
        may change while the service runs)."""
        self._max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def _window(self, key: str, now: float, window_s: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
            while len(self._hits) > self._max_keys:
                self._hits.popitem(last=False)
        else:
            self._hits.move_to_end(key)
        while hits and hits[0] <= now - window_s:
            hits.popleft()
        return hits

    def wait(self, key: str, now: float, *, limit: int, window_s: float) -> float | None:
        """Seconds until `key` may be counted again, or None when it may now."""
        hits = self._window(key, now, window_s)
        if len(hits) < limit:
            return None
        return max(1.0, hits[0] + window_s - now)

    def hit(self, key: str, now: float, *, limit: int, window_s: float) -> float | None:
        """Count a hit of `key` unless the limit is reached: None when counted, else the
        seconds until it would be."""
        wait = self.wait(key, now, limit=limit, window_s=window_s)
        if wait is None:
            self._hits[key].append(now)
        return wait

    def __len__(self) -> int:
        return len(self._hits)


class FormTokens:
    """Signed form tokens: `<issued, ms>.<HMAC-SHA256 of it, hex>`."""

    def __init__(self, key: bytes | None = None) -> None:
        """Sign with `key` (settings); a random key per process when None."""
        self._key = key or secrets.token_bytes(32)

    def _mac(self, issued: str) -> str:
        return hmac.new(self._key, issued.encode(), hashlib.sha256).hexdigest()

    def issue(self, now: float) -> str:
        """A token issued at `now` (epoch seconds)."""
        issued = str(round(now * 1000))
        return f"{issued}.{self._mac(issued)}"

    def age(self, token: str, now: float) -> float | None:
        """Seconds since `token` was issued, or None when it is not one of ours."""
        issued, _, mac = token.partition(".")
        if not issued.isdigit() or len(issued) > 15 or len(mac) != 64:
            return None
        if not hmac.compare_digest(mac, self._mac(issued)):
            return None
        return now - int(issued) / 1000


@dataclass(slots=True)
class PublicGuard:
    """The public endpoint's state in this process: counters and the token key."""

    tokens: FormTokens
    addresses: SlidingLimit = field(default_factory=SlidingLimit)
    numbers: SlidingLimit = field(default_factory=SlidingLimit)
