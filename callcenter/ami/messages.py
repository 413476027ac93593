"""The messages the AMI codec produces: banner, responses, events and action results.

Strategy: an AMI message is an ordered list of `Key: Value` pairs (keys can repeat, as
`Output:` in a Command reply or `Variable:` in an Originate). Every message keeps all its
pairs in order (`fields`) and a dict for lookups (`headers`, last value wins for repeated
keys). A message keeps its text and rebuilds the ordered pairs only when `fields` is read:
at tens of thousands of events a second, keeping a per-line object for every event that
nobody inspects whole was the largest avoidable cost (callgrind counts, benchmarks/).
Typed events (see `callcenter.ami.events`) are subclasses of `Event` that add parsed
attributes; an event type we do not know stays a plain `Event` with every field kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from callcenter.ami.errors import RemoteProtocolError

Fields = tuple[tuple[str, str], ...]
"""Ordered `(key, value)` pairs of one AMI message, exactly as received."""


def split_lines(text: str) -> list[tuple[str, str]]:
    """Every `Key: Value` line of one message's text, in order; repeats kept.

    `Key:` with nothing after it is an empty value; a line with no colon, or an empty key,
    is a `RemoteProtocolError` naming the line.
    """
    pairs: list[tuple[str, str]] = []
    for line in text.split("\r\n"):
        key, sep, value = line.partition(": ")
        if not sep:
            key, sep, value = line.partition(":")
        if not sep or not key:
            raise RemoteProtocolError(f"malformed AMI line (no 'Key: Value'): {line[:80]!r}")
        pairs.append((key, value))
    return pairs


@dataclass(frozen=True, slots=True)
class Banner:
    """The greeting line Asterisk sends on connect, e.g. `Asterisk Call Manager/11.0.0`."""

    text: str

    @property
    def version(self) -> str:
        """The protocol version after the slash (`11.0.0`), or "" if there is none."""
        return self.text.rpartition("/")[2] if "/" in self.text else ""


class Message(NamedTuple):
    """Common shape of responses and events: the message text plus a lookup table.

    A NamedTuple, not a frozen dataclass: as immutable, and building one costs half the
    instructions (callgrind: 3.2k against 6.0k), which at tens of thousands of events a
    second is the difference benchmarks/ami_throughput.py measures. Subclasses add only
    properties and descriptors, never fields (`__slots__ = ()`).
    """

    text: str
    headers: dict[str, str]
    name: str = ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.fields!r})"

    def __hash__(self) -> int:
        return hash((type(self), self.text))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.text == self.text

    def __ne__(self, other: object) -> bool:
        return not self == other

    @property
    def fields(self) -> Fields:
        """Every `(key, value)` pair in the order Asterisk sent them, repeats included."""
        return tuple(split_lines(self.text))

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value of `key` (the last one if repeated), or `default`."""
        return self.headers.get(key, default)

    def get_all(self, key: str) -> list[str]:
        """Every value of a repeated key, in order (e.g. all `Output` lines)."""
        return [v for k, v in split_lines(self.text) if k == key]

    @property
    def action_id(self) -> str | None:
        """The `ActionID` this message carries, if any."""
        return self.headers.get("ActionID")


class Response(Message):
    """A reply to an action: `Response: Success|Error|Goodbye|...`."""

    __slots__ = ()

    @property
    def status(self) -> str:
        """The value of the `Response` header (`Success`, `Error`, `Goodbye`)."""
        return self.headers.get("Response", "")

    @property
    def ok(self) -> bool:
        """True unless Asterisk answered `Error` (Goodbye to a Logoff is a success)."""
        return self.status != "Error"

    @property
    def message(self) -> str | None:
        """The human text in the `Message` header, if any."""
        return self.headers.get("Message")

    @property
    def output(self) -> list[str]:
        """The `Output:` lines of a `Command` action's reply, one per line of CLI text."""
        return self.get_all("Output")

    @property
    def starts_list(self) -> bool:
        """True when more messages follow (`EventList: start`)."""
        return self.headers.get("EventList", "").lower() == "start"


class Event(Message):
    """An event; `name` is its `Event` header. Unknown event types keep all their fields."""

    __slots__ = ()

    @property
    def privilege(self) -> str:
        """The `Privilege` header (`call,all`, ...), "" for list items that lack it."""
        return self.headers.get("Privilege", "")


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The complete answer to one action: its response and, for list actions, every item.

    For list actions (`EventList: start`) `events` holds the items in order and `complete`
    the closing `...Complete` event (with `ListItems`); otherwise both are empty.
    """

    response: Response
    events: tuple[Event, ...] = ()
    complete: Event | None = None

    @property
    def ok(self) -> bool:
        """Whether Asterisk accepted the action."""
        return self.response.ok
