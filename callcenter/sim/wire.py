"""The AMI wire seen from the server's side: actions in, responses and events out.

Strategy: the product's codec (`callcenter.ami`) reads what Asterisk sends; a simulator
needs the other direction. `ActionReader` is sans-IO like `AMIReader`: `feed(bytes)` returns
every whole action (an action is `Key: Value` CRLF lines ended by an empty line, as the
`.sent.txt` recordings show), each as its ordered `(key, value)` pairs, parsed with the
codec's own `split_lines`. `encode_message` writes pairs back as CRLF lines plus the empty
line, the framing of every recorded response and event. A buffer over `max_size` without a
terminator is refused with `RemoteProtocolError`, so a peer cannot grow it without bound.
"""

from __future__ import annotations

from collections.abc import Iterable

from callcenter.ami.errors import RemoteProtocolError
from callcenter.ami.messages import split_lines

Pairs = list[tuple[str, str]]
"""Ordered `(key, value)` pairs of one AMI message; keys can repeat."""

_TERMINATOR = b"\r\n\r\n"


class ActionReader:
    """Incremental parser of the actions a client sends."""

    def __init__(self, max_size: int = 1024 * 1024) -> None:
        self._buf = bytearray()
        self._max = max_size

    def feed(self, data: bytes) -> list[Pairs]:
        """Add `data`; return every action now complete, in order."""
        self._buf += data
        out: list[Pairs] = []
        while True:
            end = self._buf.find(_TERMINATOR)
            if end == -1:
                if len(self._buf) > self._max:
                    raise RemoteProtocolError(f"AMI action larger than {self._max} bytes")
                return out
            text = self._buf[:end].decode("utf-8", "replace").strip("\r\n")
            del self._buf[: end + 4]
            if text:
                out.append(split_lines(text))


def get(pairs: Iterable[tuple[str, str]], key: str, default: str | None = None) -> str | None:
    """The first value of `key` (case-insensitive, as Asterisk matches headers)."""
    wanted = key.lower()
    for k, v in pairs:
        if k.lower() == wanted:
            return v
    return default


def get_all(pairs: Iterable[tuple[str, str]], key: str) -> list[str]:
    """Every value of a repeated key such as `Variable`, in order."""
    wanted = key.lower()
    return [v for k, v in pairs if k.lower() == wanted]


def encode_message(pairs: Iterable[tuple[str, str]]) -> bytes:
    """`Key: Value` CRLF lines then an empty line; an empty value keeps its space."""
    return "".join(f"{k}: {v}\r\n" for k, v in pairs).encode("utf-8") + b"\r\n"
