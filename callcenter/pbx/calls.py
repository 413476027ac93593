"""The calls as Asterisk carries them: caller channel, the caller's holding AGI, the agent leg.

Strategy: the ACD knows calls by id (the caller's Uniqueid); Asterisk's events speak of
channels. `PbxCalls` keeps the mapping both ways for every call between the IVR's handoff
and its end: the caller's channel name (Originate's `Data` and the Bridge's peer), the
hold loop of the caller's AGI session (announcements and the way out go there), and the
agent leg of the current offer (the agent, the endpoint rung, and once answered the
channel's Uniqueid, whose Hangup ends the talk). Nothing here does I/O.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

Instruction = (
    tuple[Literal["announce"], int | None, float | None] | tuple[Literal["leave"], str, str | None]
)
"""What the hold loop is told: announce (position, estimated wait), or leave
(voicemail | callback | timeout | moved, the queue)."""


@dataclass(slots=True)
class AgentLeg:
    """The agent's phone ringing with (or connected to) the call."""

    agent_id: str
    endpoint: str
    kind: str = "voice"
    uniqueid: str | None = None
    channel: str | None = None
    answered: bool = False


@dataclass(slots=True)
class PbxCall:
    """One call the service holds on Asterisk."""

    call_id: str
    caller_channel: str
    caller_number: str | None
    queue: str
    priority: int = 0
    skills: dict[str, int] = field(default_factory=dict)
    """How the call was ranked and matched, for a callback that replaces it."""
    hold: asyncio.Queue[Instruction] = field(default_factory=asyncio.Queue)
    holding: bool = True
    """The caller's AGI is still in its hold loop."""
    leg: AgentLeg | None = None
    connected: bool = False
    ended: bool = False


class PbxCalls:
    """Calls by id, by caller channel and by agent-leg Uniqueid."""

    def __init__(self) -> None:
        """An empty table."""
        self._by_id: dict[str, PbxCall] = {}
        self._by_channel: dict[str, PbxCall] = {}
        self._by_leg: dict[str, PbxCall] = {}
        self._by_endpoint: dict[str, PbxCall] = {}

    def add(self, call: PbxCall) -> None:
        """Track a call from the IVR's handoff on."""
        self._by_id[call.call_id] = call
        self._by_channel[call.caller_channel] = call

    def get(self, call_id: str) -> PbxCall | None:
        """The call with this id (the caller's Uniqueid)."""
        return self._by_id.get(call_id)

    def by_channel(self, channel: str) -> PbxCall | None:
        """The call whose caller is on `channel`."""
        return self._by_channel.get(channel)

    def by_leg(self, uniqueid: str) -> PbxCall | None:
        """The call whose answered agent leg has this Uniqueid."""
        return self._by_leg.get(uniqueid)

    def ringing(self, call: PbxCall, endpoint: str) -> None:
        """An Originate to `endpoint` is about to go out for `call` (one per endpoint)."""
        self._by_endpoint[endpoint] = call

    def by_endpoint(self, endpoint: str) -> PbxCall | None:
        """The call whose offer rings `endpoint` (a dial string such as PJSIP/agent1001)."""
        return self._by_endpoint.get(endpoint)

    def leg_answered(self, call: PbxCall, uniqueid: str, channel: str) -> None:
        """The agent's phone answered: remember its channel, whose Hangup ends the talk."""
        if call.leg is None:
            return
        call.leg.uniqueid = uniqueid
        call.leg.channel = channel
        call.leg.answered = True
        self._by_leg[uniqueid] = call

    def drop_leg(self, call: PbxCall) -> None:
        """The offer is over (timed out, rejected, withdrawn, or the talk ended)."""
        leg = call.leg
        if leg is not None:
            if leg.uniqueid is not None:
                self._by_leg.pop(leg.uniqueid, None)
            if self._by_endpoint.get(leg.endpoint) is call:
                del self._by_endpoint[leg.endpoint]
        call.leg = None

    def forget(self, call: PbxCall) -> None:
        """The call has left the ACD and Asterisk."""
        call.ended = True
        self.drop_leg(call)
        self._by_id.pop(call.call_id, None)
        if self._by_channel.get(call.caller_channel) is call:
            del self._by_channel[call.caller_channel]

    def all(self) -> list[PbxCall]:
        """Every tracked call."""
        return list(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)
