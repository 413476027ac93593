"""Simulated channels: names, Uniqueids and the header block every channel event carries.

Strategy: names and ids follow the recordings: `PJSIP/<endpoint>-<8 hex digits>` from one
counter shared by all channels (`PJSIP/caller-00000053`, then `PJSIP/agent1001-00000054`),
and Uniqueid `<unix seconds>.<sequence>` from the same counter (`1795341070.94`). A
`Channel` is mutable state (state, dialplan position, connected line, variables); events
take a snapshot of it as the standard block `Channel, ChannelState, ChannelStateDesc,
CallerIDNum, CallerIDName, ConnectedLineNum, ConnectedLineName, Language, AccountCode,
Context, Exten, Priority, Uniqueid, Linkedid`, optionally prefixed (`Dest`, `Spyer`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from callcenter.sim.clock import Clock
from callcenter.sim.wire import Pairs

UNKNOWN = "<unknown>"
DOWN, RING, RINGING, UP = 0, 4, 5, 6
STATE_DESC = {DOWN: "Down", RING: "Ring", RINGING: "Ringing", UP: "Up"}


@dataclass
class Channel:
    """One live channel of the simulated PBX."""

    name: str
    uniqueid: str
    linkedid: str
    endpoint: str
    created: float
    caller_num: str = UNKNOWN
    caller_name: str = UNKNOWN
    connected_num: str = UNKNOWN
    connected_name: str = UNKNOWN
    state: int = DOWN
    context: str = ""
    exten: str = ""
    priority: int = 1
    application: str = ""
    app_data: str = ""
    dnid: str = ""
    bridge_id: str = ""
    was_bridged: bool = False
    alive: bool = True
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def state_desc(self) -> str:
        """The text Asterisk gives the state (`Ring`, `Up` ...)."""
        return STATE_DESC.get(self.state, "Unknown")

    def block(self, prefix: str = "") -> Pairs:
        """The standard channel header block, each key prefixed by `prefix`."""
        return [
            (prefix + "Channel", self.name),
            (prefix + "ChannelState", str(self.state)),
            (prefix + "ChannelStateDesc", self.state_desc),
            (prefix + "CallerIDNum", self.caller_num),
            (prefix + "CallerIDName", self.caller_name),
            (prefix + "ConnectedLineNum", self.connected_num),
            (prefix + "ConnectedLineName", self.connected_name),
            (prefix + "Language", "en"),
            (prefix + "AccountCode", ""),
            (prefix + "Context", self.context),
            (prefix + "Exten", self.exten),
            (prefix + "Priority", str(self.priority)),
            (prefix + "Uniqueid", self.uniqueid),
            (prefix + "Linkedid", self.linkedid),
        ]

    def variable(self, name: str) -> str | None:
        """A channel variable or one of the dialplan functions the simulator knows."""
        functions = {
            "CALLERID(num)": self.caller_num,
            "CALLERID(name)": self.caller_name,
            "CALLERID(all)": f'"{self.caller_name}" <{self.caller_num}>',
            "CONNECTEDLINE(num)": self.connected_num,
            "CHANNEL": self.name,
            "UNIQUEID": self.uniqueid,
            "EXTEN": self.exten,
            "CONTEXT": self.context,
            "CHANNEL(state)": self.state_desc,
        }
        if name in functions:
            value = functions[name]
            return "" if value == UNKNOWN else value
        return self.variables.get(name)


class ChannelFactory:
    """Allocates channel names and Uniqueids the way Asterisk numbers them."""

    def __init__(self, clock: Clock, first: int = 0x40, system_name: str = "") -> None:
        """Number from `first`; `system_name` (asterisk.conf) prefixes every Uniqueid."""
        self._clock = clock
        self._seq = itertools.count(first)
        self._prefix = f"{system_name}-" if system_name else ""

    def new(
        self, endpoint: str, *, linkedid: str | None = None, uniqueid: str | None = None
    ) -> Channel:
        """A fresh channel on `endpoint` (Down, no dialplan position yet); `uniqueid` is
        one the requester assigned (Originate's `ChannelId`), else the counter's."""
        seq = next(self._seq)
        now = self._clock.now()
        uniqueid = uniqueid or f"{self._prefix}{int(now)}.{seq}"
        return Channel(
            name=f"PJSIP/{endpoint}-{seq:08x}",
            uniqueid=uniqueid,
            linkedid=linkedid or uniqueid,
            endpoint=endpoint,
            created=now,
        )


def duration(channel: Channel, now: float) -> str:
    """`HH:MM:SS` since the channel was created (CoreShowChannel's `Duration`)."""
    total = max(0, int(now - channel.created))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"
