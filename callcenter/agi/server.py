"""The FastAGI server: one asyncio task per call, routed by script path to a handler.

Strategy: accept, read the environment, route on `request.script`, run the handler, and
close the socket the moment it ends, because Asterisk holds the channel until we do (README
of `tests/fixtures/asterisk/`: "the channel moves on only when the AGI server closes the
socket"). Nothing a peer or a handler does can stop the server: a connect-and-close costs
one callback, a silent peer a timer, an unknown script a log line, a handler exception a
structured log event. Each task binds `uniqueid`, `channel` and `script` into structlog's
contextvars; no log line carries a caller's number.

Nobody can starve the calls: only peers in `allowed_peers` are served (the others are
closed at once); a connection is a call, and takes one of the `max_sessions` slots (at most
`max_sessions_per_peer` for one address), only once its `agi_*` environment is in.
Asterisk sends it at once, so a connection gets `env_timeout` for it, and at most
`max_silent` connections wait for theirs: one more closes the oldest waiting one, so
connections that send nothing can neither hold a slot nor pile up file descriptors. A
call over a bound is closed at once, never queued. Every refusal is counted by why
(`counters.refused`) and logged with the peer's address only (at most once per
`REFUSAL_LOG_S` per address and why, with the count meanwhile).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import TypeAlias

import structlog

from callcenter.agi.codec import DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_MESSAGE_BYTES, AGICodec
from callcenter.agi.errors import AGIHangup, AGITimeoutError, ProtocolError
from callcenter.agi.events import ConnectionClosed
from callcenter.agi.monitoring import (
    ServerCounters,
    SessionEnded,
    SessionEvent,
    SessionObserver,
    SessionOutcome,
    SessionStarted,
)
from callcenter.agi.request import AGIRequest
from callcenter.agi.session import AGISession
from callcenter.agi.stream import AGIStream

log = structlog.get_logger(__name__)

Handler: TypeAlias = Callable[[AGISession], Awaitable[None]]
"""A coroutine function that runs one call; it may simply return, or let AGIHangup out."""

Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
ACCEPT_BACKLOG = 1024
"""The listening socket's queue of connections not yet accepted (the kernel caps it at
net.core.somaxconn)."""
REFUSAL_LOG_S = 10.0
"""A refused address is logged at most once per this many seconds (per reason)."""


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """`127.0.0.1`, `172.28.0.0/16`, `::1` ... as networks; ValueError names a bad entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return tuple(networks)


def _address(peer: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(peer.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d
    return address


@dataclass(slots=True)
class _Report:
    started: float
    outcome: SessionOutcome = SessionOutcome.COMPLETED
    request: AGIRequest | None = None
    session: AGISession | None = None
    peer: str = ""
    counted: bool = False
    """The connection holds a session slot (its environment is in)."""
    evicted: bool = False


class FastAGIServer:
    """Serve FastAGI (`agi://host:port/<script>`) calls to the handlers routed by script."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 4573,
        max_sessions: int = 500,
        max_sessions_per_peer: int | None = None,
        allowed_peers: Iterable[str] | None = None,
        env_timeout: float = 5.0,
        max_silent: int = 100,
        idle_timeout: float = 300.0,
        command_timeout: float | None = None,
        close_linger: float = 1.0,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        observer: SessionObserver | None = None,
    ) -> None:
        """Configure the server; nothing is bound until `start()`.

        `max_sessions` calls at once, at most `max_sessions_per_peer` from one address
        (None: no bound but `max_sessions`); only `allowed_peers` are served (addresses or
        networks; None: every peer); `env_timeout` bounds the wait for a connection's
        environment, and at most `max_silent` connections wait for theirs (one more closes
        the oldest of them); `idle_timeout` bounds every wait for Asterisk (each reply);
        `command_timeout` bounds one command in total (None: only the idle bound);
        `close_linger` is how long to wait for Asterisk's EOF after our half-close.
        Raises ValueError for an entry of `allowed_peers` that is not an address or network.
        """
        self._host = host
        self._port = port
        self._max_sessions = max_sessions
        self._max_per_peer = max_sessions_per_peer or max_sessions
        self._allowed = None if allowed_peers is None else parse_networks(allowed_peers)
        self._env_timeout = env_timeout
        self._max_silent = max(1, max_silent)
        self._idle_timeout = idle_timeout
        self._command_timeout = command_timeout
        self._close_linger = close_linger
        self._max_line_bytes = max_line_bytes
        self._max_message_bytes = max_message_bytes
        self._observer = observer
        self._routes: dict[str, Handler] = {}
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._active = 0
        self._per_peer: Counter[str] = Counter()
        self._silent: dict[AGIStream, _Report] = {}
        """Connections waiting for their environment, oldest first."""
        self._refusals_logged: dict[tuple[str, str], tuple[float, int]] = {}
        self._closing = False
        self.counters = ServerCounters()
        """Totals of accepted connections, outcomes and commands, for metrics."""

    def route(self, script: str, handler: Handler) -> None:
        """Send calls for `agi://host:port/<script>` to `handler` (`"/ivr"` and `"ivr"` alike)."""
        key = script.strip("/")
        if key in self._routes:
            raise ValueError(f"script {key!r} already has a handler")
        self._routes[key] = handler

    async def start(self) -> None:
        """Bind and start accepting; with `port=0` the system picks a port (see `port`)."""
        if self._server is not None:
            raise RuntimeError("the FastAGI server is already started")
        self._closing = False
        loop = asyncio.get_running_loop()
        # A deep accept queue: a burst of connections (calls at a peak, or a flood that is
        # about to be closed) must not make the kernel drop Asterisk's own connects.
        self._server = await loop.create_server(
            self._new_stream, self._host, self._port, backlog=ACCEPT_BACKLOG
        )
        log.info("agi.server_started", host=self._host, port=self.port)

    @property
    def port(self) -> int:
        """The port the server listens on (after `start()`)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the FastAGI server is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def active_sessions(self) -> int:
        """Calls being served now (connections still waiting for their environment and
        refused ones never count)."""
        return self._active

    @property
    def waiting_connections(self) -> int:
        """Connections waiting for their environment now (at most `max_silent`)."""
        return len(self._silent)

    async def close(self, grace: float = 5.0) -> None:
        """Stop accepting, give running calls `grace` seconds to end, then cancel them."""
        self._closing = True
        server, self._server = self._server, None
        if server is not None:
            server.close()
        running = set(self._tasks)
        if running:
            _, running = await asyncio.wait(running, timeout=grace)
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        if server is not None:
            await server.wait_closed()
        log.info("agi.server_stopped", cancelled=len(running))

    async def __aenter__(self) -> FastAGIServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def _new_stream(self) -> AGIStream:
        codec = AGICodec(
            max_line_bytes=self._max_line_bytes, max_message_bytes=self._max_message_bytes
        )
        return AGIStream(
            codec,
            idle_timeout=self._idle_timeout,
            on_connect=self._on_connect,
            max_buffered=4 * self._max_line_bytes,
        )

    def _on_connect(self, stream: AGIStream) -> None:
        self.counters.accepted += 1
        report = _Report(started=asyncio.get_running_loop().time(), peer=stream.peer)
        reason = self._refusal(report.peer)
        if reason is not None:
            # Refuse at once: a queued call would hear silence with no bound on how long.
            stream.abort()
            report.outcome = SessionOutcome.REFUSED
            self._refused(report.peer, reason)
            self._finish(report)
            return
        if len(self._silent) >= self._max_silent:
            # The oldest connection still silent makes room: Asterisk sends its
            # environment at once, so only one that sends nothing is old and silent.
            oldest, waiting = next(iter(self._silent.items()))
            del self._silent[oldest]
            waiting.evicted = True
            oldest.abort()
        self._silent[stream] = report
        task = asyncio.get_running_loop().create_task(self._serve(stream, report))
        self._tasks.add(task)
        task.add_done_callback(self._session_done)

    def _refusal(self, peer: str) -> str | None:
        """Why a connection from `peer` cannot be a call now; None when it can."""
        if self._closing:
            return "closing"
        if self._allowed is not None:
            address = _address(peer)
            if address is None or not any(address in net for net in self._allowed):
                return "peer_not_allowed"
        if self._active >= self._max_sessions:
            return "sessions"
        if self._per_peer[peer] >= self._max_per_peer:
            return "peer_sessions"
        return None

    def _refused(self, peer: str, reason: str) -> None:
        """Count the refusal; log it (the address only), at most once per REFUSAL_LOG_S."""
        self.counters.refused[reason] += 1
        now = asyncio.get_running_loop().time()
        last, unlogged = self._refusals_logged.get((peer, reason), (None, 0))
        if last is not None and now - last < REFUSAL_LOG_S:
            self._refusals_logged[(peer, reason)] = (last, unlogged + 1)
            return
        if len(self._refusals_logged) > 10_000:
            self._refusals_logged.clear()  # many addresses: the memory stays bounded
        self._refusals_logged[(peer, reason)] = (now, 0)
        log.warning(
            "agi.connection_refused",
            peer=peer,
            reason=reason,
            refused_meanwhile=unlogged,
            active=self._active,
            limit=self._max_sessions,
        )

    def _session_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            # A fault in the server itself: one call lost, logged, the others go on.
            log.error("agi.session_crashed", exc_info=error)

    async def _serve(self, stream: AGIStream, report: _Report) -> None:
        try:
            await self._converse(stream, report)
        except asyncio.CancelledError:
            report.outcome = SessionOutcome.CANCELLED
            stream.abort()
            raise
        finally:
            self._silent.pop(stream, None)
            try:
                await stream.close(self._close_linger)
            finally:
                if report.counted:
                    self._active -= 1
                    self._per_peer[report.peer] -= 1
                    if not self._per_peer[report.peer]:
                        del self._per_peer[report.peer]
                self._finish(report)

    async def _converse(self, stream: AGIStream, report: _Report) -> None:
        try:
            request = await self._read_request(stream)
        except AGITimeoutError:
            report.outcome = SessionOutcome.TIMEOUT
            self._refused(report.peer, "environment_timeout")
            return
        except ProtocolError as error:
            if not report.evicted:  # the half environment of an evicted one is our doing
                report.outcome = SessionOutcome.PROTOCOL_ERROR
                log.warning("agi.protocol_error", error=str(error), peer=report.peer)
                return
            request = None
        finally:
            self._silent.pop(stream, None)
        if report.evicted:
            report.outcome = SessionOutcome.REFUSED
            self._refused(report.peer, "silent")
            return
        if request is None:
            report.outcome = SessionOutcome.CLOSED_EARLY
            log.debug("agi.closed_before_environment")
            return
        reason = self._refusal(report.peer)
        if reason is not None:
            report.outcome = SessionOutcome.REFUSED
            stream.abort()
            self._refused(report.peer, reason)
            return
        report.counted = True
        self._active += 1
        self._per_peer[report.peer] += 1
        report.request = request
        structlog.contextvars.bind_contextvars(
            uniqueid=request.uniqueid, channel=request.channel, script=request.script
        )
        handler = self._routes.get(request.script)
        if handler is None:
            report.outcome = SessionOutcome.UNROUTED
            log.warning("agi.unknown_script")
            return
        session = AGISession(request, stream, command_timeout=self._command_timeout)
        report.session = session
        self._notify(SessionStarted(request.uniqueid, request.channel, request.script))
        report.outcome = await self._run_handler(handler, session)

    async def _run_handler(self, handler: Handler, session: AGISession) -> SessionOutcome:
        try:
            await handler(session)
        except AGIHangup:
            log.info("agi.handler_ended_on_hangup")
            return SessionOutcome.HANGUP
        except AGITimeoutError as error:
            log.warning("agi.command_timeout", error=str(error))
            return SessionOutcome.TIMEOUT
        except ProtocolError as error:
            log.warning("agi.protocol_error", error=str(error))
            return SessionOutcome.PROTOCOL_ERROR
        except Exception:
            # A handler bug ends its own call, never the server; the traceback is logged.
            log.exception("agi.handler_failed")
            return SessionOutcome.HANDLER_ERROR
        return SessionOutcome.COMPLETED

    async def _read_request(self, stream: AGIStream) -> AGIRequest | None:
        deadline = asyncio.get_running_loop().time() + self._env_timeout
        while True:
            event = await stream.next_event(deadline)
            if isinstance(event, AGIRequest):
                return event
            if isinstance(event, ConnectionClosed):
                return None

    def _finish(self, report: _Report) -> None:
        request, session = report.request, report.session
        ended = SessionEnded(
            outcome=report.outcome,
            uniqueid=request.uniqueid if request else "",
            channel=request.channel if request else "",
            script=request.script if request else "",
            commands=session.commands_sent if session else 0,
            duration_s=asyncio.get_running_loop().time() - report.started,
        )
        self.counters.record(ended)
        self._notify(ended)
        if report.outcome is not SessionOutcome.REFUSED:
            log.debug(
                "agi.session_ended",
                outcome=ended.outcome.value,
                commands=ended.commands,
                duration_s=round(ended.duration_s, 3),
            )

    def _notify(self, event: SessionEvent) -> None:
        if self._observer is None:
            return
        try:
            self._observer(event)
        except Exception:
            # An observer is the shell's code; its failure must not end a call.
            log.exception("agi.observer_failed", session_event=type(event).__name__)
