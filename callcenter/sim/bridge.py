"""A caller and an agent in one basic bridge: connecting, and ending from either side.

Strategy: the sequences are the recorded ones. Connecting (Originate Application=Bridge
answered, s7): BridgeCreate, OriginateResponse Success (Reason 4), MusicOnHoldStop, the
caller's BridgeEnter (it keeps its channel and Uniqueid; its AGI hears -1 then HANGUP),
the agent's BridgeEnter (its Linkedid becomes the caller's), BRIDGEPEER/BRIDGEPVTCALLID
VarSets and NewConnectedLine. The caller hangs up first (s5): HangupRequest, cleared
BRIDGEPEER VarSets, both BridgeLeave, BRIDGERESULT, BridgeDestroy, Hangup agent, Hangup
caller. The agent hangs up first (s7): the same from the agent's side, then the caller
goes on: into the `F(context^exten^priority)` target of the Bridge data (Newexten NoOp,
Newexten AGI, a new FastAGI session on the same channel) or, without F, to the
dialplan's Hangup() (s10).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import TYPE_CHECKING, Protocol

from callcenter.sim import events as ev
from callcenter.sim.agi_client import Interrupt
from callcenter.sim.registry_types import AgentSide, Registry
from callcenter.sim.wire import Pairs

if TYPE_CHECKING:
    from callcenter.sim.calls import CallerCall

Target = tuple[str, str, int]


class BridgeRegistry(Registry, Protocol):
    """The registry a bridge lives in (`pbx.Pbx` is one): it enters the bridge table."""

    bridges: dict[str, Bridging]
    """Live bridges, by bridge Uniqueid."""


def parse_bridge_data(data: str) -> tuple[str, Target | None]:
    """`PJSIP/caller-00000053,F(survey^s^1)` -> the channel and the F() target, if any."""
    channel, _, options = data.partition(",")
    start = options.find("F(")
    if start == -1:
        return channel, None
    inner = options[start + 2 :].split(")", 1)[0]
    parts = inner.split("^")
    if len(parts) != 3 or not parts[2].isdigit():
        return channel, None
    return channel, (parts[0], parts[1], int(parts[2]))


class Bridging:
    """One bridge between a waiting caller and the agent leg that called them."""

    def __init__(
        self, pbx: BridgeRegistry, caller: CallerCall, agent: AgentSide, after: Target | None
    ):
        self.pbx, self.caller, self.agent, self.after = pbx, caller, agent, after
        self.bridge = ev.Bridge(str(uuid.uuid4()))
        self.ended = False
        self._pvt = (f"1-{random.randrange(10000, 99999)}@127.0.0.1", str(uuid.uuid4()))

    def _peers(self, cleared: bool = False) -> None:
        emit, a, c = self.pbx.emit, self.agent.channel, self.caller.channel
        emit(ev.varset(a, "BRIDGEPEER", "" if cleared else c.name))
        emit(ev.varset(a, "BRIDGEPVTCALLID", "" if cleared else self._pvt[0]))
        emit(ev.varset(c, "BRIDGEPEER", "" if cleared else a.name))
        emit(ev.varset(c, "BRIDGEPVTCALLID", "" if cleared else self._pvt[1]))

    def connect(self, originate_response: Pairs) -> None:
        """Bridge the two channels now (the agent has just answered)."""
        emit, a, c, call = self.pbx.emit, self.agent.channel, self.caller.channel, self.caller
        self.pbx.bridges[self.bridge.uniqueid] = self
        emit(ev.bridge_event("BridgeCreate", self.bridge))
        emit(originate_response)
        if call.moh:
            call.moh = False
            emit(ev.channel_event("MusicOnHoldStop", c))
        call.bridge_over = asyncio.get_running_loop().create_future()
        if call.leg is not None:
            call.leg.interrupt(Interrupt.BRIDGED)
        c.priority += 1
        c.application, c.app_data = "", ""
        for chan in (c, a):
            chan.bridge_id, chan.was_bridged = self.bridge.uniqueid, True
            self.bridge.members += 1
            if chan is a:
                a.linkedid = c.linkedid
            emit(ev.bridge_event("BridgeEnter", self.bridge, chan))
        self._peers()
        self._peers()
        a.connected_num, a.connected_name = c.caller_num, c.caller_name
        emit(ev.channel_event("NewConnectedLine", a))
        self._peers()
        c.connected_num, c.connected_name = a.caller_num, a.caller_name
        emit(ev.channel_event("NewConnectedLine", c))
        call.record.bridged_to = self.agent.phone.endpoint
        if call.script.talk_s is not None:
            self.pbx.spawn(self._talk(call.script.talk_s, by_caller=True), f"talk:{c.name}")
        if self.agent.phone.talk_s is not None:
            self.pbx.spawn(self._talk(self.agent.phone.talk_s, by_caller=False), f"talk:{a.name}")

    async def _talk(self, seconds: float, *, by_caller: bool) -> None:
        await self.pbx.clock.sleep(seconds)
        if not self.ended:
            if by_caller:
                self.caller.record.hung_up_by = self.caller.record.hung_up_by or "caller"
            else:
                self.agent.hung_up_by = "agent"
            self.end(by_caller=by_caller)

    def _leave(self) -> None:
        for chan in (self.caller.channel, self.agent.channel):
            chan.bridge_id = ""
        self.pbx.bridges.pop(self.bridge.uniqueid, None)
        self.bridge.technology = "native_rtp"

    def end(self, *, by_caller: bool) -> None:
        """One side hangs up: the bridge comes down as the recordings show."""
        if self.ended:
            return
        self.ended = True
        emit, a, c, call = self.pbx.emit, self.agent.channel, self.caller.channel, self.caller
        first, second = (c, a) if by_caller else (a, c)
        emit(ev.channel_event("HangupRequest", first))
        if by_caller:
            emit(ev.varset(c, "BRIDGEPEER", ""))
            emit(ev.varset(c, "BRIDGEPVTCALLID", ""))
            emit(ev.varset(a, "BRIDGEPEER", ""))
            emit(ev.varset(a, "BRIDGEPVTCALLID", ""))
        else:
            self._peers(cleared=True)
        self._leave()
        self.bridge.members = 1
        emit(ev.bridge_event("BridgeLeave", self.bridge, first))
        if not by_caller:
            emit(ev.varset(a, "BRIDGERESULT", "SUCCESS"))
        self.bridge.members = 0
        emit(ev.bridge_event("BridgeLeave", self.bridge, second))
        if by_caller:
            emit(ev.varset(a, "BRIDGERESULT", "SUCCESS"))
        emit(ev.bridge_event("BridgeDestroy", self.bridge))
        if by_caller:
            call.record.hung_up_by = call.record.hung_up_by or "caller"
            self.agent.finish(16)
            call.finish(16)
        else:
            call.record.hung_up_by = call.record.hung_up_by or self.agent.hung_up_by
            self._caller_goes_on()
            self.agent.finish(16)
        if call.bridge_over is not None and not call.bridge_over.done():
            call.bridge_over.set_result(None)

    def _caller_goes_on(self) -> None:
        call, c = self.caller, self.caller.channel
        script = None if self.after is None else self.pbx.options.script_for(self.after[0])
        if self.after is None or script is None:
            call.dialplan_hangup(advance=False)
            return
        context, exten, priority = self.after
        c.context, c.exten, c.priority = context, exten, priority
        note = f"survey for {c.name} after agent hangup, BRIDGEPEER="
        self.pbx.emit(ev.newexten(c, "NoOp", note))
        call.begin_agi(context, exten, priority + 1)
