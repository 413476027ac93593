"""Reading typed values out of an event's headers.

Strategy: an event keeps its headers as text (see `messages.py`); these helpers turn them
into typed values when asked. `Text` and `Number` are descriptors, so an event class states
`uniqueid = Text("Uniqueid")` once instead of a property per header. The channel block
Asterisk 22 puts in channel events (`Channel`, `ChannelState`, ..., `Linkedid`, prefixed
`Dest`/`Spyer`/`Spyee` for other parties) becomes a `ChannelSnapshot`. A numeric header
that is not a number, or a missing channel block, is a `RemoteProtocolError` naming the
event and the header.
"""

from __future__ import annotations

from typing import NamedTuple, overload

from callcenter.ami.errors import RemoteProtocolError
from callcenter.ami.messages import Event

UNKNOWN = "<unknown>"


def parse_int(headers: dict[str, str], key: str, event: str, default: int = 0) -> int:
    """Header `key` of `event` as an int (`default` when absent or empty)."""
    raw = headers.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise RemoteProtocolError(
            f"AMI event {event}: header {key!r} should be an integer, got {raw[:40]!r}"
        ) from None


class ChannelSnapshot(NamedTuple):
    """One channel as an event describes it (the standard channel header block)."""

    channel: str
    uniqueid: str
    linkedid: str
    state: int
    state_desc: str
    caller_id_num: str
    caller_id_name: str
    connected_line_num: str
    connected_line_name: str
    context: str
    exten: str
    priority: int
    language: str
    account_code: str

    @classmethod
    def parse(cls, h: dict[str, str], event: str, prefix: str = "") -> ChannelSnapshot | None:
        """The snapshot under `prefix` (e.g. "Dest"), or None if the event has no such party."""
        channel = h.get(prefix + "Channel")
        if channel is None:
            return None
        return cls(
            channel,
            h.get(prefix + "Uniqueid", ""),
            h.get(prefix + "Linkedid", ""),
            parse_int(h, prefix + "ChannelState", event),
            h.get(prefix + "ChannelStateDesc", ""),
            h.get(prefix + "CallerIDNum", ""),
            h.get(prefix + "CallerIDName", ""),
            h.get(prefix + "ConnectedLineNum", ""),
            h.get(prefix + "ConnectedLineName", ""),
            h.get(prefix + "Context", ""),
            h.get(prefix + "Exten", ""),
            parse_int(h, prefix + "Priority", event),
            h.get(prefix + "Language", ""),
            h.get(prefix + "AccountCode", ""),
        )


def require_channel(h: dict[str, str], event: str, prefix: str = "") -> ChannelSnapshot:
    """The channel block under `prefix`; `RemoteProtocolError` if the event lacks it."""
    snap = ChannelSnapshot.parse(h, event, prefix)
    if snap is None:
        raise RemoteProtocolError(f"AMI event {event} has no {prefix}Channel header")
    return snap


class Text:
    """A typed, read-only header attribute of an event: `uniqueid = Text("Uniqueid")`."""

    __slots__ = ("default", "key")

    def __init__(self, key: str, default: str = "") -> None:
        self.key = key
        self.default = default

    @overload
    def __get__(self, obj: None, owner: type) -> Text: ...
    @overload
    def __get__(self, obj: Event, owner: type) -> str: ...
    def __get__(self, obj: Event | None, owner: type) -> Text | str:
        if obj is None:
            return self
        return obj.headers.get(self.key, self.default)


class Number:
    """An integer header attribute; a non-number is a `RemoteProtocolError` when read."""

    __slots__ = ("default", "key")

    def __init__(self, key: str, default: int = 0) -> None:
        self.key = key
        self.default = default

    @overload
    def __get__(self, obj: None, owner: type) -> Number: ...
    @overload
    def __get__(self, obj: Event, owner: type) -> int: ...
    def __get__(self, obj: Event | None, owner: type) -> Number | int:
        if obj is None:
            return self
        return parse_int(obj.headers, self.key, obj.name, self.default)


class BridgeSnapshot(NamedTuple):
    """A bridge as BridgeCreate/Enter/Leave/Destroy describe it."""

    bridge_id: str
    bridge_type: str
    technology: str
    num_channels: int
