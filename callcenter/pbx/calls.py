"""The calls as Asterisk carries them: caller channel, the caller's holding AGI, the agent leg.

Strategy: the ACD knows calls by id (the caller's Uniqueid); Asterisk's events speak of
channels. `PbxCalls` keeps the mapping both ways for every call between the IVR's handoff
and its end: the caller's channel name (Originate's `Data` and the Bridge's peer), the
hold loop of the caller's AGI session (announcements and the way out go there), and the
agent leg of the current offer (the agent, the endpoint rung, and once answered the
channel's Uniqueid, whose Hangup ends the talk). Nothing here does I/O.

Every agent leg carries a Uniqueid of our own, sent as the Originate's `ChannelId`:
Asterisk gives the leg's channel that Uniqueid, so `Newchannel`, `OriginateResponse` (even
a failed one, whose `Channel` is only the dial string) and `Hangup` all name the leg
exactly, however many offers ring the same phone. A leg stays in the table from its
Originate until Asterisk reports it gone, also after its offer is over or its call
forgotten: a leg withdrawn before its channel showed up must still be hung up when it
does.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import Literal

Instruction = (
    tuple[Literal["announce"], int | None, float | None] | tuple[Literal["leave"], str, str | None]
)
"""What the hold loop is told: announce (position, estimated wait), or leave
(voicemail | callback | timeout | moved, the queue)."""


LEG_ID_PREFIX = "cc-"
"""How the Uniqueids the backend gives its Originates start (`new_leg_id`)."""


def new_leg_id() -> str:
    """A Uniqueid for an agent leg (the Originate's `ChannelId`), unique across restarts."""
    return f"{LEG_ID_PREFIX}{secrets.token_hex(8)}"


@dataclass(slots=True)
class AgentLeg:
    """The agent's phone ringing with (or connected to) the call."""

    agent_id: str
    endpoint: str
    kind: str = "voice"
    uniqueid: str = ""
    """The leg's Uniqueid: ours (`ChannelId`) for an offer, Asterisk's for a leg taken over."""
    call_id: str = ""
    channel: str | None = None
    """The channel's name, once `Newchannel` (or the answer) has shown it."""
    answered: bool = False
    withdrawn: bool = False
    """The offer was withdrawn: the leg must be hung up, and what it does means nothing."""
    hung_up: bool = False
    """Asterisk accepted a Hangup action for the leg."""
    server: str | None = None
    """The Asterisk server the leg was originated on (None: the default server)."""


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
    server: str | None = None
    """The Asterisk server the caller's channel is on (None: the default server, or a
    callback bound to none): offers to the caller are originated there."""
    hold: asyncio.Queue[Instruction] = field(default_factory=asyncio.Queue)
    holding: bool = True
    """The caller's AGI is still in its hold loop."""
    arriving: bool = False
    """A standby queued the call and sends the caller's session here (a cluster): what the
    hold loop is told waits in `hold` until the session holds the caller."""
    hold_turn: int = 0
    """Counts the AGI sessions that held the caller: after a node fail-over a newer
    session holds the call, and only its loop may end the hold."""
    leg: AgentLeg | None = None
    connected: bool = False
    ended: bool = False


class PbxCalls:
    """Calls by id, by caller channel and by agent-leg Uniqueid; agent legs by Uniqueid."""

    def __init__(self) -> None:
        """An empty table."""
        self._by_id: dict[str, PbxCall] = {}
        self._by_channel: dict[str, PbxCall] = {}
        self._by_leg: dict[str, PbxCall] = {}
        self._legs: dict[str, AgentLeg] = {}
        self._offer_legs: dict[tuple[str, str], AgentLeg] = {}

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
        """The call whose current agent leg has this Uniqueid."""
        return self._by_leg.get(uniqueid)

    def start_leg(self, call: PbxCall, leg: AgentLeg) -> None:
        """An Originate is about to ring `leg` for `call`: follow the leg until it is gone."""
        self.drop_leg(call)
        leg.call_id = call.call_id
        call.leg = leg
        self._by_leg[leg.uniqueid] = call
        self._legs[leg.uniqueid] = leg
        self._offer_legs[(call.call_id, leg.agent_id)] = leg

    def leg(self, uniqueid: str) -> AgentLeg | None:
        """A leg Asterisk may still carry, by its Uniqueid (its call may be over)."""
        return self._legs.get(uniqueid)

    def offer_leg(self, call_id: str, agent_id: str) -> AgentLeg | None:
        """The leg that rings (or rang) `agent_id` with `call_id`, while Asterisk has it."""
        return self._offer_legs.get((call_id, agent_id))

    def legs(self) -> list[AgentLeg]:
        """Every leg Asterisk may still carry."""
        return list(self._legs.values())

    def leg_answered(self, call: PbxCall, uniqueid: str, channel: str) -> None:
        """The agent's phone answered: remember its channel, whose Hangup ends the talk."""
        leg = call.leg
        if leg is None:
            return
        if leg.uniqueid != uniqueid:
            self._by_leg.pop(leg.uniqueid, None)
            self._legs.pop(leg.uniqueid, None)
            leg.uniqueid = uniqueid
        leg.channel = channel
        leg.answered = True
        leg.call_id = call.call_id
        self._by_leg[uniqueid] = call
        self._legs[uniqueid] = leg

    def drop_leg(self, call: PbxCall) -> AgentLeg | None:
        """The offer is over (timed out, rejected, withdrawn, or the talk ended); the leg.

        The leg itself is followed until Asterisk reports it gone (`end_leg`).
        """
        leg = call.leg
        if leg is not None and self._by_leg.get(leg.uniqueid) is call:
            del self._by_leg[leg.uniqueid]
        call.leg = None
        return leg

    def end_leg(self, leg: AgentLeg) -> None:
        """Asterisk has no channel for `leg` any more (its Hangup, or it never had one)."""
        if self._legs.get(leg.uniqueid) is leg:
            del self._legs[leg.uniqueid]
        key = (leg.call_id, leg.agent_id)
        if self._offer_legs.get(key) is leg:
            del self._offer_legs[key]
        call = self._by_leg.get(leg.uniqueid)
        if call is not None and call.leg is leg:
            self.drop_leg(call)

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
