"""Typed AMI events for the ones the product routes on.

Strategy: Asterisk 22 describes a channel in an event by a fixed block of headers
(`Channel`, `ChannelState`, ..., `Uniqueid`, `Linkedid`), prefixed for the other parties
(`Dest...` in DialBegin/DialEnd, `Spyer...`/`Spyee...` in ChanSpyStart). That block becomes a
`ChannelSnapshot`; each typed event class adds typed attributes of its own. Field names and
shapes follow the recordings in `tests/fixtures/asterisk/ami/` (e.g. `Cause-txt` in
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

from callcenter.ami.fields import (
    UNKNOWN,
    BridgeSnapshot,
    ChannelSnapshot,
    Number,
    Text,
    parse_int,
    require_channel,
)
from callcenter.ami.messages import Event


class ChannelEvent(Event):
    """An event about one channel: Newchannel, Newstate, Hangup, ..."""

    __slots__ = ()

    @property
    def channel(self) -> ChannelSnapshot:
        """The channel this event is about."""
        return require_channel(self.headers, self.name)

    uniqueid = Text("Uniqueid")
    """The channel's Uniqueid (the call's identity on Asterisk)."""


class Newchannel(ChannelEvent):
    """A channel was created (a caller arrives, an Originate starts ringing an agent)."""

    __slots__ = ()


class Newstate(ChannelEvent):
    """A channel changed state (Ringing, Up, ...): `channel.state` / `channel.state_desc`."""

    __slots__ = ()


class Newexten(ChannelEvent):
    """The channel moved to a dialplan step, running `application(app_data)`."""

    __slots__ = ()

    application = Text("Application")
    """The dialplan application of this step."""

    app_data = Text("AppData")
    """Its arguments."""


class VarSet(Event):
    """A variable was set; `channel` is None for a global variable."""

    __slots__ = ()

    @property
    def channel(self) -> ChannelSnapshot | None:
        """The channel the variable belongs to, or None for a global."""
        return ChannelSnapshot.parse(self.headers, self.name)

    uniqueid = Text("Uniqueid")
    """The channel's Uniqueid ("" for a global)."""

    variable = Text("Variable")
    """The variable's name."""

    value = Text("Value")
    """Its new value."""


class DialEvent(Event):
    """DialBegin / DialState / DialEnd: `caller` is None for an Originate (no calling leg)."""

    __slots__ = ()

    @property
    def caller(self) -> ChannelSnapshot | None:
        """The dialling channel, if any."""
        return ChannelSnapshot.parse(self.headers, self.name)

    @property
    def dest(self) -> ChannelSnapshot:
        """The dialled channel."""
        return require_channel(self.headers, self.name, "Dest")

    dial_string = Text("DialString")
    """What was dialled (DialBegin)."""

    dial_status = Text("DialStatus")
    """ANSWER, BUSY, NOANSWER, CANCEL, RINGING, ... (DialState, DialEnd)."""


class DialBegin(DialEvent):
    """Asterisk started dialling `dest`."""

    __slots__ = ()


class DialState(DialEvent):
    """The dialled party progressed (e.g. RINGING)."""

    __slots__ = ()


class DialEnd(DialEvent):
    """Dialling ended with `dial_status`."""

    __slots__ = ()


class BridgeEvent(Event):
    """An event about a bridge."""

    __slots__ = ()

    @property
    def bridge(self) -> BridgeSnapshot:
        """The bridge."""
        h = self.headers
        return BridgeSnapshot(
            h.get("BridgeUniqueid", ""),
            h.get("BridgeType", ""),
            h.get("BridgeTechnology", ""),
            parse_int(h, "BridgeNumChannels", self.name),
        )


class BridgeCreate(BridgeEvent):
    """A bridge was created."""

    __slots__ = ()


class BridgeDestroy(BridgeEvent):
    """A bridge was torn down."""

    __slots__ = ()


class BridgeChannelEvent(BridgeEvent):
    """BridgeEnter / BridgeLeave: a channel and the bridge it joined or left."""

    __slots__ = ()

    @property
    def channel(self) -> ChannelSnapshot:
        """The channel that entered or left."""
        return require_channel(self.headers, self.name)

    uniqueid = Text("Uniqueid")
    """That channel's Uniqueid."""


class BridgeEnter(BridgeChannelEvent):
    """A channel joined a bridge: for a waiting caller's Uniqueid this means connected."""

    __slots__ = ()

    @property
    def swap_uniqueid(self) -> str | None:
        """The channel this one replaced in the bridge (transfers), if any."""
        return self.headers.get("SwapUniqueid")


class BridgeLeave(BridgeChannelEvent):
    """A channel left a bridge (one side hung up, or a transfer)."""

    __slots__ = ()


class Hangup(ChannelEvent):
    """The channel is gone. `cause` is the Q.850 cause (16 normal, 17 busy, ...)."""

    __slots__ = ()

    cause = Number("Cause")
    """The Q.850 cause code."""

    cause_txt = Text("Cause-txt")
    """Its text (`Cause-txt`)."""


class HangupRequest(ChannelEvent):
    """A hang-up was requested on the channel (HangupRequest / SoftHangupRequest)."""

    __slots__ = ()

    @property
    def cause(self) -> int | None:
        """The requested cause, if given."""
        cause = parse_int(self.headers, "Cause", self.name, -1)
        return None if cause == -1 else cause


class DTMFEvent(ChannelEvent):
    """DTMFBegin / DTMFEnd: `digit` pressed, `direction` Received or Sent."""

    __slots__ = ()

    digit = Text("Digit")
    """The digit (0-9, *, #, A-D)."""

    direction = Text("Direction")
    """Received (from the phone) or Sent."""

    @property
    def duration_ms(self) -> int | None:
        """How long the digit lasted (DTMFEnd only)."""
        if "DurationMs" not in self.headers:
            return None
        return parse_int(self.headers, "DurationMs", self.name)


class DTMFBegin(DTMFEvent):
    """A DTMF digit started."""

    __slots__ = ()


class DTMFEnd(DTMFEvent):
    """A DTMF digit ended; SIP INFO digits show only as DTMFEnd (see fixtures README)."""

    __slots__ = ()


class MusicOnHold(ChannelEvent):
    """MusicOnHoldStart / MusicOnHoldStop."""

    __slots__ = ()

    moh_class = Text("Class")
    """The music class ("" on stop)."""


class OriginateResponse(Event):
    """The outcome of an async Originate (an event that carries a `Response` header).

    `reason` is Asterisk's control frame code: 4 answered, 3 no answer (ring timeout),
    0 failed (also a 486 Busy, see s9), 5 busy, 8 congestion. `uniqueid` is None when
    Asterisk says `<unknown>` (no channel survived).
    """

    __slots__ = ()

    response = Text("Response")
    """Success or Failure."""

    @property
    def succeeded(self) -> bool:
        """True when the originated channel was answered."""
        return self.response == "Success"

    reason = Number("Reason")
    """The reason code (see the class docstring)."""

    channel_name = Text("Channel")
    """What was originated (a dial string such as `PJSIP/agent1001`)."""

    application = Text("Application")
    """The application the answered leg was sent to (e.g. Bridge)."""

    data = Text("Data")
    """Its data (for Bridge, the caller's channel and options)."""

    context = Text("Context")
    """The dialplan context, for an Originate into the dialplan."""

    exten = Text("Exten")
    """The extension, for an Originate into the dialplan."""

    @property
    def uniqueid(self) -> str | None:
        """The originated channel's Uniqueid, or None when Asterisk says `<unknown>`."""
        value = self.headers.get("Uniqueid", UNKNOWN)
        return None if value in ("", UNKNOWN) else value


class DeviceStateChange(Event):
    """A device (e.g. `PJSIP/agent1001`) changed state: NOT_INUSE, INUSE, RINGING, ..."""

    __slots__ = ()

    device = Text("Device")
    """The device name."""

    state = Text("State")
    """Its new state."""


class FullyBooted(Event):
    """Asterisk is up (sent right after login, and after a restart)."""

    __slots__ = ()

    status = Text("Status")
    """"Fully Booted"."""

    uptime = Number("Uptime")
    """Seconds since Asterisk started."""

    last_reload = Number("LastReload")
    """Seconds since the last reload."""


class ChanSpy(Event):
    """ChanSpyStart / ChanSpyStop: a supervisor's channel spying on an agent's."""

    __slots__ = ()

    @property
    def spyer(self) -> ChannelSnapshot:
        """The supervisor's channel."""
        return require_channel(self.headers, self.name, "Spyer")

    @property
    def spyee(self) -> ChannelSnapshot | None:
        """The spied-on channel (may be missing on stop)."""
        return ChannelSnapshot.parse(self.headers, self.name, "Spyee")


class CoreShowChannel(ChannelEvent):
    """One item of a CoreShowChannels list (used to resync after a reconnect)."""

    __slots__ = ()

    application = Text("Application")
    """The application the channel is in (AGI, Bridge, ...)."""

    application_data = Text("ApplicationData")
    """Its arguments (for AGI, the script URL)."""

    bridge_id = Text("BridgeId")
    """The bridge the channel is in, "" if none."""

    duration = Text("Duration")
    """How long the channel has existed, as Asterisk prints it (HH:MM:SS)."""


class UserEvent(Event):
    """A UserEvent. It repeats the raising action's headers, ActionID included."""

    __slots__ = ()

    user_event = Text("UserEvent")
    """The user event's own name."""


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
