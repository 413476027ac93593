"""Sans-IO AMI reader: bytes in, banner / responses / events out.

Strategy: in the manner of h11 there is no socket here. `receive_data(bytes)` buffers what
arrived (b"" means the peer closed); `next_message()` returns the next whole message, or
`NEED_DATA`, or `CLOSED` once the peer closed and nothing whole is left. Framing follows the
recordings in `tests/fixtures/asterisk/ami/`: the first line is the banner
(`Asterisk Call Manager/11.0.0` CRLF, no blank line after it); every later message is
`Key: Value` CRLF lines ended by an empty line (CRLF CRLF). Bytes are decoded only once a
whole message is in, so a UTF-8 character split across two reads is never corrupted;
invalid UTF-8 (a caller name in Latin-1) becomes U+FFFD rather than an error.

Everything whole in the buffer is framed at once (one decode, one split per read), then
handed out one message at a time; at 10,000+ events a second the per-message framing calls
were a third of the cost. Bounds: a message larger than `max_message_size` (or a banner
line over 1 KiB) is a `RemoteProtocolError` as soon as the buffer shows it, never an
unbounded buffer; so is a line with no colon, or a message with neither `Response` nor
`Event`. After an error the
reader stays in that error (sticky): drop the connection and start a new reader.
"""

from __future__ import annotations

import enum
from collections import deque

from callcenter.ami.errors import RemoteProtocolError
from callcenter.ami.events import EVENT_CLASSES
from callcenter.ami.messages import Banner, Event, Response, split_lines

DEFAULT_MAX_MESSAGE_SIZE = 4 * 1024 * 1024
_MAX_BANNER = 1024
_TERMINATOR = b"\r\n\r\n"
new_tuple = tuple.__new__


class Sentinel(enum.Enum):
    """Markers `next_message()` returns when no message is ready."""

    NEED_DATA = "NEED_DATA"
    CLOSED = "CLOSED"


NEED_DATA = Sentinel.NEED_DATA
CLOSED = Sentinel.CLOSED

AMIMessage = Banner | Response | Event


class AMIReader:
    """Incremental AMI parser for one connection."""

    def __init__(self, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self._buf = bytearray()
        self._ready: deque[Response | Event] = deque()
        self._max = max_message_size
        self._banner_seen = False
        self._eof = False
        self._pending_error: RemoteProtocolError | None = None
        self._error: RemoteProtocolError | None = None

    @property
    def buffered(self) -> int:
        """Bytes held that are not yet a whole message."""
        return len(self._buf)

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the socket; b"" means the peer closed the connection."""
        if self._error is not None:
            raise self._error
        if not data:
            self._eof = True
            return
        self._buf += data

    def next_message(self) -> AMIMessage | Sentinel:
        """The next whole message, `NEED_DATA`, or `CLOSED`. Raises `RemoteProtocolError`."""
        if self._ready:
            return self._ready.popleft()
        if self._error is not None:
            raise self._error
        try:
            if self._pending_error is not None:
                raise self._pending_error
            if not self._banner_seen:
                return self._banner()
            if self._frame() and self._ready:
                return self._ready.popleft()
            if self._pending_error is not None:
                raise self._pending_error
        except RemoteProtocolError as exc:
            self._error = exc
            raise
        return CLOSED if self._eof else NEED_DATA

    def next_messages(self) -> list[AMIMessage] | Sentinel:
        """Every whole message available now, in order; `NEED_DATA` or `CLOSED` if none.

        The batch form of `next_message`, for the client's read loop: one call per read
        instead of one per message. An error after some messages is raised on the call
        after the one that returns them, as with `next_message`.
        """
        ready = self._ready
        if not ready:
            first = self.next_message()
            if first is NEED_DATA or first is CLOSED:
                return first
            out: list[AMIMessage] = [first]  # type: ignore[list-item]
            out += ready
        else:
            out = list(ready)
        ready.clear()
        return out

    def _frame(self) -> bool:
        """Parse every whole message in the buffer into the ready queue; False if none.

        One decode and one split for everything that arrived: the terminator is ASCII, so
        no UTF-8 sequence can straddle it, and a character split across two reads stays in
        the buffer until its second half arrives. The loop is inlined on purpose: this is
        the hot path (see benchmarks/ami_throughput.py). A bad message stops the batch;
        the messages before it are still handed out, then the error is raised.
        """
        buf = self._buf
        end = buf.rfind(_TERMINATOR)
        if end == -1:
            if len(buf) > self._max:
                raise RemoteProtocolError(
                    f"AMI message larger than {self._max} bytes without an end (CRLF CRLF)"
                )
            return False
        region = buf[:end].decode("utf-8", "replace")
        del buf[: end + 4]
        ready = self._ready
        check_size = len(region) > self._max
        for raw in region.split("\r\n\r\n"):
            text = raw
            if not text or text[0] == "\r" or text[-1] == "\n":
                # Stray empty lines between messages are tolerated, not an error.
                text = text.strip("\r\n")
                if not text:
                    continue
            try:
                if check_size and len(text) > self._max:
                    raise RemoteProtocolError(  # noqa: TRY301  (inlined hot loop, see above)
                        f"AMI message of {len(text)} characters over the {self._max} bound"
                    )
                try:
                    # Each line splits at its first ": "; dict() refuses a line that has
                    # none, which sends the message to the careful parser: a `Key:` with
                    # no space is legal there, a line with no colon is a protocol error.
                    headers = dict([line.split(": ", 1) for line in text.split("\r\n")])
                except ValueError:
                    headers = dict(split_lines(text))
                name = headers.get("Event")
                if name is not None:
                    # tuple.__new__ straight away: the NamedTuple's own __new__ is a
                    # Python-level frame per event.
                    ready.append(new_tuple(EVENT_CLASSES.get(name, Event), (text, headers, name)))
                elif "Response" in headers:
                    ready.append(Response(text, headers))
                else:
                    raise RemoteProtocolError(  # noqa: TRY301  (inlined hot loop, see above)
                        f"AMI message has neither 'Response' nor 'Event' (starts {text[:60]!r})"
                    )
            except RemoteProtocolError as exc:
                self._pending_error = exc
                break
        return True

    def _banner(self) -> Banner | Sentinel:
        buf = self._buf
        end = buf.find(b"\r\n")
        if end == -1:
            if len(buf) > _MAX_BANNER:
                raise RemoteProtocolError("AMI banner line longer than 1 KiB")
            return CLOSED if self._eof else NEED_DATA
        line = buf[:end].decode("utf-8", "replace")
        if not line.startswith("Asterisk Call Manager/"):
            raise RemoteProtocolError(f"not an AMI banner: {line[:80]!r}")
        self._banner_seen = True
        del buf[: end + 2]
        return Banner(line)
