"""Errors raised by the AMI codec and client.

Strategy: mirror h11. A `RemoteProtocolError` means Asterisk (or whatever is on the other
end) sent bytes that break the protocol; a `LocalProtocolError` means we were asked to send
something the protocol cannot carry (a CR/LF in a header value, say). After either, the
codec is in a sticky error state: the connection must be dropped and re-established.
`AMIActionError` carries the `Response` it reports, so it is defined beside the round trip in
`connection.py`: this module imports nothing and stays below `messages` (no import cycle).
"""

from __future__ import annotations


class AMIError(Exception):
    """Base class of everything the AMI layer raises."""


class AMIProtocolError(AMIError):
    """The byte stream broke the AMI protocol; the connection cannot continue."""


class RemoteProtocolError(AMIProtocolError):
    """The peer sent something that is not valid AMI (malformed line, oversized frame)."""


class LocalProtocolError(AMIProtocolError):
    """We were asked to send something AMI cannot carry (CR/LF in a value, bad key)."""


class AMIAuthenticationError(AMIError):
    """Asterisk refused the login (wrong username, secret or MD5 key). Not retried."""


class AMIResyncError(AMIError):
    """A connect hook (resync after login) failed; the connection is recycled and retried."""


class AMIConnectionLost(AMIError):
    """The connection dropped while an action was waiting for its response."""


class AMINotConnected(AMIError):
    """An action was sent while the client had no logged-in connection."""


class AMIActionTimeout(AMIError):
    """An action got no complete response within its deadline."""
