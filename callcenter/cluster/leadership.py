"""Which node leads: a PostgreSQL advisory lock on a dedicated connection, and a term.

Strategy (docs: README "Several nodes"; no home-made consensus): every node of a cluster
keeps one connection of its own to the shared PostgreSQL and tries
`pg_try_advisory_lock(LOCK_KEY)` on it every `poll_s`. The node that gets the lock raises
the term in `cluster_state` (the UPDATE waits for an event-log write of the old term in
flight, see migration 0012) and leads; the lock is PostgreSQL's to give, and it frees it
the moment the holder's session ends:

* the leader's process dies (kill -9, a crash): the kernel closes its socket, PostgreSQL
  ends the session at once and the next poll of a standby gets the lock;
* the leader stalls or is cut off (SIGSTOP, a partition): its session goes silent and
  PostgreSQL ends it after `lease_s` (`idle_session_timeout`, set on that session); the
  leader's own `Fence` expired a little before that, so it stopped acting by then.

While leading, the node sends a heartbeat every `heartbeat_s` on the lock connection: one
statement that reads the term in force and records the node as heard from
(`cluster_nodes`). An answer renews the fence's lease; a different term, an error, or no
answer within the lease ends the lead (`hold` returns why) and the node steps down. A
standby records itself the same way each poll and reads who leads, in which term and how
long ago the leader was last heard from: what /readyz and the metrics show.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from enum import StrEnum

import asyncpg  # type: ignore[import-untyped]  # (no stubs; only this module uses it)
import structlog
from sqlalchemy.engine import make_url

from callcenter.app.settings import ClusterSettings, fastagi_address
from callcenter.cluster.fence import Clock, Fence

log = structlog.get_logger(__name__)

LOCK_KEY = 0x63635F6C656164
"""The advisory lock the leader holds ("cc_lead"): one per database, hence per cluster."""

MIN_SERVER_VERSION = 140000
"""`idle_session_timeout`, which ends a stalled leader's session, came with PostgreSQL 14."""

_LEAD = (
    "UPDATE cluster_state SET term = term + 1, leader = $1, since = now() "
    "WHERE id = 1 RETURNING term"
)
_HEARD = (
    "WITH s AS (SELECT term, leader FROM cluster_state WHERE id = 1) "
    "INSERT INTO cluster_nodes (node, role, term, seen_at, fastagi) "
    "SELECT $1, $2, s.term, now(), $3 FROM s "
    "ON CONFLICT (node) DO UPDATE SET role = EXCLUDED.role, term = EXCLUDED.term, "
    "seen_at = EXCLUDED.seen_at, fastagi = EXCLUDED.fastagi "
    "RETURNING term, (SELECT leader FROM s), "
    "(SELECT EXTRACT(EPOCH FROM now() - n.seen_at) FROM cluster_nodes n, s "
    " WHERE n.node = s.leader), "
    "(SELECT n.fastagi FROM cluster_nodes n, s WHERE n.node = s.leader)"
)
"""Record this node as heard from (with its FastAGI address); answers the term in force,
its leader, how many seconds ago that leader was heard from, and the leader's FastAGI
address (both as of before this statement)."""


class Role(StrEnum):
    """What a node of the cluster is doing."""

    STANDBY = "standby"
    LEADER = "leader"
    FENCED = "fenced"
    """Lost the lead: acts no more, steps down and starts over as a standby."""


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    """What an operator sees of this node (/readyz, /metrics)."""

    node: str
    role: Role
    term: int
    """The term in force as this node last saw it (its own while it leads)."""
    leader: str | None
    """The leading node as last seen (None before any node led)."""
    leader_heartbeat_age_s: float | None
    """Seconds since the leader was last heard from, as this node last read it."""
    leading_since: float | None
    """When this node took the lead (epoch seconds), None unless it leads."""
    leader_fastagi: str | None = None
    """The leader's FastAGI address as it advertises it (`cluster.fastagi_address`),
    checked again here (it goes into the dialplan); None when it gives none or a bad one."""


def standby_message(status: ClusterStatus) -> str:
    """What a node that does not lead answers (the web's 503, /readyz)."""
    who = f"this node ({status.node}) is {'fenced' if status.role is Role.FENCED else 'a standby'}"
    if status.leader is None or status.leader == status.node:
        return f"{who}: no node leads yet; try again in a moment"
    return f"{who}: node {status.leader} leads (term {status.term}); try again there"


class Leadership:
    """Campaigns for the lock, holds it with heartbeats, and reports this node's status."""

    def __init__(
        self,
        url: str,
        settings: ClusterSettings,
        fence: Fence,
        *,
        clock: Clock = time.monotonic,
        connect_timeout_s: float = 5.0,
        fastagi: str | None = None,
    ) -> None:
        """Lead the database at the SQLAlchemy `url` (postgresql+asyncpg://...) as
        `settings.node`; `fence` is told when this node leads and when it stops. `fastagi`:
        this node's FastAGI address, recorded for the others (`advertised_fastagi`)."""
        self.fastagi = fastagi
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.settings = settings
        self.fence = fence
        self._clock = clock
        self._connect_timeout = connect_timeout_s
        self._conn: asyncpg.Connection | None = None
        self.role = Role.STANDBY
        self.term = 0
        self._leader: str | None = None
        self._age: float | None = None
        self._since: float | None = None
        self._leader_fastagi: str | None = None
        self._seen_fastagi: tuple[str | None, str | None] = (None, None)
        fence.standby()

    def status(self) -> ClusterStatus:
        """This node as an operator sees it."""
        return ClusterStatus(
            self.settings.node,
            self.role,
            self.term,
            self._leader,
            0.0 if self.role is Role.LEADER else self._age,
            self._since,
            self.fastagi if self.role is Role.LEADER else self._leader_fastagi,
        )

    async def campaign(self) -> int:
        """Wait until this node holds the lock; the new term it leads in."""
        poll = self.settings.poll_s
        while True:
            try:
                conn = await self._connection()
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):
                    return await self._take_lead(conn)
                await self._heard(conn, Role.STANDBY)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning(
                    "cluster.campaign_failed",
                    node=self.settings.node,
                    error=f"{type(exc).__name__}: {exc}",
                    retry_in_s=poll,
                )
                await self._drop()
            await asyncio.sleep(poll)

    async def _take_lead(self, conn: asyncpg.Connection) -> int:
        sent = self._clock()
        term = int(await conn.fetchval(_LEAD, self.settings.node))
        self.term, self._leader, self.role = term, self.settings.node, Role.LEADER
        self._since = time.time()
        self.fence.lead(term, sent, self.settings.lease_s)
        await self._heard(conn, Role.LEADER)
        log.info("cluster.leading", node=self.settings.node, term=term)
        return term

    async def hold(self) -> str:
        """Renew the lease until this node loses the lead; the reason it did.

        The fence is told (it then refuses to act) before this returns, and the lock
        connection is closed, which frees the lock if PostgreSQL still counted it ours.
        """
        reason = await self._renew_until_lost()
        self.role = Role.FENCED
        self._since = None
        self.fence.lose(reason)
        # No goodbye on a session PostgreSQL may have ended already (a close would leave
        # the driver's unanswered future behind): the socket is just closed.
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.terminate()
        return reason

    async def _renew_until_lost(self) -> str:
        lease, beat = self.settings.lease_s, self.settings.heartbeat_s
        while True:
            await asyncio.sleep(beat)
            if self.fence.expired():
                return f"the lease ran out: no heartbeat answered for {lease:g} s (stalled?)"
            conn = self._conn
            if conn is None or conn.is_closed():
                return "the lock connection is closed"
            sent = self._clock()
            try:
                async with asyncio.timeout(max(0.05, self.fence.remaining())):
                    term = await self._heard(conn, Role.LEADER)
            except TimeoutError:
                return f"the database did not answer a heartbeat within the {lease:g} s lease"
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                return f"the lock connection failed: {type(exc).__name__}: {exc}"
            if term != self.term:
                return f"node {self._leader} leads in term {term} (this node led term {self.term})"
            self.fence.renew(sent)

    async def _heard(self, conn: asyncpg.Connection, role: Role) -> int:
        row = await conn.fetchrow(_HEARD, self.settings.node, str(role), self.fastagi)
        if row is None:
            raise asyncpg.InterfaceError("cluster_state has no row: is the schema current?")
        term, leader, age = int(row[0]), row[1], row[2]
        if role is Role.STANDBY:
            self.term = term
        self._leader = leader
        self._age = None if age is None else float(age)
        if (leader, row[3]) != self._seen_fastagi:  # checked (and a bad one logged) once
            self._seen_fastagi = (leader, row[3])
            self._leader_fastagi = _checked_fastagi(leader, row[3])
        return term

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is not None and not self._conn.is_closed():
            return self._conn
        lease_ms = int(self.settings.lease_s * 1000)
        conn = await asyncpg.connect(
            self._dsn,
            timeout=self._connect_timeout,
            server_settings={"application_name": f"callcenter lock {self.settings.node}"},
        )
        version = conn.get_server_version()
        if version.major * 10000 + version.minor < MIN_SERVER_VERSION:
            conn.terminate()
            raise ClusterUnsupported(
                f"PostgreSQL {version.major}.{version.minor} cannot end a stalled "
                "leader's session (idle_session_timeout needs 14 or newer)"
            )
        try:
            # PostgreSQL ends this session (freeing the lock) after this much silence.
            await conn.execute(f"SET idle_session_timeout = {lease_ms}")
        except BaseException:
            conn.terminate()
            raise
        self._conn = conn
        return conn

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(OSError, asyncpg.InterfaceError, TimeoutError):
                await asyncio.wait_for(conn.close(), timeout=1.0)
            if not conn.is_closed():
                conn.terminate()

    async def close(self) -> None:
        """Close the lock connection (frees the lock if held)."""
        await self._drop()


def _checked_fastagi(leader: str | None, value: str | None) -> str | None:
    # Another process wrote it: it goes into the dialplan only if it passes the setting's
    # own check (a bad one is logged, and no caller is sent there).
    if value is None:
        return None
    try:
        return fastagi_address(value)
    except ValueError as exc:
        log.warning("cluster.leader_fastagi_refused", leader=leader, error=str(exc))
        return None


class ClusterUnsupported(Exception):
    """The database cannot run a cluster (the message says why)."""
