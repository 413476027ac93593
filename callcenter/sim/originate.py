"""AMI Originate to an agent's or supervisor's phone: ring, answer, then Bridge or ChanSpy.

Strategy: an `AgentLeg` plays the recorded sequences. Ringing (s7): Newchannel, Newexten
AppDial2, a VarSet per `Variable:` header, NewCallerid/NewConnectedLine when the action
sets CallerID, DialBegin, Newstate Ringing, DialState RINGING. Then one of:
answered -> Newstate Up, DialEnd ANSWER and the application: `Bridge` hands over to
`bridge.Bridging` (s5/s7), `ChanSpy` emits ChanSpyStart/ChanSpyStop with Spyer/Spyee
blocks (s10), the callback context runs the dial to the customer (`outbound`), another
Context/Exten target just stays up (s4); no answer before `Timeout` ->
OriginateResponse Failure with Reason 3 and Uniqueid `<unknown>`, Hangup cause 19; busy
(486) -> HangupRequest cause 17, DialEnd BUSY, OriginateResponse Failure Reason 0 (not 5),
Hangup cause 17 (s9); an unknown endpoint -> OriginateResponse Failure Reason 0 at once
(s4), and so does a phone that is not registered; no free RTP port (`rtp_ports`) ->
Newchannel, HangupRequest, OriginateResponse Failure Reason 0, Hangup cause 0 in state Down
(the phone never rings); an AMI Hangup while it rings -> DialEnd NOANSWER,
OriginateResponse Failure Reason 0, Hangup with the action's cause (0 without one); these
three as Asterisk 22.10.1 does. With
`ChannelId` the channel takes that Uniqueid and every OriginateResponse, a failed one too,
reports it instead of `<unknown>`. The waiting caller is never disturbed by a failed offer.
Each ring is kept as a `PhoneRing` (`Pbx.rings`) for tests.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from callcenter.sim import events as ev
from callcenter.sim.bridge import BridgeRegistry, Bridging, parse_bridge_data
from callcenter.sim.channel import RINGING, UNKNOWN, UP, Channel
from callcenter.sim.outbound import DialRegistry, OutboundDial
from callcenter.sim.participants import AgentPhone, PhoneMode, PhoneRing
from callcenter.sim.wire import Pairs

if TYPE_CHECKING:
    from callcenter.sim.calls import CallerCall


class LegRegistry(BridgeRegistry, DialRegistry, Protocol):
    """The registry an agent leg runs on (`pbx.Pbx` is one): it enters the leg table, finds
    the caller a Bridge names, and hands itself to the leg's bridge or callback dial."""

    calls: dict[str, CallerCall]
    """Live callers' calls, by channel name."""
    legs: dict[str, AgentLeg]
    """Live agent legs, by channel name."""


@dataclass(frozen=True, slots=True)
class OriginateRequest:
    """The parts of an Originate action the simulator acts on."""

    dial: str
    application: str | None
    data: str
    context: str
    exten: str
    timeout_s: float
    caller_id: tuple[str, str] | None
    variables: tuple[tuple[str, str], ...]
    action_id: str | None
    channel_id: str | None = None
    """The Uniqueid the requester assigned (`ChannelId`), if any."""

    def target(self) -> Pairs:
        """The Application/Data or Context/Exten fields of the OriginateResponse."""
        if self.application is not None:
            return [("Application", self.application), ("Data", self.data)]
        return [("Context", self.context), ("Exten", self.exten)]

    def response(self, success: bool, reason: int, uniqueid: str) -> Pairs:
        """The OriginateResponse event for this request (a failed one reports the assigned
        `ChannelId` when there is one, as manager.c's fast_originate does)."""
        if not success and uniqueid == UNKNOWN and self.channel_id:
            uniqueid = self.channel_id
        num, name = self.caller_id or (UNKNOWN, UNKNOWN)
        return ev.originate_response(
            self.action_id,
            success,
            dial=self.dial,
            target=self.target(),
            reason=reason,
            uniqueid=uniqueid,
            caller_num=num,
            caller_name=name,
        )


def parse_caller_id(text: str | None) -> tuple[str, str] | None:
    """`Queue <8000>` -> ("8000", "Queue"); a bare number is its own name."""
    if not text:
        return None
    if "<" in text and text.endswith(">"):
        name, _, num = text[:-1].partition("<")
        return num.strip(), name.strip().strip('"') or num.strip()
    return text.strip(), text.strip()


class AgentLeg:
    """The channel an Originate creates on a phone, from ringing to its Hangup."""

    def __init__(self, pbx: LegRegistry, phone: AgentPhone, request: OriginateRequest) -> None:
        self.pbx, self.phone, self.request = pbx, phone, request
        self.channel: Channel = pbx.factory.new(phone.endpoint, uniqueid=request.channel_id)
        self.ring = PhoneRing(phone.endpoint, self.channel.name, self.channel.uniqueid)
        pbx.rings.append(self.ring)
        self.bridging: Bridging | None = None
        self.spying: Channel | None = None
        self.hung_up_by = "agent"
        self._stop: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def hangup(self, by: str, *, cause: int | None = 16) -> None:
        """Hang this leg up (the phone, an AMI Hangup, or the simulator); `cause` None is
        a Hangup action without one: Asterisk leaves the channel's cause unset (0)."""
        self.hung_up_by = by
        self.ring.hung_up_by = self.ring.hung_up_by or by
        if self.bridging is not None and not self.bridging.ended:
            self.bridging.end(by_caller=False)
        elif not self._stop.done():
            self._stop.set_result(cause if cause is not None else (0 if self.ringing else 16))

    @property
    def stopped(self) -> asyncio.Future[int]:
        """Done, with the cause, once the phone (or an AMI Hangup) hangs this leg up."""
        return self._stop

    @property
    def ringing(self) -> bool:
        """Whether the phone is ringing (not yet answered)."""
        return self.ring.outcome == "ringing"

    def channel_gone(self, channel: Channel) -> None:
        """Another channel hung up: a spy with the E option leaves with its spyee."""
        if self.spying is channel and not self._stop.done():
            self._stop.set_result(16)

    def finish(self, cause: int, tech_cause: int | None = None) -> None:
        """Emit the Hangup event and forget the channel."""
        if self.channel.alive:
            self.pbx.emit(ev.hangup(self.channel, cause, tech_cause))
            self.pbx.emit(ev.device_state(f"PJSIP/{self.phone.endpoint}", "NOT_INUSE"))
            self.pbx.remove(self.channel)

    async def _wait_stop(self, seconds: float | None) -> int | None:
        """The hang-up cause if the leg is hung up within `seconds`, else None."""
        timeout = None if seconds is None else self.pbx.clock.real_seconds(seconds)
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.shield(self._stop)
        except TimeoutError:
            return None

    async def run(self) -> None:
        """Ring the phone and play the outcome."""
        pbx, phone = self.pbx, self.phone
        if pbx.options.originate_setup_s > 0:
            await pbx.clock.sleep(pbx.options.originate_setup_s)
        busy = phone.mode is PhoneMode.BUSY or pbx.phone_busy(phone.endpoint)
        if not pbx.media_port_free():
            self._no_media_port()
            return
        self._create()
        if busy:
            self._busy()
            return
        await self._ring()

    def _create(self) -> None:
        """The channel comes up and the dial begins (s7's sequence up to DialBegin)."""
        pbx, chan, req, phone = self.pbx, self.channel, self.request, self.phone
        chan.caller_num, chan.caller_name = phone.caller_num, phone.caller_name
        chan.context, chan.exten = "agents", "s"
        pbx.add(chan)
        pbx.legs[chan.name] = self
        chan.application, chan.app_data = "AppDial2", "(Outgoing Line)"
        if (req.application or "").lower() == "bridge":
            call = pbx.calls.get(parse_bridge_data(req.data)[0])
            if call is not None:
                call.record.agents_rung.append(phone.endpoint)
        pbx.emit(ev.channel_event("Newchannel", chan))
        pbx.emit(ev.newexten(chan, "AppDial2", "(Outgoing Line)"))
        for name, value in req.variables:
            chan.variables[name] = value
            pbx.emit(ev.varset(chan, name, value))
        if req.caller_id is not None:
            chan.caller_num, chan.caller_name = req.caller_id
            pbx.emit(ev.channel_event("NewCallerid", chan, ("CID-CallingPres", _PRES)))
            chan.connected_num, chan.connected_name = req.caller_id
            pbx.emit(ev.channel_event("NewConnectedLine", chan))
        pbx.emit(ev.dial_event("DialBegin", chan, ("DialString", phone.endpoint)))

    def _no_media_port(self) -> None:
        """No RTP port for the INVITE's offer: the channel is hung up before it rings."""
        pbx, chan, req = self.pbx, self.channel, self.request
        self.ring.outcome, self.ring.hung_up_by = "failed", "pbx"
        pbx.add(chan)
        pbx.legs[chan.name] = self
        pbx.emit(ev.channel_event("Newchannel", chan))
        for name, value in req.variables:
            chan.variables[name] = value
            pbx.emit(ev.varset(chan, name, value))
        pbx.emit(ev.channel_event("HangupRequest", chan))
        pbx.emit(req.response(False, 0, UNKNOWN))
        self.finish(0)

    def _busy(self) -> None:
        """486 Busy Here: Reason 0 (not 5), the busy shows only in the Hangup (s9)."""
        pbx, chan = self.pbx, self.channel
        self.ring.outcome = "busy"
        pbx.emit(ev.channel_event("HangupRequest", chan, ("Cause", "17"), ("TechCause", "486")))
        pbx.emit(ev.dial_event("DialEnd", chan, ("DialStatus", "BUSY")))
        pbx.emit(self.request.response(False, 0, UNKNOWN))
        self.finish(17, 486)

    async def _ring(self) -> None:
        pbx, chan, req, phone = self.pbx, self.channel, self.request, self.phone
        chan.state = RINGING
        pbx.emit(ev.channel_event("Newstate", chan))
        pbx.emit(ev.dial_event("DialState", chan, ("DialStatus", "RINGING")))
        pbx.emit(ev.device_state(f"PJSIP/{phone.endpoint}", "RINGING"))
        answer_in = phone.answer_after_s if phone.mode is PhoneMode.ANSWER else None
        answers = answer_in is not None and answer_in < req.timeout_s
        cause = await self._wait_stop(answer_in if answers else req.timeout_s)
        if cause is not None:
            # Hung up while ringing (an AMI Hangup): the dial ends unanswered, as Asterisk
            # 22.10.1 does (DialEnd NOANSWER, Reason 0, then the Hangup).
            self.ring.outcome = "cancelled"
            pbx.emit(ev.dial_event("DialEnd", chan, ("DialStatus", "NOANSWER")))
            pbx.emit(req.response(False, 0, UNKNOWN))
            self.finish(cause)
            return
        if not answers:
            self.ring.outcome, self.ring.hung_up_by = "no-answer", "pbx"
            pbx.emit(req.response(False, 3, UNKNOWN))
            self.finish(19, 480)
            return
        self.ring.outcome = "answered"
        chan.state = UP
        pbx.emit(ev.channel_event("Newstate", chan))
        pbx.emit(ev.dial_event("DialEnd", chan, ("DialStatus", "ANSWER")))
        pbx.emit(ev.device_state(f"PJSIP/{phone.endpoint}", "INUSE"))
        await self._application()

    async def _application(self) -> None:
        pbx, chan, req = self.pbx, self.channel, self.request
        success = req.response(True, 4, chan.uniqueid)
        app = (req.application or "").lower()
        chan.application, chan.app_data = req.application or "", req.data
        if app == "bridge":
            target, after = parse_bridge_data(req.data)
            call = pbx.calls.get(target)
            if call is None or call.channel.bridge_id or not call.channel.alive:
                # Nobody to bridge with: Bridge() fails and Asterisk hangs the phone up.
                pbx.emit(success)
                self.ring.hung_up_by = self.ring.hung_up_by or "pbx"
                self.finish(16)
                return
            self.ring.bridged_to = call.channel.name
            self.bridging = Bridging(pbx, call, self, after)
            self.bridging.connect(success)
            return
        pbx.emit(success)
        if not app and req.context == pbx.options.callback_context:
            await OutboundDial(pbx, self, req.exten).run()  # an agent-first callback
            return
        if app == "chanspy":
            self.spying = pbx.find(req.data.split(",")[0])
            if self.spying is None:
                self.finish(16)
                return
            pbx.emit(ev.chanspy("ChanSpyStart", chan, self.spying))
        cause = await self._wait_stop(self.phone.talk_s)
        if self.spying is not None:
            if cause is not None and self.spying.alive:
                pbx.emit(ev.channel_event("HangupRequest", chan))
            pbx.emit(ev.chanspy("ChanSpyStop", chan, self.spying))
            cause = 0
        self.finish(16 if cause is None else cause)


_PRES = "0 (Presentation Allowed, Not Screened)"
