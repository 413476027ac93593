"""Typed AMI events for the ones the product routes on.

Strategy: Asterisk 22 describes a channel in an event by a fixed block of headers
(`Channel`, `ChannelState`, ..., `Uniqueid`, `Linkedid`), prefixed for the other parties
(`Dest...` in DialBegin/DialEnd, `Spyer...`/`Spyee...` in ChanSpyStart). That block becomes a
`ChannelSnapshot`; each typed event class adds typed attributes of its own. Field names and
shapes follow the recordings in `shared/fixtures/asterisk/ami/` (e.g. `Cause-txt` in
Hangup, `Uniqueid: <unknown>` in a failed OriginateResponse).

The reader picks the class by event name and nothing more; the typed attributes are
properties that read the headers when asked. Most events on a busy PBX (VarSet is 41% of
the s11 stream) are looked at for one or two fields, so parsing every header of every event
up front would cost more than the whole framing (measured in benchmarks/ami_throughput.py).
A typed event is still an `Event`: `fields` keeps every header, so nothing is lost. A
numeric header that is not a number, or a missing channel block, raises
`RemoteProtocolError` naming the event and the header, when the attribute is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from callcenter.ami.errors import RemoteProtocolError
from callcenter.ami.messages import Event

UNKNOWN = "<unknown>"


def _int(headers: dict[str, str], key: str, event: str, default: int = 0) -> int:
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
            _int(h, prefix + "ChannelState", event),
            h.get(prefix + "ChannelStateDesc", ""),
            h.get(prefix + "CallerIDNum", ""),
            h.get(prefix + "CallerIDName", ""),
            h.get(prefix + "ConnectedLineNum", ""),
            h.get(prefix + "ConnectedLineName", ""),
            h.get(prefix + "Context", ""),
            h.get(prefix + "Exten", ""),
            _int(h, prefix + "Priority", event),
            h.get(prefix + "Language", ""),
            h.get(prefix + "AccountCode", ""),
        )


def _require_channel(h: dict[str, str], event: str, prefix: str = "") -> ChannelSnapshot:
    snap = ChannelSnapshot.parse(h, event, prefix)
    if snap is None:
        raise RemoteProtocolError(f"AMI event {event} has no {prefix}Channel header")
    return snap


class BridgeSnapshot(NamedTuple):
    """A bridge as BridgeCreate/Enter/Leave/Destroy describe it."""

    bridge_id: str
    bridge_type: str
    technology: str
    num_channels: int


@dataclass(frozen=True, slots=True, repr=False)
class ChannelEvent(Event):
    """An event about one channel: Newchannel, Newstate, Hangup, ..."""

    @property
    def channel(self) -> ChannelSnapshot:
        """The channel this event is about."""
        return _require_channel(self.headers, self.name)

    @property
    def uniqueid(self) -> str:
        """The channel's Uniqueid (the call's identity on Asterisk)."""
        return self.headers.get("Uniqueid", "")


@dataclass(frozen=True, slots=True, repr=False)
class Newchannel(ChannelEvent):
    """A channel was created (a caller arrives, an Originate starts ringing an agent)."""


@dataclass(frozen=True, slots=True, repr=False)
class Newstate(ChannelEvent):
    """A channel changed state (Ringing, Up, ...): `channel.state` / `channel.state_desc`."""


@dataclass(frozen=True, slots=True, repr=False)
class Newexten(ChannelEvent):
    """The channel moved to a dialplan step, running `application(app_data)`."""

    @property
    def application(self) -> str:
        """The dialplan application of this step."""
        return self.headers.get("Application", "")

    @property
    def app_data(self) -> str:
        """Its arguments."""
        return self.headers.get("AppData", "")


@dataclass(frozen=True, slots=True, repr=False)
class VarSet(Event):
    """A variable was set; `channel` is None for a global variable."""

    @property
    def channel(self) -> ChannelSnapshot | None:
        """The channel the variable belongs to, or None for a global."""
        return ChannelSnapshot.parse(self.headers, self.name)

    @property
    def uniqueid(self) -> str:
        """The channel's Uniqueid ("" for a global)."""
        return self.headers.get("Uniqueid", "")

    @property
    def variable(self) -> str:
        """The variable's name."""
        return self.headers.get("Variable", "")

    @property
    def value(self) -> str:
        """Its new value."""
        return self.headers.get("Value", "")


@dataclass(frozen=True, slots=True, repr=False)
class DialEvent(Event):
    """DialBegin / DialState / DialEnd: `caller` is None for an Originate (no calling leg)."""

    @property
    def caller(self) -> ChannelSnapshot | None:
        """The dialling channel, if any."""
        return ChannelSnapshot.parse(self.headers, self.name)

    @property
    def dest(self) -> ChannelSnapshot:
        """The dialled channel."""
        return _require_channel(self.headers, self.name, "Dest")

    @property
    def dial_string(self) -> str:
        """What was dialled (DialBegin)."""
        return self.headers.get("DialString", "")

    @property
    def dial_status(self) -> str:
        """ANSWER, BUSY, NOANSWER, CANCEL, RINGING, ... (DialState, DialEnd)."""
        return self.headers.get("DialStatus", "")


@dataclass(frozen=True, slots=True, repr=False)
class DialBegin(DialEvent):
    """Asterisk started dialling `dest`."""


@dataclass(frozen=True, slots=True, repr=False)
class DialState(DialEvent):
    """The dialled party progressed (e.g. RINGING)."""


@dataclass(frozen=True, slots=True, repr=False)
class DialEnd(DialEvent):
    """Dialling ended with `dial_status`."""


@dataclass(frozen=True, slots=True, repr=False)
class BridgeEvent(Event):
    """An event about a bridge."""

    @property
    def bridge(self) -> BridgeSnapshot:
        """The bridge."""
        h = self.headers
        return BridgeSnapshot(
            h.get("BridgeUniqueid", ""),
            h.get("BridgeType", ""),
            h.get("BridgeTechnology", ""),
            _int(h, "BridgeNumChannels", self.name),
        )


@dataclass(frozen=True, slots=True, repr=False)
class BridgeCreate(BridgeEvent):
    """A bridge was created."""


@dataclass(frozen=True, slots=True, repr=False)
class BridgeDestroy(BridgeEvent):
    """A bridge was torn down."""


@dataclass(frozen=True, slots=True, repr=False)
class BridgeChannelEvent(BridgeEvent):
    """BridgeEnter / BridgeLeave: a channel and the bridge it joined or left."""

    @property
    def channel(self) -> ChannelSnapshot:
        """The channel that entered or left."""
        return _require_channel(self.headers, self.name)

    @property
    def uniqueid(self) -> str:
        """That channel's Uniqueid."""
        return self.headers.get("Uniqueid", "")


@dataclass(frozen=True, slots=True, repr=False)
class BridgeEnter(BridgeChannelEvent):
    """A channel joined a bridge: for a waiting caller's Uniqueid this means connected."""

    @property
    def swap_uniqueid(self) -> str | None:
        """The channel this one replaced in the bridge (transfers), if any."""
        return self.headers.get("SwapUniqueid")


@dataclass(frozen=True, slots=True, repr=False)
class BridgeLeave(BridgeChannelEvent):
    """A channel left a bridge (one side hung up, or a transfer)."""


@dataclass(frozen=True, slots=True, repr=False)
class Hangup(ChannelEvent):
    """The channel is gone. `cause` is the Q.850 cause (16 normal, 17 busy, ...)."""

    @property
    def cause(self) -> int:
        """The Q.850 cause code."""
        return _int(self.headers, "Cause", self.name)

    @property
    def cause_txt(self) -> str:
        """Its text (`Cause-txt`)."""
        return self.headers.get("Cause-txt", "")


@dataclass(frozen=True, slots=True, repr=False)
class HangupRequest(ChannelEvent):
    """A hang-up was requested on the channel (HangupRequest / SoftHangupRequest)."""

    @property
    def cause(self) -> int | None:
        """The requested cause, if given."""
        cause = _int(self.headers, "Cause", self.name, -1)
        return None if cause == -1 else cause


@dataclass(frozen=True, slots=True, repr=False)
class DTMFEvent(ChannelEvent):
    """DTMFBegin / DTMFEnd: `digit` pressed, `direction` Received or Sent."""

    @property
    def digit(self) -> str:
        """The digit (0-9, *, #, A-D)."""
        return self.headers.get("Digit", "")

    @property
    def direction(self) -> str:
        """Received (from the phone) or Sent."""
        return self.headers.get("Direction", "")

    @property
    def duration_ms(self) -> int | None:
        """How long the digit lasted (DTMFEnd only)."""
        if "DurationMs" not in self.headers:
            return None
        return _int(self.headers, "DurationMs", self.name)


@dataclass(frozen=True, slots=True, repr=False)
class DTMFBegin(DTMFEvent):
    """A DTMF digit started."""


@dataclass(frozen=True, slots=True, repr=False)
class DTMFEnd(DTMFEvent):
    """A DTMF digit ended; SIP INFO digits show only as DTMFEnd (see fixtures README)."""


@dataclass(frozen=True, slots=True, repr=False)
class MusicOnHold(ChannelEvent):
    """MusicOnHoldStart / MusicOnHoldStop."""

    @property
    def moh_class(self) -> str:
        """The music class ("" on stop)."""
        return self.headers.get("Class", "")


@dataclass(frozen=True, slots=True, repr=False)
class OriginateResponse(Event):
    """The outcome of an async Originate (an event that carries a `Response` header).

    `reason` is Asterisk's control frame code: 4 answered, 3 no answer (ring timeout),
    0 failed (also a 486 Busy, see s9), 5 busy, 8 congestion. `uniqueid` is None when
    Asterisk says `<unknown>` (no channel survived).
    """

    @property
    def response(self) -> str:
        """Success or Failure."""
        return self.headers.get("Response", "")

    @property
    def succeeded(self) -> bool:
        """True when the originated channel was answered."""
        return self.response == "Success"

    @property
    def reason(self) -> int:
        """The reason code (see the class docstring)."""
        return _int(self.headers, "Reason", self.name)

    @property
    def channel_name(self) -> str:
        """What was originated (a dial string such as `PJSIP/agent1001`)."""
        return self.headers.get("Channel", "")

    @property
    def application(self) -> str:
        """The application the answered leg was sent to (e.g. Bridge)."""
        return self.headers.get("Application", "")

    @property
    def data(self) -> str:
        """Its data (for Bridge, the caller's channel and options)."""
        return self.headers.get("Data", "")

    @property
    def context(self) -> str:
        """The dialplan context, for an Originate into the dialplan."""
        return self.headers.get("Context", "")

    @property
    def exten(self) -> str:
        """The extension, for an Originate into the dialplan."""
        return self.headers.get("Exten", "")

    @property
    def uniqueid(self) -> str | None:
        """The originated channel's Uniqueid, or None when Asterisk says `<unknown>`."""
        value = self.headers.get("Uniqueid", UNKNOWN)
        return None if value in ("", UNKNOWN) else value


@dataclass(frozen=True, slots=True, repr=False)
class DeviceStateChange(Event):
    """A device (e.g. `PJSIP/agent1001`) changed state: NOT_INUSE, INUSE, RINGING, ..."""

    @property
    def device(self) -> str:
        """The device name."""
        return self.headers.get("Device", "")

    @property
    def state(self) -> str:
        """Its new state."""
        return self.headers.get("State", "")


@dataclass(frozen=True, slots=True, repr=False)
class FullyBooted(Event):
    """Asterisk is up (sent right after login, and after a restart)."""

    @property
    def status(self) -> str:
        """ "Fully Booted"."""
        return self.headers.get("Status", "")

    @property
    def uptime(self) -> int:
        """Seconds since Asterisk started."""
        return _int(self.headers, "Uptime", self.name)

    @property
    def last_reload(self) -> int:
        """Seconds since the last reload."""
        return _int(self.headers, "LastReload", self.name)


@dataclass(frozen=True, slots=True, repr=False)
class ChanSpy(Event):
    """ChanSpyStart / ChanSpyStop: a supervisor's channel spying on an agent's."""

    @property
    def spyer(self) -> ChannelSnapshot:
        """The supervisor's channel."""
        return _require_channel(self.headers, self.name, "Spyer")

    @property
    def spyee(self) -> ChannelSnapshot | None:
        """The spied-on channel (may be missing on stop)."""
        return ChannelSnapshot.parse(self.headers, self.name, "Spyee")


@dataclass(frozen=True, slots=True, repr=False)
class CoreShowChannel(ChannelEvent):
    """One item of a CoreShowChannels list (used to resync after a reconnect)."""

    @property
    def application(self) -> str:
        """The application the channel is in (AGI, Bridge, ...)."""
        return self.headers.get("Application", "")

    @property
    def application_data(self) -> str:
        """Its arguments (for AGI, the script URL)."""
        return self.headers.get("ApplicationData", "")

    @property
    def bridge_id(self) -> str:
        """The bridge the channel is in, "" if none."""
        return self.headers.get("BridgeId", "")

    @property
    def duration(self) -> str:
        """How long the channel has existed, as Asterisk prints it (HH:MM:SS)."""
        return self.headers.get("Duration", "")


@dataclass(frozen=True, slots=True, repr=False)
class UserEvent(Event):
    """A UserEvent. It repeats the raising action's headers, ActionID included."""

    @property
    def user_event(self) -> str:
        """The user event's own name."""
        return self.headers.get("UserEvent", "")


EVENT_CLASSES: dict[str, type[Event]] = {
    "Newchannel": Newchannel,
    "Newstate": Newstate,
    "Newexten": Newexten,
    "VarSet": VarSet,
    "DialBegin": DialBegin,
    "DialState": DialState,
    "DialEnd": DialEnd,
    "BridgeCreate": BridgeCreate,
    "BridgeDestroy": BridgeDestroy,
    "BridgeEnter": BridgeEnter,
    "BridgeLeave": BridgeLeave,
    "Hangup": Hangup,
    "HangupRequest": HangupRequest,
    "SoftHangupRequest": HangupRequest,
    "DTMFBegin": DTMFBegin,
    "DTMFEnd": DTMFEnd,
    "MusicOnHoldStart": MusicOnHold,
    "MusicOnHoldStop": MusicOnHold,
    "OriginateResponse": OriginateResponse,
    "DeviceStateChange": DeviceStateChange,
    "FullyBooted": FullyBooted,
    "ChanSpyStart": ChanSpy,
    "ChanSpyStop": ChanSpy,
    "CoreShowChannel": CoreShowChannel,
    "UserEvent": UserEvent,
}
"""Event name -> class. Names not listed here stay plain `Event`s with every field."""


def make_event(name: str, text: str, headers: dict[str, str]) -> Event:
    """The typed event for `name`, or a plain `Event` for a type we do not route on."""
    return EVENT_CLASSES.get(name, Event)(text, headers, name)
