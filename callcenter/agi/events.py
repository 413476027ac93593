"""What the AGI codec hands out: the request, replies, hang-up notices, the close.

Strategy: `AGICodec.next_event()` returns exactly one of the `Event` types below, or the
`NEED_DATA` sentinel when it needs more bytes. `AGIRequest` (request.py) is the environment
complete; `AGIResponse` (responses.py) a reply to the command in flight; `HangupNotice` the
`HANGUP` line Asterisk writes on its own schedule, often between a command and its reply
(agi-s2-*, agi-s3-*, agi-s5-* in `tests/fixtures/asterisk/agi/`), and never a reply;
`ConnectionClosed` the end of Asterisk's byte stream.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

from callcenter.agi.request import AGIRequest
from callcenter.agi.responses import AGIResponse


@dataclass(frozen=True, slots=True)
class HangupNotice:
    """Asterisk's asynchronous `HANGUP` line: the channel has hung up."""


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """Asterisk closed its side of the connection; no more events will come."""


class _Sentinel(enum.Enum):
    NEED_DATA = "NEED_DATA"


NEED_DATA: Final = _Sentinel.NEED_DATA
"""Returned by `next_event()` when the buffered bytes hold no whole event yet."""

NeedData: TypeAlias = Literal[_Sentinel.NEED_DATA]
"""The type of `NEED_DATA`."""

Event: TypeAlias = AGIRequest | AGIResponse | HangupNotice | ConnectionClosed
"""Everything `next_event()` can return besides `NEED_DATA`."""
