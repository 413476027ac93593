"""An agent-first callback on the simulated PBX: the answered agent leg dials the customer.

Strategy: an Originate into `SimOptions.callback_context` runs, once the agent's phone has
answered, the product's dialplan (config/asterisk/extensions.conf): `callbacks,<number>,1`
NoOp, GotoIf (the digits check), Goto `outbound,<number>,1`, GotoIf (the same check),
`Dial(PJSIP/<number>@<trunk>,<timeout>)`, Hangup(). A number that is not `+` and digits is
never dialled: the check sends it to `refused` (NoOp, Hangup()), which hangs the agent's
leg up (a number without the `+` has no extension in [callbacks] at all: the same). The
customer on the trunk is a `Callee` (`PbxSimulator.add_callee`; an unknown number answers
after a second). The events are those of a Dial from a channel as recorded in s2 (an AGI's
caller dialling an agent): the dialled channel's Newchannel, its Linkedid the dialling
channel's, then Newstate Ringing, DialBegin with both channel blocks and DialState RINGING;
on answer Newstate Up, DialEnd ANSWER, BridgeCreate, the dialled channel's BridgeEnter and
then the dialling channel's; the side that hangs up first leaves the bridge first
(HangupRequest, BridgeLeave, BridgeLeave, BridgeDestroy), the dialled channel's Hangup comes
before the dialling channel's. A busy customer (486) is Hangup cause 17 with DialEnd BUSY,
as s9's busy phone; no answer before the Dial's timeout is DialEnd NOANSWER and Hangup
cause 19, as s9's phone that only rang (the Dial's own time-out was not recorded). After a
Dial that did not connect, the dialplan's Hangup() ends the agent leg (cause 16). The Dial
to a trunk itself was not recorded: the real-Asterisk tests hold this module to it.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Protocol

from callcenter.sim import events as ev
from callcenter.sim.channel import RINGING, UP, Channel
from callcenter.sim.participants import Callee, PhoneMode
from callcenter.sim.registry_types import AgentSide, Registry
from callcenter.sim.wire import Pairs

NORMAL, BUSY, NO_ANSWER = 16, 17, 19
_E164_DIGITS = re.compile(r"\+[0-9]{2,}")
"""What [callbacks] dials (`_+X.` and only digits after the `+`)."""
_CHECK = "$[${LEN(${FILTER(0123456789,${EXTEN:1})})} != ${LEN(${EXTEN:1})}]?refused,1"


class DialRegistry(Registry, Protocol):
    """The registry a callback's dial runs on (`pbx.Pbx` is one): it enters the dial table."""

    dials: dict[str, OutboundDial]
    """Customer legs of callbacks, by channel name."""


def dial_event(name: str, caller: Channel, dest: Channel, *extra: tuple[str, str]) -> Pairs:
    """DialBegin/DialState/DialEnd of a Dial from a channel: both blocks, as in s2."""
    return [*ev.head(name, "call,all"), *caller.block(), *dest.block("Dest"), *extra]


class OutboundDial:
    """The customer's leg of one callback, from the Dial to both Hangups."""

    def __init__(self, pbx: DialRegistry, leg: AgentSide, number: str) -> None:
        self.pbx, self.leg, self.number = pbx, leg, number
        self.callee: Callee = pbx.callees.get(number) or Callee(number)
        if self.callee.then is not None:
            pbx.callees[number] = self.callee.then
        self.channel: Channel | None = None
        self.hung_up_by: str | None = None
        """`customer` or `agent` once the talk ends; None if the customer never answered."""
        self._stop: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def hangup(self, cause: int = NORMAL) -> None:
        """The customer hangs up (the simulator's `hangup` of the trunk channel; while it
        rings, a decline)."""
        if not self._stop.done():
            self._stop.set_result(cause)

    async def run(self) -> None:
        """Play the dialplan from the answered agent leg to its Hangup."""
        pbx, a, opts, number = self.pbx, self.leg.channel, self.pbx.options, self.number
        a.context, a.exten, a.priority = opts.callback_context, number, 1
        who = f"callback {a.variables.get('CC_CALL_ID', '')} by {a.variables.get('CC_AGENT', '')}"
        if _E164_DIGITS.fullmatch(number) is None:
            self._refused(who)
            return
        pbx.emit(ev.newexten(a, "NoOp", who))
        a.priority = 2
        pbx.emit(ev.newexten(a, "GotoIf", _CHECK))
        a.priority = 3
        pbx.emit(ev.newexten(a, "Goto", f"outbound,{number},1"))
        a.context, a.priority = "outbound", 1
        pbx.emit(ev.newexten(a, "GotoIf", _CHECK))
        a.priority = 2
        timeout = opts.dial_timeout_s
        pbx.emit(ev.newexten(a, "Dial", f"PJSIP/{number}@{opts.trunk},{timeout:g}"))
        pbx.dialled.append(number)
        out = pbx.factory.new(opts.trunk, linkedid=a.linkedid)
        out.caller_num, out.caller_name = a.caller_num, a.caller_name
        out.connected_num, out.connected_name = a.caller_num, a.caller_name
        out.context, out.exten = "inbound", "s"
        self.channel = out
        pbx.add(out)
        pbx.dials[out.name] = self
        pbx.emit(ev.channel_event("Newchannel", out))
        out.state, out.exten = RINGING, number
        pbx.emit(ev.channel_event("Newstate", out))
        pbx.emit(dial_event("DialBegin", a, out, ("DialString", f"{number}@{opts.trunk}")))
        pbx.emit(dial_event("DialState", a, out, ("DialStatus", "RINGING")))
        callee = self.callee
        if callee.mode is PhoneMode.BUSY:
            pbx.emit(ev.channel_event("HangupRequest", out, ("Cause", "17"), ("TechCause", "486")))
            pbx.emit(dial_event("DialEnd", a, out, ("DialStatus", "BUSY")))
            self._gone(out, BUSY, 486)
            self._dialplan_hangup()
            return
        answers = callee.mode is PhoneMode.ANSWER and callee.answer_after_s < timeout
        first = await self._first(callee.answer_after_s if answers else timeout)
        if first == "agent":
            pbx.emit(dial_event("DialEnd", a, out, ("DialStatus", "CANCEL")))
            self._gone(out, NORMAL)
            self.leg.finish(self.leg.stopped.result())
            return
        if first == "customer" or not answers:
            # Declined while it rang (cause 21 by default), or nobody answered in time.
            status = "CHANUNAVAIL" if first == "customer" else "NOANSWER"
            pbx.emit(dial_event("DialEnd", a, out, ("DialStatus", status)))
            self._gone(out, self._stop.result() if first == "customer" else NO_ANSWER)
            self._dialplan_hangup()
            return
        await self._talk(a, out)

    async def _first(self, seconds: float | None) -> str | None:
        """Who hangs up first within `seconds`: `agent`, `customer`, or None (neither)."""
        waits = [asyncio.shield(self.leg.stopped), asyncio.shield(self._stop)]
        timeout = None if seconds is None else self.pbx.clock.real_seconds(seconds)
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if self.leg.stopped.done():
            return "agent"
        return "customer" if self._stop.done() else None

    async def _talk(self, a: Channel, out: Channel) -> None:
        pbx = self.pbx
        out.state = UP
        pbx.emit(ev.channel_event("Newstate", out))
        pbx.emit(dial_event("DialEnd", a, out, ("DialStatus", "ANSWER")))
        bridge = ev.Bridge(str(uuid.uuid4()))
        pbx.emit(ev.bridge_event("BridgeCreate", bridge))
        for chan in (out, a):
            chan.bridge_id, chan.was_bridged = bridge.uniqueid, True
            bridge.members += 1
            pbx.emit(ev.bridge_event("BridgeEnter", bridge, chan))
        out.connected_num, out.connected_name = a.caller_num, a.caller_name
        talk = {"agent": self.leg.phone.talk_s, "customer": self.callee.talk_s}
        timed = sorted((s, who) for who, s in talk.items() if s is not None)
        first = await self._first(timed[0][0] if timed else None)
        if first is None:  # whoever talks for less hangs up
            first = timed[0][1]
        self.hung_up_by = first
        if first == "agent":
            self.leg.hung_up_by = "agent"
        leaving, staying = (a, out) if first == "agent" else (out, a)
        pbx.emit(ev.channel_event("HangupRequest", leaving))
        for chan in (leaving, staying):
            bridge.members -= 1
            chan.bridge_id = ""
            pbx.emit(ev.bridge_event("BridgeLeave", bridge, chan))
        pbx.emit(ev.bridge_event("BridgeDestroy", bridge))
        self._gone(out, NORMAL)
        if first == "agent":
            pbx.emit(ev.channel_event("SoftHangupRequest", a, ("Cause", "16")))
            self.leg.finish(NORMAL)
        else:
            self._dialplan_hangup()

    def _gone(self, out: Channel, cause: int, tech_cause: int | None = None) -> None:
        self.pbx.emit(ev.hangup(out, cause, tech_cause))
        self.pbx.dials.pop(out.name, None)
        self.pbx.remove(out)

    def _refused(self, who: str) -> None:
        """Not `+` and digits: the check's `refused` extension hangs the agent leg up."""
        a = self.leg.channel
        if not self.number.startswith("+"):
            # No extension takes it: Asterisk hangs the answered channel up at once.
            self.leg.finish(NORMAL)
            return
        self.pbx.emit(ev.newexten(a, "NoOp", who))
        a.priority = 2
        self.pbx.emit(ev.newexten(a, "GotoIf", _CHECK))
        a.exten, a.priority = "refused", 1
        call_id = a.variables.get("CC_CALL_ID", "")
        self.pbx.emit(ev.newexten(a, "NoOp", f"callback {call_id}: not a number in E.164"))
        a.priority = 2
        self.pbx.emit(ev.newexten(a, "Hangup", ""))
        self.leg.finish(NORMAL)

    def _dialplan_hangup(self) -> None:
        """The Dial is over without a talk: the dialplan's Hangup() ends the agent leg."""
        a = self.leg.channel
        a.priority = 3
        self.pbx.emit(ev.newexten(a, "Hangup", ""))
        self.leg.finish(NORMAL)
