"""The asyncio AMI client: one per Asterisk server, several per process.

Strategy: a supervisor task owns the connection. It connects, reads the banner, logs in
(plain or MD5 challenge), runs the resync hooks (e.g. CoreShowChannels) and then keeps the
connection until it drops, when it reconnects with exponential backoff and full jitter.
A refused login is final (`AMIAuthenticationError`), never a retry loop. Every action gets
a fresh ActionID and a deadline; when the connection drops every pending action fails with
`AMIConnectionLost` at once. A ping runs every `ping_interval`; an answer missing after
`ping_timeout` recycles the connection (a half-dead TCP link otherwise looks alive for
hours), whatever the reader is doing. Events go to bounded subscriptions (see
`subscription.py`). What one connection does on the wire (an action to its reply by
ActionID, the reader routing replies and events, a stalled consumer's drops) is
`connection.py`; this module decides when a connection starts and ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import structlog

from callcenter.ami import actions
from callcenter.ami.actions import Action
from callcenter.ami.codec import DEFAULT_MAX_MESSAGE_SIZE
from callcenter.ami.connection import AMIActionError, Connection
from callcenter.ami.errors import (
    AMIActionTimeout,
    AMIAuthenticationError,
    AMIConnectionLost,
    AMIError,
    AMINotConnected,
    AMIProtocolError,
    AMIResyncError,
)
from callcenter.ami.messages import ActionResult, Banner
from callcenter.ami.subscription import (
    ConnectionChanged,
    EventSubscription,
    OverflowPolicy,
)

log = structlog.get_logger(__name__)

ConnectHook = Callable[["AMIClient"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class AMIServer:
    """Where and how to log in. `secret` never appears in repr or logs."""

    name: str
    host: str
    port: int
    username: str
    secret: str
    auth: str = "plain"  # "plain" or "md5"
    events: str = "on"

    def __repr__(self) -> str:
        return f"AMIServer(name={self.name!r}, host={self.host!r}, port={self.port}, user=...)"


@dataclass(frozen=True, slots=True)
class AMIClientOptions:
    """Timeouts, bounds and backoff of a client; the defaults suit a production PBX."""

    connect_timeout: float = 5.0
    action_timeout: float = 10.0
    ping_interval: float = 20.0
    ping_timeout: float = 5.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    read_size: int = 64 * 1024
    stall_timeout: float = 2.0
    """How long the reader waits for a consumer whose queue is full before it drops that
    consumer's events (a healthy one takes half a queue in milliseconds); shorter than
    `ping_timeout`, so a stuck consumer never costs the link."""
    filter_events: bool = False
    """Ask Asterisk, after each login, for only the events subscribed to by name (a
    `Filter` action): a call makes some 80 events on a real Asterisk and the service
    follows 7 of them. Off while any subscription takes every event."""


def backoff_delay(attempt: int, initial: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, initial * 2**attempt))."""
    return rng.uniform(0.0, min(cap, initial * (2 ** min(attempt, 30))))


class AMIClient:
    """An AMI connection to one Asterisk server that keeps itself alive."""

    def __init__(
        self,
        server: AMIServer,
        options: AMIClientOptions | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.server = server
        self.options = options or AMIClientOptions()
        self._rng = rng or random.Random()
        self._ids = itertools.count(1)
        self._conn: Connection | None = None
        self._subs: list[EventSubscription] = []
        self._hooks: list[ConnectHook] = []
        self._filtering: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._state = "idle"
        self._state_changed = asyncio.Event()
        self._failure: BaseException | None = None
        self._closing = False
        self.banner: Banner | None = None
        self.connects = 0
        self._conn_was_up = False
        self._dropped_before = 0

    # -- public API -------------------------------------------------------------------

    @property
    def state(self) -> str:
        """idle, connecting, connected, disconnected, failed or closed."""
        return self._state

    @property
    def connected(self) -> bool:
        """True while logged in and resynced."""
        return self._state == "connected"

    @property
    def events_dropped(self) -> int:
        """Events dropped so far for consumers that fell behind (a health figure)."""
        return self._dropped_before + sum(sub.dropped for sub in self._subs)

    def subscribe(
        self,
        names: Iterable[str] | None = None,
        *,
        maxsize: int = 10_000,
        policy: OverflowPolicy = OverflowPolicy.BLOCK,
        name: str = "",
    ) -> EventSubscription:
        """A new bounded subscription to events named in `names` (all when None); `name`
        says who consumes it in the logs."""
        sub = EventSubscription(
            None if names is None else frozenset(names), maxsize, policy, name or "events"
        )
        self._subs.append(sub)
        conn = self._conn
        if self.options.filter_events and conn is not None and conn.logged_in:
            # Filters only add up: new names widen the session's filter now; a subscription
            # to every event gets them from the next login on.
            task = asyncio.create_task(self._filter(conn), name="ami-filter")
            self._filtering.add(task)
            task.add_done_callback(self._filtering.discard)
        return sub

    def unsubscribe(self, sub: EventSubscription) -> None:
        """Stop delivering to `sub` and end its iteration."""
        sub.close()
        if sub in self._subs:
            self._subs.remove(sub)
            self._dropped_before += sub.dropped

    def add_connect_hook(self, hook: ConnectHook) -> None:
        """Run `hook(client)` after every login, before the client reports `connected`."""
        self._hooks.append(hook)

    async def start(self) -> None:
        """Start the supervisor task (returns at once; see `wait_connected`)."""
        if self._task is not None:
            raise RuntimeError("AMIClient.start() called twice")
        self._closing = False
        self._task = asyncio.create_task(self._supervise(), name=f"ami:{self.server.name}")

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Wait until logged in; raises `AMIAuthenticationError` if the login was refused."""
        async with asyncio.timeout(timeout):
            while True:
                if self._state == "connected":
                    return
                if self._state == "failed" and self._failure is not None:
                    raise self._failure
                if self._state == "closed":
                    raise AMINotConnected(f"AMI client {self.server.name} is closed")
                self._state_changed.clear()
                await self._state_changed.wait()

    async def connect(self, timeout: float | None = None) -> None:
        """Start and wait for the first login (a refused login raises at once)."""
        await self.start()
        await self.wait_connected(timeout)

    async def send_action(
        self, action: Action, *, timeout: float | None = None, check: bool = True
    ) -> ActionResult:
        """Send `action`, wait for its complete answer (list items gathered).

        Raises `AMINotConnected` when not logged in, `AMIActionTimeout` after `timeout`
        (default `options.action_timeout`), `AMIConnectionLost` if the connection drops
        first, and `AMIActionError` for `Response: Error` unless `check` is False.
        """
        conn = self._conn
        if conn is None or not conn.logged_in:
            raise AMINotConnected(f"AMI {self.server.name}: not connected, {action.name} not sent")
        return await self._roundtrip(conn, action, timeout, check)

    async def close(self) -> None:
        """Log off politely if connected, stop reconnecting, end every subscription."""
        self._closing = True
        conn = self._conn
        if conn is not None and conn.logged_in:
            with contextlib.suppress(AMIError, OSError, TimeoutError):
                await self._roundtrip(conn, actions.logoff(), 1.0, False)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._set_state("closed", "client closed")
        for sub in self._subs:
            sub.close()
            self._dropped_before += sub.dropped
        self._subs.clear()
        # A connect cancelled mid-handshake closes its transport with call_soon(); give it
        # that turn, or a loop closed right after us would leak the socket.
        await asyncio.sleep(0)

    # -- internals --------------------------------------------------------------------

    async def _roundtrip(
        self, conn: Connection, action: Action, timeout: float | None, check: bool
    ) -> ActionResult:
        action_id = f"cc-{self.server.name}-{next(self._ids)}"
        deadline = self.options.action_timeout if timeout is None else timeout
        return await conn.roundtrip(action, action_id, deadline, check)

    def _set_state(self, state: str, reason: str = "") -> None:
        if state == self._state:
            return
        self._state = state
        self._state_changed.set()
        if state in ("connected", "disconnected", "failed", "closed"):
            note = ConnectionChanged(self.server.name, state, reason)
            for sub in self._subs:
                sub.notify(note)

    async def _supervise(self) -> None:
        structlog.contextvars.bind_contextvars(ami_server=self.server.name)
        attempt = 0
        while not self._closing:
            self._set_state("connecting")
            try:
                await self._run_connection()
            except AMIAuthenticationError as exc:
                self._failure = exc
                log.error("ami.login_refused", host=self.server.host, port=self.server.port)
                self._set_state("failed", str(exc))
                return
            except (OSError, TimeoutError, AMIError) as exc:
                log.warning("ami.connection_failed", error=str(exc), attempt=attempt)
                self._set_state("disconnected", str(exc) or type(exc).__name__)
            except Exception as exc:  # the supervisor must outlive any bug of ours
                log.exception("ami.supervisor_error", attempt=attempt)
                self._set_state("disconnected", f"internal error: {exc!r}")
            if self._closing:
                return
            if self._conn_was_up:
                attempt = 0
            delay = backoff_delay(
                attempt, self.options.backoff_initial, self.options.backoff_max, self._rng
            )
            attempt += 1
            log.info("ami.reconnect_scheduled", delay_s=round(delay, 3), attempt=attempt)
            await asyncio.sleep(delay)

    async def _run_connection(self) -> None:
        self._conn_was_up = False
        opts = self.options
        async with asyncio.timeout(opts.connect_timeout):
            reader, writer = await asyncio.open_connection(self.server.host, self.server.port)
        conn = Connection(
            reader, writer, opts.max_message_size, server_name=self.server.name, subs=self._subs
        )
        self._conn = conn
        reader_task = asyncio.create_task(
            conn.read_loop(opts.read_size, opts.stall_timeout), name="ami-reader"
        )
        # Whatever ends the reader (EOF, reset, protocol error) must fail the login and
        # every pending action at once, not when their deadlines run out.
        reader_task.add_done_callback(lambda t: self._reader_ended(conn, t))
        pinger: asyncio.Task[None] | None = None
        try:
            async with asyncio.timeout(opts.connect_timeout):
                self.banner = await conn.banner
                await self._login(conn)
                if self.options.filter_events:
                    await self._filter(conn)
            conn.logged_in = True
            for hook in self._hooks:
                await self._run_hook(hook)
            self.connects += 1
            self._conn_was_up = True
            log.info("ami.connected", host=self.server.host, port=self.server.port)
            self._set_state("connected")
            pinger = asyncio.create_task(self._ping_loop(conn), name="ami-ping")
            # A failed ping ends the connection even when the reader is not reading (it
            # waits for a consumer): closing the socket alone would not wake it.
            await asyncio.wait({reader_task, pinger}, return_when=asyncio.FIRST_COMPLETED)
            if not reader_task.done():
                raise AMIConnectionLost(conn.close_reason or "the keep-alive ended")
            await reader_task
        finally:
            if pinger is not None:
                pinger.cancel()
                with contextlib.suppress(asyncio.CancelledError, AMIError, OSError):
                    await pinger
            reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, AMIError, OSError):
                await reader_task
            conn.fail_all(AMIConnectionLost(f"AMI connection to {self.server.name} lost"))
            conn.logged_in = False
            self._conn = None
            writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _run_hook(self, hook: ConnectHook) -> None:
        try:
            await hook(self)
        except (AMIError, OSError, TimeoutError):
            raise
        except Exception as exc:  # a hook is caller code, see below
            # Whatever a resync hook raises must become a reconnect that subscribers hear
            # about, never a supervisor task that dies quietly.
            name = getattr(hook, "__qualname__", repr(hook))
            raise AMIResyncError(f"resync hook {name} failed: {exc}") from exc

    def _reader_ended(self, conn: Connection, task: asyncio.Task[None]) -> None:
        exc = None if task.cancelled() else task.exception()
        if isinstance(exc, AMIProtocolError):
            log.error("ami.protocol_error", error=str(exc))
        reason = f": {exc}" if exc is not None else ""
        conn.fail_all(AMIConnectionLost(f"AMI connection to {self.server.name} lost{reason}"))

    async def _login(self, conn: Connection) -> None:
        srv = self.server
        if srv.auth == "md5":
            chal = await self._roundtrip(conn, actions.challenge(), None, True)
            challenge_text = chal.response.get("Challenge") or ""
            login = actions.login_md5(srv.username, srv.secret, challenge_text, srv.events)
        else:
            login = actions.login(srv.username, srv.secret, srv.events)
        result = await self._roundtrip(conn, login, None, False)
        if not result.ok:
            raise AMIAuthenticationError(
                f"AMI {srv.name} ({srv.host}:{srv.port}) refused user {srv.username!r}: "
                f"{result.response.message or 'Authentication failed'}"
            )

    async def _filter(self, conn: Connection) -> None:
        names: set[str] = set()
        for sub in self._subs:
            if sub.names is None:
                log.warning("ami.filter_off", server=self.server.name, reason="takes every event")
                return
            names |= sub.names
        if not names:
            return
        try:
            result = await self._roundtrip(conn, actions.filter_events(names), None, False)
        except AMIError as exc:
            log.warning("ami.filter_failed", server=self.server.name, error=str(exc))
            return
        if not result.ok:
            # Every event then still arrives: slower, never wrong (e.g. no `system` write).
            log.warning(
                "ami.filter_refused", server=self.server.name, error=result.response.message
            )

    async def _ping_loop(self, conn: Connection) -> None:
        opts = self.options
        while True:
            await asyncio.sleep(opts.ping_interval)
            try:
                await self._roundtrip(conn, actions.ping(), opts.ping_timeout, True)
            except (AMIActionTimeout, AMIActionError) as exc:
                log.warning("ami.ping_failed", error=str(exc))
                # Recycle: this task ending ends the connection (`_run_connection`), and
                # the supervisor reconnects.
                conn.close_reason = f"no answer to Ping within {opts.ping_timeout} s"
                conn.writer.close()
                return
            except AMIConnectionLost:
                return  # the reader has seen it too
