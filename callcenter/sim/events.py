"""Builders for the events the simulator emits, field for field as Asterisk 22 sends them.

Strategy: each builder returns the ordered pairs of one event, in the order the recordings
in `tests/fixtures/asterisk/ami/` show (s1, s3, s5, s7, s9, s10): `Event`, `Privilege`,
then the channel block (see `channel.py`) or the bridge block, then the event's own
fields. Values the simulator cannot know (RTP statistics, thread ids) are left out together
with the events that carry only them (`RTCPSent`, `QueueMemberStatus`); every field of an
event that is emitted is present.
"""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.sim.channel import UNKNOWN, Channel
from callcenter.sim.wire import Pairs

CAUSE_TEXT = {
    0: "Unknown",
    16: "Normal Clearing",
    17: "User busy",
    19: "User alerting, no answer",
    21: "Call Rejected",
}


@dataclass
class Bridge:
    """A basic two-party bridge as BridgeCreate/Enter/Leave/Destroy describe it."""

    uniqueid: str
    technology: str = "simple_bridge"
    members: int = 0

    def block(self) -> Pairs:
        """The bridge header block."""
        return [
            ("BridgeUniqueid", self.uniqueid),
            ("BridgeType", "basic"),
            ("BridgeTechnology", self.technology),
            ("BridgeCreator", UNKNOWN),
            ("BridgeName", UNKNOWN),
            ("BridgeNumChannels", str(self.members)),
            ("BridgeVideoSourceMode", "none"),
        ]


def head(name: str, privilege: str) -> Pairs:
    """`Event` and `Privilege`, the first two lines of every broadcast event."""
    return [("Event", name), ("Privilege", privilege)]


def channel_event(
    name: str, chan: Channel, *extra: tuple[str, str], priv: str = "call,all"
) -> Pairs:
    """An event made of the channel block plus `extra` fields (Newchannel, Newstate ...)."""
    return [*head(name, priv), *chan.block(), *extra]


def varset(chan: Channel, variable: str, value: str) -> Pairs:
    """VarSet (privilege dialplan)."""
    return channel_event(
        "VarSet", chan, ("Variable", variable), ("Value", value), priv="dialplan,all"
    )


def newexten(chan: Channel, application: str, app_data: str = "") -> Pairs:
    """Newexten: the channel runs `application(app_data)` at its dialplan position."""
    return channel_event(
        "Newexten",
        chan,
        ("Extension", chan.exten),
        ("Application", application),
        ("AppData", app_data),
        priv="dialplan,all",
    )


def hangup(chan: Channel, cause: int, tech_cause: int | None = None) -> Pairs:
    """Hangup with the Q.850 cause, its text, and the SIP code when a phone gave one (s9)."""
    tech = (("TechCause", str(tech_cause)),) if tech_cause is not None else ()
    text = CAUSE_TEXT.get(cause, "Unknown")
    return channel_event("Hangup", chan, ("Cause", str(cause)), ("Cause-txt", text), *tech)


def dial_event(name: str, dest: Channel, *extra: tuple[str, str]) -> Pairs:
    """DialBegin/DialState/DialEnd of an Originate: only the `Dest` party, as recorded."""
    return [*head(name, "call,all"), *dest.block("Dest"), *extra]


def bridge_event(name: str, bridge: Bridge, chan: Channel | None = None) -> Pairs:
    """BridgeCreate/Destroy (bridge block only) or BridgeEnter/Leave (plus the channel)."""
    return [*head(name, "call,all"), *bridge.block(), *(chan.block() if chan else [])]


def agi_exec(chan: Channel, command_id: int, command: str, result: tuple[str, str] | None) -> Pairs:
    """AGIExecStart (result None) or AGIExecEnd with `(ResultCode, Result)`."""
    name = "AGIExecStart" if result is None else "AGIExecEnd"
    extra: Pairs = [("CommandId", str(command_id)), ("Command", command)]
    if result is not None:
        extra += [("ResultCode", result[0]), ("Result", result[1])]
    return channel_event(name, chan, *extra, priv="agi,all")


def dtmf_end(chan: Channel, digit: str) -> Pairs:
    """DTMFEnd of a digit the caller pressed (SIP INFO, as in s1)."""
    return channel_event(
        "DTMFEnd",
        chan,
        ("Digit", digit),
        ("DurationMs", "160"),
        ("Direction", "Received"),
        priv="dtmf,all",
    )


def device_state(device: str, state: str) -> Pairs:
    """DeviceStateChange (`PJSIP/agent1001`, `INUSE`)."""
    return [*head("DeviceStateChange", "call,all"), ("Device", device), ("State", state)]


def chanspy(name: str, spyer: Channel, spyee: Channel) -> Pairs:
    """ChanSpyStart/ChanSpyStop with the Spyer and Spyee blocks."""
    return [*head(name, "call,all"), *spyer.block("Spyer"), *spyee.block("Spyee")]


def originate_response(
    action_id: str | None,
    success: bool,
    *,
    dial: str,
    target: Pairs,
    reason: int,
    uniqueid: str,
    caller_num: str,
    caller_name: str,
) -> Pairs:
    """OriginateResponse: an event that carries a `Response` header (s4, s7, s9)."""
    pairs = head("OriginateResponse", "call,all")
    if action_id is not None:
        pairs.append(("ActionID", action_id))
    pairs += [("Response", "Success" if success else "Failure"), ("Channel", dial), *target]
    pairs += [("Reason", str(reason)), ("Uniqueid", uniqueid)]
    return [*pairs, ("CallerIDNum", caller_num), ("CallerIDName", caller_name)]
