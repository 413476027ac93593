"""Requests and facts from the standbys to the leader, through PostgreSQL.

Strategy (issue 18: "hand facts and requests to the leader through PostgreSQL"; no broker
of our own): a standby that needs the leader (a browser's API request, a desktop's feed, a
caller the IVR queued) writes a message into `cluster_messages` and `NOTIFY cc_relay` in
the same statement; the leader LISTENs on that channel, claims every message not yet taken
(`FOR UPDATE SKIP LOCKED`, so two leaders of overlapping terms never take one twice),
runs the handler registered for its kind, stores the answer and `NOTIFY cc_reply` with the
message's key (and the answer itself when it fits a notification). The table is the
truth, the notifications only wake the other side: each side also polls at `poll_s`, so
a notification lost with a dropped connection delays a message by one poll, never loses
it. A message carries its deadline; one the leader takes after it (it waited through a
fail-over) is answered "expired", never acted on late: a browser that gave up on "make me
ready" must not find itself ready a minute later.

The leader also pushes to the standbys (`publish`): feeds of live screens, on channels of
their own, on one connection, so they arrive in the order sent. A notification holds at
most `MAX_PAYLOAD` bytes; the feed chunks longer messages.

Why a table and not NOTIFY alone: NOTIFY is fire-and-forget (nobody listening, nothing
kept) and holds 8000 bytes; a request must survive the leader's fail-over between the
standby's send and the new leader's start, and its answer may be a page of reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # (no stubs; only the cluster modules use it)
import structlog
from sqlalchemy.engine import make_url

from callcenter.app.tasks import TaskSet, log_safely

log = structlog.get_logger(__name__)

REQUESTS = "cc_relay"
"""The channel the leader listens on: a message was written."""
REPLIES = "cc_reply"
"""The channel the standbys listen on: `<key> <status>[ <answer>]`."""
PROBE_S = 2.0
"""How often the listening connection is asked whether it still answers (and how long
it may take)."""
MAX_PAYLOAD = 7900
"""Bytes a notification may carry (PostgreSQL's limit is 8000, the channel name aside)."""

JSON = dict[str, Any]
Handler = Callable[[JSON, "Origin"], Awaitable[JSON]]
"""Runs one message's body on the leader; its answer (JSON). Raising `Refused` answers
an error the caller sees as `RelayError` with that text."""
Listener = Callable[[str], None]

_SEND = (
    "WITH m AS (INSERT INTO cluster_messages (key, sender, kind, body, deadline) "
    "VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING key) "
    "SELECT pg_notify('cc_relay', m.key) FROM m"
)
_CLAIM = (
    "UPDATE cluster_messages SET taken_by = $1, taken_at = now() WHERE seq IN ("
    " SELECT seq FROM cluster_messages WHERE taken_by IS NULL ORDER BY seq LIMIT $2"
    " FOR UPDATE SKIP LOCKED) "
    "RETURNING key, sender, kind, body, deadline < now() AS expired, "
    "EXTRACT(EPOCH FROM now() - created_at) AS waited"
)
_ANSWER = (
    "WITH a AS (UPDATE cluster_messages SET status = $2, answer = $3, answered_at = now() "
    "WHERE key = $1 RETURNING key) SELECT pg_notify('cc_reply', $4) FROM a"
)
_FETCH = (
    "SELECT key, status, answer FROM cluster_messages WHERE key = ANY($1) AND status IS NOT NULL"
)
_SWEEP = "DELETE FROM cluster_messages WHERE created_at < now() - make_interval(secs => $1)"
_PUBLISH = (
    "SELECT pg_notify($1, p.payload) FROM unnest($2::text[]) WITH ORDINALITY AS p(payload, n) "
    "ORDER BY p.n"
)

OK, FAILED, EXPIRED = 0, 1, 2
"""A message's status once answered."""


def _distinct_runs(payloads: Sequence[str]) -> list[list[str]]:
    """`payloads` cut into runs without a repeat: PostgreSQL delivers identical
    notifications of one transaction once, so each run is a statement of its own."""
    runs: list[list[str]] = [[]]
    seen: set[str] = set()
    for payload in payloads:
        if payload in seen:
            runs.append([])
            seen = set()
        runs[-1].append(payload)
        seen.add(payload)
    return runs


class RelayError(Exception):
    """The leader did not do what was asked; the message says why (it names the leader's
    reason, or that no leader answered in time)."""


class Refused(Exception):
    """Raised by a handler: the request is refused, with this reason for the sender."""


@dataclass(frozen=True, slots=True)
class Origin:
    """Who sent a message: the standby's node name and how long it waited to be taken."""

    node: str
    waited_s: float


@dataclass(slots=True)
class RelayStats:
    """What the metrics show of the relay on this node."""

    sent: int = 0
    answered: int = 0
    failed: int = 0
    """Sent by this node and answered with an error, expired, or not answered in time."""
    served: int = 0
    """Taken and answered by this node while it led."""
    expired: int = 0
    """Taken by this node after their deadline (not acted on)."""
    published: int = 0
    last_round_trip_s: float | None = None
    """The newest message of this node: from its sending to its answer."""
    round_trips: list[float] = field(default_factory=list)
    """Recent round trips (the last 256), for the metrics' quantiles."""

    def record_round_trip(self, seconds: float) -> None:
        """Note one answered message's round trip."""
        self.last_round_trip_s = seconds
        self.round_trips.append(seconds)
        if len(self.round_trips) > 256:
            del self.round_trips[:128]


class Relay:
    """This node's side of the relay: sends (a standby) and serves (the leader)."""

    def __init__(
        self,
        url: str,
        node: str,
        *,
        timeout_s: float = 10.0,
        poll_s: float = 0.5,
        keep_s: float = 600.0,
        connect_timeout_s: float = 5.0,
    ) -> None:
        """Relay through the database at the SQLAlchemy `url` as `node`; a message not
        answered in `timeout_s` fails; answered ones are deleted after `keep_s`."""
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.node = node
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self.keep_s = keep_s
        self._connect_timeout = connect_timeout_s
        self._pool: asyncpg.Pool | None = None
        self._listener: asyncpg.Connection | None = None
        self._publisher: asyncpg.Connection | None = None
        self._publish_lock = asyncio.Lock()
        self._listener_lock = asyncio.Lock()
        self._adding: dict[str, asyncio.Task[Any]] = {}
        self._handlers: dict[str, Handler] = {}
        self._channels: dict[str, list[Listener]] = {}
        self._waiting: dict[str, asyncio.Future[tuple[int, str | None]]] = {}
        self._serving = False
        self._wake = asyncio.Event()
        self._tasks = TaskSet()
        """The short tasks (answers, fetches) and the loops (listening, polling, serving)."""
        self._keys = itertools.count()
        self._prefix = f"{node}:{secrets.token_hex(4)}:"
        self.on_reconnect: list[Callable[[], None]] = []
        """Told after the listening connection was lost and opened again: notifications
        sent meanwhile are gone (a feed must start over from a snapshot)."""
        self.stats = RelayStats()

    # ------------------------------------------------------------------ both sides

    async def start(self) -> None:
        """Open the connections and listen; raises OSError / asyncpg errors when the
        database cannot be reached."""
        self._pool = await asyncpg.create_pool(
            self._dsn,
            min_size=1,
            max_size=4,
            timeout=self._connect_timeout,
            server_settings={"application_name": f"callcenter relay {self.node}"},
        )
        await self._listen()
        self._tasks.spawn(self._keep_listening(), name="relay-listen")
        self._tasks.spawn(self._poll_answers(), name="relay-answers")

    async def close(self) -> None:
        """Stop serving and listening; waiting senders fail with `RelayError`."""
        self._serving = False
        await self._tasks.cancel()
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(RelayError("this node is stopping"))
        self._waiting.clear()
        for conn in (self._listener, self._publisher):
            if conn is not None and not conn.is_closed():
                conn.terminate()
        self._listener = self._publisher = None
        if self._pool is not None:
            pool, self._pool = self._pool, None
            with contextlib.suppress(OSError, asyncpg.InterfaceError, TimeoutError):
                await asyncio.wait_for(pool.close(), timeout=2.0)
            pool.terminate()

    def listen(self, channel: str, listener: Listener) -> Callable[[], None]:
        """Call `listener(payload)` for each notification on `channel` (the leader's
        feeds); the function that stops it."""
        listeners = self._channels.setdefault(channel, [])
        listeners.append(listener)
        if self._listener is not None and len(listeners) == 1:
            self._adding[channel] = self._tasks.spawn(self._add_channel(channel))

        def stop() -> None:
            with contextlib.suppress(ValueError):
                listeners.remove(listener)

        return stop

    async def heard_on(self, channel: str) -> None:
        """Wait until this node LISTENs on `channel` (after `listen`): what is published on
        it from then on reaches the listeners."""
        adding = self._adding.get(channel)
        if adding is not None:
            await asyncio.shield(adding)

    @property
    def listening(self) -> bool:
        """The listening connection is open (notifications reach this node)."""
        return self._listener is not None and not self._listener.is_closed()

    @property
    def serving(self) -> bool:
        """This node takes what the standbys relay (it leads)."""
        return self._serving

    def round_trip_quantiles(self) -> dict[str, float]:
        """The median and 99th percentile of the recent round trips (empty: none yet)."""
        trips = sorted(self.stats.round_trips)
        if not trips:
            return {}
        return {
            "0.5": trips[len(trips) // 2],
            "0.99": trips[min(len(trips) - 1, int(len(trips) * 0.99))],
        }

    # ------------------------------------------------------------------ a standby

    async def call(self, kind: str, body: JSON, *, timeout_s: float | None = None) -> JSON:
        """Have the leader run `kind` on `body`; its answer. Raises `RelayError` with the
        reason when the leader refused it, took it too late, or did not answer in time."""
        pool = self._require_pool()
        timeout = self.timeout_s if timeout_s is None else timeout_s
        key = f"{self._prefix}{next(self._keys)}"
        future: asyncio.Future[tuple[int, str | None]] = asyncio.get_running_loop().create_future()
        self._waiting[key] = future
        sent = time.monotonic()
        self.stats.sent += 1
        try:
            try:
                await pool.execute(_SEND, key, self.node, kind, json.dumps(body), timeout)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                raise RelayError(f"the database did not take the request: {exc}") from exc
            try:
                async with asyncio.timeout(timeout):
                    status, answer = await future
            except TimeoutError:
                raise RelayError(
                    f"no leader answered within {timeout:g} s (is a node leading?)"
                ) from None
        except RelayError:
            self.stats.failed += 1
            raise
        finally:
            self._waiting.pop(key, None)
        self.stats.record_round_trip(time.monotonic() - sent)
        text = answer or "{}"
        if status == OK:
            self.stats.answered += 1
            result: JSON = json.loads(text)
            return result
        self.stats.failed += 1
        if status == EXPIRED:
            raise RelayError("the leader took the request after its deadline: not done")
        raise RelayError(str(json.loads(text).get("error", "refused")))

    # ------------------------------------------------------------------ the leader

    def serve(self, kind: str, handler: Handler) -> None:
        """Run `handler` for messages of `kind` while this node leads (`lead`)."""
        self._handlers[kind] = handler

    def lead(self) -> None:
        """Start taking messages (this node was elected); they are taken until `close`."""
        if self._serving:
            return
        self._serving = True
        self._wake.set()
        self._tasks.spawn(self._serve(), name="relay-serve")
        self._tasks.spawn(self._sweep(), name="relay-sweep")

    async def publish(self, channel: str, payloads: Sequence[str]) -> None:
        """Notify `payloads` on `channel`, in this order (each at most `MAX_PAYLOAD` bytes);
        raises OSError / asyncpg errors when the database is unreachable."""
        if not payloads:
            return
        async with self._publish_lock:
            conn = self._publisher
            if conn is None or conn.is_closed():
                conn = self._publisher = await self._connect("publish")
            try:
                for group in _distinct_runs(payloads):
                    await conn.execute(_PUBLISH, channel, group)
            except BaseException:
                self._publisher = None
                conn.terminate()
                raise
        self.stats.published += len(payloads)

    # ------------------------------------------------------------------ internals

    def _require_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RelayError("the relay is not started")
        return self._pool

    async def _connect(self, what: str) -> asyncpg.Connection:
        return await asyncpg.connect(
            self._dsn,
            timeout=self._connect_timeout,
            server_settings={"application_name": f"callcenter relay {what} {self.node}"},
        )

    async def _listen(self) -> None:
        conn = await self._connect("listen")
        await conn.add_listener(REQUESTS, self._on_request)
        await conn.add_listener(REPLIES, self._on_reply)
        for channel, listeners in self._channels.items():
            if listeners:
                await conn.add_listener(channel, self._on_channel)
        self._listener = conn

    async def _add_channel(self, channel: str) -> None:
        conn = self._listener
        if conn is not None and not conn.is_closed():
            async with self._listener_lock:
                await conn.add_listener(channel, self._on_channel)

    async def _keep_listening(self) -> None:
        # A lost listening connection is opened again; whoever relies on notifications
        # alone (the feeds) is told, since those sent meanwhile are gone. A connection
        # that only looks open (a peer gone without a word: a partition, a dead NAT entry)
        # is found by asking it something every `PROBE_S`: no answer within a probe ends
        # it, and it is opened again like a closed one.
        probed = time.monotonic()
        while True:
            await asyncio.sleep(self.poll_s)
            conn = self._listener
            if conn is not None and not conn.is_closed():
                if time.monotonic() - probed < PROBE_S:
                    continue
                probed = time.monotonic()
                try:
                    async with self._listener_lock:  # one statement at a time on it
                        await conn.fetchval("SELECT 1", timeout=PROBE_S)
                    continue
                except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    log_safely(log.warning, "cluster.relay_listener_silent", node=self.node)
                    conn.terminate()
            try:
                await self._listen()
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log_safely(log.warning, "cluster.relay_listen_failed", error=str(exc))
                continue
            log_safely(log.info, "cluster.relay_listening_again", node=self.node)
            self._wake.set()
            for hook in list(self.on_reconnect):
                try:
                    hook()
                except Exception:  # noqa: BLE001  (one hook must not stop the others)
                    log_safely(log.exception, "cluster.relay_hook_failed")

    def _on_request(self, _conn: object, _pid: int, _channel: str, _payload: str) -> None:
        if self._serving:
            self._wake.set()

    def _on_reply(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        key, _, rest = payload.partition(" ")
        future = self._waiting.get(key)
        if future is None or future.done():
            return
        status_text, _, answer = rest.partition(" ")
        if answer:
            future.set_result((int(status_text), answer))
        else:
            # The answer did not fit the notification: read it from the table.
            self._tasks.spawn(self._fetch([key]))

    def _on_channel(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        for listener in list(self._channels.get(channel, ())):
            try:
                listener(payload)
            except Exception:  # noqa: BLE001  (a listener's bug must not stop the feed)
                log_safely(log.exception, "cluster.relay_listener_failed", channel=channel)

    async def _poll_answers(self) -> None:
        # The safety net under the notifications: answers of messages older than a poll.
        while True:
            await asyncio.sleep(self.poll_s)
            keys = [k for k, f in self._waiting.items() if not f.done()]
            if keys:
                await self._fetch(keys)

    async def _fetch(self, keys: list[str]) -> None:
        try:
            rows = await self._require_pool().fetch(_FETCH, keys)
        except (OSError, RelayError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log_safely(log.warning, "cluster.relay_fetch_failed", error=str(exc))
            return
        for key, status, answer in rows:
            future = self._waiting.get(key)
            if future is not None and not future.done():
                future.set_result((int(status), answer))

    async def _serve(self) -> None:
        while self._serving:
            self._wake.clear()
            try:
                rows = await self._require_pool().fetch(_CLAIM, self.node, 200)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log_safely(log.warning, "cluster.relay_claim_failed", error=str(exc))
                rows = []
            for key, sender, kind, body, expired, waited in rows:
                if expired:
                    self.stats.expired += 1
                    self._tasks.spawn(self._answer(key, EXPIRED, None))
                    continue
                origin = Origin(sender, float(waited))
                self._tasks.spawn(self._run(key, kind, body, origin))
            if len(rows) == 200:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_s)

    async def _run(self, key: str, kind: str, body: str, origin: Origin) -> None:
        handler = self._handlers.get(kind)
        if handler is None:
            await self._answer(key, FAILED, {"error": f"the leader has no handler for {kind!r}"})
            return
        try:
            answer = await handler(json.loads(body), origin)
        except Refused as exc:
            await self._answer(key, FAILED, {"error": str(exc)})
            return
        except Exception as exc:  # noqa: BLE001  (the sender must hear of it, not wait)
            log_safely(log.exception, "cluster.relay_handler_failed", kind=kind)
            await self._answer(key, FAILED, {"error": f"the leader failed: {type(exc).__name__}"})
            return
        self.stats.served += 1  # before the answer: the sender may act on it at once
        await self._answer(key, OK, answer)

    async def _answer(self, key: str, status: int, answer: JSON | None) -> None:
        text = None if answer is None else json.dumps(answer)
        note = f"{key} {status}"
        if text is not None and len(note) + 1 + len(text.encode()) <= MAX_PAYLOAD:
            note = f"{note} {text}"
        try:
            await self._require_pool().execute(_ANSWER, key, status, text, note)
        except (OSError, RelayError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log_safely(log.warning, "cluster.relay_answer_failed", error=str(exc))

    async def _sweep(self) -> None:
        while self._serving:
            await asyncio.sleep(max(1.0, self.keep_s / 10))
            try:
                await self._require_pool().execute(_SWEEP, self.keep_s)
            except (OSError, RelayError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log_safely(log.warning, "cluster.relay_sweep_failed", error=str(exc))
