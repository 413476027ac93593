"""What lets a node act: the term it leads in, and a lease it must keep renewing.

Strategy: a node writes to the event log and acts on Asterisk only while its `Fence` says
so. A single node (no cluster) always may: its fence has no term and never expires. A
leader's fence carries its term (every event-log entry is written with it, and PostgreSQL
refuses an entry of a term that is over, see migration 0012) and a lease: each heartbeat
the lock connection answers extends it to `lease_s` after the moment the heartbeat was
*sent*, less a margin. PostgreSQL ends a silent lock session `lease_s` after the last
statement it *finished*, which is later: so a leader that stalls (SIGSTOP, a frozen VM,
a cut cable) sees its own lease end before any other node can take the lock, and stops
acting by its clock alone, without asking the database it may no longer reach. Once lost,
a fence stays lost: the node steps down and starts over as a standby.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)

Clock = Callable[[], float]


class Fence:
    """The fencing token of this process (one per `Service`)."""

    def __init__(self, *, clock: Clock = time.monotonic, margin_s: float = 0.25) -> None:
        """A fence that lets a single node act (no term, no expiry) until `lead` is called."""
        self._clock = clock
        self._margin = margin_s
        self._until = math.inf
        self._term: int | None = None
        self._lease_s = 0.0
        self.lost: str | None = None
        """Why this node may no longer act (None while it may)."""
        self._on_lost: list[Callable[[str], None]] = []

    @property
    def term(self) -> int | None:
        """The term this node leads in (None: a single node, nothing to hold writes to)."""
        return self._term

    def standby(self) -> None:
        """A cluster node that does not lead (yet): it may not act."""
        self._term = None
        self._until = -math.inf

    def lead(self, term: int, renewed_at: float, lease_s: float) -> None:
        """This node took the lock in `term`; its lease runs from `renewed_at`."""
        self._term = term
        self.lost = None
        self._lease_s = lease_s
        # Set, not extended: a fence that let a single node act (no expiry) leads now.
        self._until = renewed_at + lease_s - self._margin

    def renew(self, sent_at: float) -> None:
        """A heartbeat sent at `sent_at` (this fence's clock) was answered."""
        if self.lost is None:
            self._until = max(self._until, sent_at + self._lease_s - self._margin)

    def expired(self) -> bool:
        """The lease ran out (the node stalled or the database stopped answering)."""
        return self._clock() >= self._until

    def may_act(self) -> bool:
        """Whether this node may act on Asterisk and write to the event log now."""
        return self.lost is None and not self.expired()

    def lose(self, reason: str) -> None:
        """This node no longer leads (`reason` says why); tells the listeners once."""
        if self.lost is not None:
            return
        self.lost = reason
        self._until = -math.inf
        log.error("cluster.fenced", term=self._term, reason=reason)
        for listener in list(self._on_lost):
            try:
                listener(reason)
            except Exception:
                log.exception("cluster.fence_listener_failed")

    def on_lost(self, listener: Callable[[str], None]) -> None:
        """Call `listener(reason)` when this node loses the lead."""
        self._on_lost.append(listener)

    @property
    def expires_at(self) -> float:
        """When the lease ends, on this fence's clock (inf: a single node; -inf: lost)."""
        return self._until

    def remaining(self) -> float:
        """Seconds of lease left (inf for a single node, 0 once expired)."""
        return max(0.0, self._until - self._clock())
