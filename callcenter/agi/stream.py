"""The thin asyncio layer between a socket and the AGI codec: an asyncio Protocol.

Strategy: the codec decides, this moves bytes. asyncio hands received bytes straight to the
codec (no stream reader in between); a session awaits `next_event()`, which waits only
when the codec says NEED_DATA, each wait bounded by the idle timeout (and a caller's
deadline), so a peer that goes quiet costs one timer, never a stuck task. Reading pauses
while more than a few lines are buffered, so a flooding peer cannot grow memory. A reset
reads as the end of the stream. `close()` is the polite end the recordings show (agi-s1-*:
"half-close (write_eof) from our side", one more `HANGUP`, then EOF from Asterisk), bounded
by a linger time, then the socket is closed whatever the peer does; `abort()` drops it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

from callcenter.agi.codec import AGICodec
from callcenter.agi.commands import AGICommand
from callcenter.agi.errors import AGITimeoutError
from callcenter.agi.events import NEED_DATA, Event


class AGIStream(asyncio.Protocol):
    """A codec bound to one connection; built per connection by the server."""

    def __init__(
        self,
        codec: AGICodec,
        *,
        idle_timeout: float | None,
        on_connect: Callable[[AGIStream], None],
        max_buffered: int,
    ) -> None:
        self.codec = codec
        self._idle_timeout = idle_timeout
        self._on_connect = on_connect
        self._max_buffered = max_buffered
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._drain_waiter: asyncio.Future[None] | None = None
        self._lost: asyncio.Future[None] | None = None
        self._peer_eof = False
        self._reading_paused = False
        self._writing_paused = False
        self._closing = False
        self._timer: asyncio.TimerHandle | None = None
        self._expires: float | None = None
        self._timeout = 0.0

    # asyncio.Protocol callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._lost = asyncio.get_running_loop().create_future()
        self._on_connect(self)

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return  # after our half-close, whatever Asterisk says (HANGUP) is moot
        self.codec.receive_data(data)
        if self.codec.buffered_bytes > self._max_buffered and self._transport is not None:
            self._transport.pause_reading()
            self._reading_paused = True
        self._wake()

    def eof_received(self) -> bool:
        self._peer_end()
        return True  # keep our side open: we half-close when the handler is done

    def connection_lost(self, exc: Exception | None) -> None:
        self._peer_end()
        self._cancel_timer()
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)
        self._writing_paused = False
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)

    # What the session and the server use

    @property
    def peer(self) -> str:
        """The peer's IP address ("" when unknown), for the server's checks and logs."""
        if self._transport is None:
            return ""
        name = self._transport.get_extra_info("peername")
        return str(name[0]) if isinstance(name, tuple) and name else ""

    async def next_event(self, deadline: float | None = None) -> Event:
        """The next event, waiting for bytes as needed; AGITimeoutError when Asterisk is silent.

        `deadline` is an event-loop time after which to give up even if bytes trickle in.
        """
        while True:
            # Right after a command the reply cannot be there yet: wait without a codec pass.
            event = NEED_DATA if self.codec.idle else self.codec.next_event()
            if event is not NEED_DATA:
                return event
            if self._reading_paused and self._transport is not None:
                self._reading_paused = False
                self._transport.resume_reading()
            await self._wait_for_data(deadline)

    async def send(self, command: AGICommand) -> None:
        """Write one command (the codec checks that it may be sent now)."""
        if self._transport is None or self._transport.is_closing():
            raise ConnectionResetError("the connection to Asterisk is closed")
        self._transport.write(self.codec.send(command))
        if self._writing_paused:
            self._drain_waiter = asyncio.get_running_loop().create_future()
            await self._drain_waiter

    async def close(self, linger: float) -> None:
        """Half-close, wait for Asterisk's EOF (at most `linger` s), then close the socket."""
        transport = self._transport
        if self._closing or transport is None or transport.is_closing():
            return
        self._closing = True
        if self._reading_paused:
            transport.resume_reading()
        try:
            if transport.can_write_eof():
                transport.write_eof()
        except OSError:
            # Reset by the peer before we could half-close: nothing left to be polite to.
            transport.abort()
            return
        deadline = asyncio.get_running_loop().time() + linger
        try:
            while not self._peer_eof:
                await self._wait_for_data(deadline)
        except AGITimeoutError:
            pass  # the peer keeps its side open; we close ours anyway
        transport.close()
        if self._lost is None:
            return
        try:
            async with asyncio.timeout(linger):
                await asyncio.shield(self._lost)
        except TimeoutError:
            transport.abort()

    def abort(self) -> None:
        """Drop the connection at once, unsent bytes included."""
        self._closing = True
        if self._transport is not None:
            self._transport.abort()

    def _peer_end(self) -> None:
        if not self._peer_eof:
            self._peer_eof = True
            self.codec.receive_data(b"")
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def _wait_for_data(self, deadline: float | None) -> None:
        loop = asyncio.get_running_loop()
        timeout = self._idle_timeout
        if deadline is not None:
            remaining = deadline - loop.time()
            timeout = remaining if timeout is None else min(timeout, remaining)
        waiter = loop.create_future()
        self._waiter = waiter
        if timeout is None:
            self._expires = None
        else:
            self._timeout = timeout
            self._expires = loop.time() + max(timeout, 0.0)
            # One timer per connection, moved lazily: re-arming on every wait would cost a
            # heap push and a cancel per reply.
            if self._timer is None or self._timer.when() > self._expires:
                if self._timer is not None:
                    self._timer.cancel()
                self._timer = loop.call_at(self._expires, self._on_timer, self._expires)
        try:
            await waiter
        finally:
            self._waiter = None

    def _on_timer(self, scheduled: float) -> None:
        self._timer = None
        waiter, expires = self._waiter, self._expires
        if waiter is None or waiter.done() or expires is None:
            return
        if expires > scheduled:
            self._timer = asyncio.get_running_loop().call_at(expires, self._on_timer, expires)
            return
        state = self.codec.state.value
        waiter.set_exception(
            AGITimeoutError(f"no data from Asterisk within {self._timeout:.3g} s while {state}")
        )

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
