"""The sans-IO FastAGI codec: bytes from Asterisk in, typed events out; commands out as bytes.

Strategy: in the manner of h11, no socket anywhere. `receive_data(bytes)` buffers (b"" is
the end of the stream), `next_event()` returns one event or NEED_DATA, `send(command)`
returns the bytes to write. Lines end in a bare LF (every file in
`tests/fixtures/asterisk/agi/`); a CR before it is tolerated. The legal moves are the
table `_TRANSITIONS`; a move missing from it raises LocalProtocolError (ours) or
RemoteProtocolError (Asterisk's) and the codec stays in ERROR. `HANGUP` is legal at any
time after the environment and is never taken as a reply (agi-s2-*, agi-s3-*); a `NNN-`
line opens a reply gathered up to its `NNN ` line (agi-s8-*'s 520). Nothing grows without
bound: a line longer than `max_line_bytes`, or an environment or reply block larger than
`max_message_bytes`, is a RemoteProtocolError; once `next_event()` has said NEED_DATA, at
most `max_line_bytes` stay buffered.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Final, NoReturn

from callcenter.agi.commands import AGICommand
from callcenter.agi.errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from callcenter.agi.events import NEED_DATA, ConnectionClosed, Event, HangupNotice, NeedData
from callcenter.agi.request import build_request
from callcenter.agi.responses import AGIResponse, status_code

DEFAULT_MAX_LINE_BYTES: Final = 8 * 1024
DEFAULT_MAX_MESSAGE_BYTES: Final = 64 * 1024

_TAIL = re.compile(r"(?: \((?P<data>.*)\))?(?: endpos=(?P<endpos>-?[0-9]{1,20}))?", re.DOTALL)
_LOOSE_DATA = re.compile(r" \((?P<data>[^)]*)\)")
_LOOSE_ENDPOS = re.compile(r" endpos=(?P<endpos>-?[0-9]{1,20})(?![0-9])")


class CodecState(enum.Enum):
    """Where the conversation stands, from our (the AGI server's) side."""

    ENVIRONMENT = "reading the environment"
    IDLE = "idle"
    AWAITING_REPLY = "awaiting a reply"
    CLOSED = "closed by Asterisk"
    ERROR = "in error"

    # Members are singletons; identity hashing keeps the table lookup in C.
    __hash__ = object.__hash__


class _Move(enum.Enum):
    ENVIRONMENT_END = "the end of the environment"
    REPLY = "a reply"
    HANGUP = "a HANGUP notice"
    EOF = "the end of the stream"
    SEND = "sending a command"

    __hash__ = object.__hash__


_TRANSITIONS: Final[Mapping[tuple[CodecState, _Move], CodecState]] = {
    (CodecState.ENVIRONMENT, _Move.ENVIRONMENT_END): CodecState.IDLE,
    (CodecState.ENVIRONMENT, _Move.EOF): CodecState.CLOSED,
    (CodecState.IDLE, _Move.SEND): CodecState.AWAITING_REPLY,
    (CodecState.IDLE, _Move.HANGUP): CodecState.IDLE,
    (CodecState.IDLE, _Move.EOF): CodecState.CLOSED,
    (CodecState.AWAITING_REPLY, _Move.REPLY): CodecState.IDLE,
    (CodecState.AWAITING_REPLY, _Move.HANGUP): CodecState.AWAITING_REPLY,
    (CodecState.AWAITING_REPLY, _Move.EOF): CodecState.CLOSED,
}


_TERMINAL = frozenset({CodecState.ERROR, CodecState.CLOSED})


class AGICodec:
    """One FastAGI connection's protocol state, from the server's side, without I/O."""

    def __init__(
        self,
        *,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        self._max_line_bytes = max_line_bytes
        self._max_message_bytes = max_message_bytes
        self._buffer = bytearray()
        self._scan_from = 0
        self._eof = False
        self._state = CodecState.ENVIRONMENT
        self._error_class: type[ProtocolError] = RemoteProtocolError
        self._environment: list[tuple[str, str]] = []
        self._block: list[str] = []
        self._block_code = ""
        self._message_bytes = 0
        self.hangup_notices = 0
        """How many `HANGUP` lines Asterisk has sent so far."""

    @property
    def state(self) -> CodecState:
        """The current state; ERROR is final."""
        return self._state

    @property
    def buffered_bytes(self) -> int:
        """Bytes received and not yet turned into events."""
        return len(self._buffer)

    @property
    def idle(self) -> bool:
        """True when `next_event()` can only answer NEED_DATA until more bytes arrive.

        Lets the session skip a codec pass per command on the hot path (no buffered bytes,
        no end of stream, no error or closed state to report).
        """
        return not self._buffer and not self._eof and self._state not in _TERMINAL

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from Asterisk; `b""` means Asterisk closed its side."""
        if self._eof:
            if data:
                self._fail(LocalProtocolError("data received after the end of the stream"))
            return
        if data:
            self._buffer += data
        else:
            self._eof = True

    def next_event(self) -> Event | NeedData:
        """Return the next event, or NEED_DATA until more bytes are received."""
        if self._state is CodecState.ERROR:
            raise self._error_class("the AGI connection is in an error state")
        if self._state is CodecState.CLOSED:
            return ConnectionClosed()
        try:
            return self._next_event()
        except ProtocolError as error:
            self._fail(error)

    def send(self, command: AGICommand) -> bytes:
        """Return the bytes of `command`, if a command may be sent now."""
        if self._state is CodecState.ERROR:
            raise LocalProtocolError("cannot send: the AGI connection is in an error state")
        data = command.encode()
        try:
            self._transition(_Move.SEND)
        except ProtocolError as error:
            self._fail(error)
        return data

    def _fail(self, error: ProtocolError) -> NoReturn:
        self._state = CodecState.ERROR
        self._error_class = type(error)
        raise error

    def _transition(self, move: _Move) -> None:
        new_state = _TRANSITIONS.get((self._state, move))
        if new_state is None:
            error_class = LocalProtocolError if move is _Move.SEND else RemoteProtocolError
            raise error_class(f"{move.value} is not allowed while {self._state.value}")
        self._state = new_state

    def _next_event(self) -> Event | NeedData:
        while True:
            line = self._take_line()
            if line is None:
                return self._end_of_stream() if self._eof else NEED_DATA
            event = self._handle_line(line)
            if event is not None:
                return event

    def _take_line(self) -> str | None:
        end = self._buffer.find(b"\n", self._scan_from)
        if end < 0:
            if len(self._buffer) > self._max_line_bytes:
                raise RemoteProtocolError(f"line longer than {self._max_line_bytes} bytes")
            # Remember how far we looked, so byte-by-byte feeding stays linear.
            self._scan_from = len(self._buffer)
            return None
        if end > self._max_line_bytes:
            raise RemoteProtocolError(f"line longer than {self._max_line_bytes} bytes")
        raw = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        self._scan_from = 0
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        return raw.decode("utf-8", errors="replace")

    def _count_message_bytes(self, line: str) -> None:
        self._message_bytes += len(line) + 1
        if self._message_bytes > self._max_message_bytes:
            raise RemoteProtocolError(f"message larger than {self._max_message_bytes} bytes")

    def _handle_line(self, line: str) -> Event | None:
        if self._state is CodecState.ENVIRONMENT:
            return self._environment_line(line)
        if self._block:
            return self._block_line(line)
        if line == "HANGUP":
            self._transition(_Move.HANGUP)
            self.hangup_notices += 1
            return HangupNotice()
        status = status_code(line)
        if status is None:
            raise RemoteProtocolError(f"neither a reply nor HANGUP: {line[:80]!r}")
        code, opens_block = status
        if not opens_block:
            self._transition(_Move.REPLY)
            return parse_response([line], code)
        if self._state is not CodecState.AWAITING_REPLY:
            raise RemoteProtocolError(f"a reply is not allowed while {self._state.value}")
        self._block, self._block_code, self._message_bytes = [line], f"{code:03d}", 0
        self._count_message_bytes(line)
        return None

    def _block_line(self, line: str) -> Event | None:
        self._count_message_bytes(line)
        self._block.append(line)
        if line != self._block_code and not line.startswith(f"{self._block_code} "):
            return None
        lines, self._block = self._block, []
        self._transition(_Move.REPLY)
        return parse_response(lines)

    def _environment_line(self, line: str) -> Event | None:
        if line:
            key, colon, value = line.partition(":")
            if not colon or not key.startswith("agi_"):
                raise RemoteProtocolError(f"not an AGI environment line: {line[:80]!r}")
            self._count_message_bytes(line)
            self._environment.append((key, value.removeprefix(" ")))
            return None
        try:
            request = build_request(self._environment)
        except ValueError as error:
            raise RemoteProtocolError(f"malformed AGI environment: {error}") from error
        self._environment = []
        self._transition(_Move.ENVIRONMENT_END)
        return request

    def _end_of_stream(self) -> Event:
        if self._buffer:
            raise RemoteProtocolError("connection closed in the middle of a line")
        if self._block:
            raise RemoteProtocolError("connection closed in the middle of a multi-line reply")
        if self._environment:
            raise RemoteProtocolError("connection closed before the environment was complete")
        self._transition(_Move.EOF)
        return ConnectionClosed()


def parse_response(lines: list[str], code: int | None = None) -> AGIResponse:
    """Build a response from its status line, or from a whole `NNN-` ... `NNN ` block.

    `code` is the status code when the caller has already read it from the first line. The
    forms it reads are those listed in `responses.py`.
    """
    first = lines[0]
    if code is None:
        status = status_code(first)
        if status is None:
            raise RemoteProtocolError(f"not an AGI status line: {first[:80]!r}")
        code = status[0]
    if code != 200 or len(lines) > 1:
        return AGIResponse(code=code, result="", data=None, endpos=None, text="\n".join(lines))
    if not first.startswith("200 result="):
        raise RemoteProtocolError(f"a 200 reply without result=: {first[:80]!r}")
    result, space, tail = first[len("200 result=") :].partition(" ")
    if not space:
        # The common reply, `200 result=0`, needs no regular expression.
        return AGIResponse(code=200, result=result, data=None, endpos=None, text=first)
    tail_match = _TAIL.fullmatch(space + tail)
    if tail_match is not None:
        data, endpos = tail_match["data"], tail_match["endpos"]
    else:
        loose_data, loose_endpos = (
            _LOOSE_DATA.match(space + tail),
            _LOOSE_ENDPOS.search(space + tail),
        )
        data = loose_data["data"] if loose_data else None
        endpos = loose_endpos["endpos"] if loose_endpos else None
    return AGIResponse(
        code=200,
        result=result,
        data=data,
        endpos=int(endpos) if endpos is not None else None,
        text=first,
    )
