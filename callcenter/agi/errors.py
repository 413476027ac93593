"""The errors of the AGI bridge, from the wire up to the handler.

Strategy: two families. Protocol errors (`LocalProtocolError`, `RemoteProtocolError`) mean a
side broke the AGI protocol; the codec raises them and stays broken (h11's sticky error
state). Call errors (`AGIHangup`, `AGICommandError` and its `AGIPlaybackFailed`,
`AGITimeoutError`, `AGIConnectionError`) are what a handler meets while it talks to a call;
they carry the response that caused them when there is one. `UnsafeArgumentError` refuses
a command before any byte is written. Everything derives from `AGIError`, so a shell can
catch the whole bridge in one clause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from callcenter.agi.responses import AGIResponse


class AGIError(Exception):
    """Base class of every error raised by `callcenter.agi`."""


class ProtocolError(AGIError):
    """A side of the connection broke the AGI protocol; the codec accepts nothing more."""


class LocalProtocolError(ProtocolError):
    """Our side tried an illegal move (a command before the environment, two at once ...)."""


class RemoteProtocolError(ProtocolError):
    """Asterisk (or whatever connected) sent bytes that are not AGI, or sent them too large."""


class UnsafeArgumentError(AGIError, ValueError):
    """An argument cannot be sent without changing the command Asterisk would read.

    Raised when a command is built, so nothing reaches the socket: a CR, LF or NUL in an
    argument would end the line early and let the rest run as a second command.
    """


class AGIHangup(AGIError):
    """The call is gone: the caller hung up, or Asterisk took the channel away.

    Raised by the session helper that first sees it (a `HANGUP` line, a `result=-1` that
    means hang-up, a 511 on a dead channel, or the connection closing), and at once, with
    no I/O, by every later helper. `response` is the reply that revealed it, if any.
    """

    def __init__(self, message: str = "the call was hung up", response: AGIResponse | None = None):
        super().__init__(message)
        self.response = response


class AGICommandError(AGIError):
    """Asterisk refused or failed a command (510, 520, an unplayable file ...).

    `response` is Asterisk's reply, with the whole 520 usage text in `response.text`.
    """

    def __init__(self, message: str, response: AGIResponse):
        super().__init__(message)
        self.response = response


class AGIPlaybackFailed(AGICommandError):
    """Asterisk could not play a sound file (missing, or in no format it reads); the channel
    is still up and the call goes on. `sound` is the file as the command named it.
    """

    def __init__(self, sound: str, response: AGIResponse):
        super().__init__(f"sound file {sound!r} could not be played", response)
        self.sound = sound


class AGITimeoutError(AGIError, TimeoutError):
    """Asterisk sent nothing for too long; the session is closed and cannot be used again."""


class AGIConnectionError(AGIError):
    """The session can carry no more commands (closed after a timeout or a protocol error)."""
