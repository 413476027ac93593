"""An Originate of a customer through the trunk into a dialplan context that runs FastAGI:
the automated follow-up call (`PJSIP/<number>@<trunk>`, `Context=followup`, `Exten=s`).

Strategy: the customer is a `Callee` on the trunk (`PbxSimulator.add_callee`; an unknown
number answers after a second). The channel rings as an agent leg of an Originate does
(`originate.AgentLeg`, s7): Newchannel, Newexten AppDial2, a VarSet per `Variable:` header,
NewCallerid/NewConnectedLine when the action sets CallerID, DialBegin, Newstate Ringing,
DialState RINGING; busy (486) is HangupRequest cause 17, DialEnd BUSY, OriginateResponse
Failure Reason 0 and Hangup cause 17 (s9); no answer within the Originate's `Timeout` is
OriginateResponse Failure Reason 3 and Hangup cause 19; the `ChannelId` is the Uniqueid and
is what a failed OriginateResponse reports. Answered, it is Newstate Up, DialEnd ANSWER,
OriginateResponse Success Reason 4, and then the dialplan of that context, played as
config/asterisk/extensions.conf writes it: `AGI(agi://host:port/<script>)` on the channel
itself (`SimOptions.script_for`), then `Hangup()`. The AGI session is a caller's
(`calls.CallerCall`): the customer answers its prompts with the callee's `steps` (keys
pressed, or silence), and hangs up after `talk_s` if set. Not recorded as such: the real-
Asterisk test (tests/real_asterisk/test_real_followup_call.py) holds this module to it.
"""

from __future__ import annotations

from callcenter.sim import events as ev
from callcenter.sim.calls import CallerCall, CallRegistry
from callcenter.sim.channel import RINGING, UNKNOWN, UP
from callcenter.sim.originate import OriginateRequest
from callcenter.sim.participants import Callee, CallerScript, PhoneMode

_PRES = "0 (Presentation Allowed, Not Screened)"


def trunk_number(dial: str, trunk: str) -> str | None:
    """The number of a dial string `PJSIP/<number>@<trunk>`, None for any other."""
    tech, _, rest = dial.partition("/")
    number, at, endpoint = rest.partition("@")
    if tech.upper() != "PJSIP" or not at or endpoint != trunk or not number:
        return None
    return number


class TrunkOriginate(CallerCall):
    """The customer's channel of an Originate through the trunk, to its Hangup."""

    def __init__(self, pbx: CallRegistry, request: OriginateRequest, number: str) -> None:
        callee = pbx.callees.get(number) or Callee(number)
        if callee.then is not None:
            pbx.callees[number] = callee.then
        script = CallerScript(number=number, dialled=request.exten or "s", steps=callee.steps)
        super().__init__(pbx, script)
        self.callee = callee
        self.request = request
        self.channel = pbx.factory.new(pbx.options.trunk, uniqueid=request.channel_id)
        self.record.channel, self.record.uniqueid = self.channel.name, self.channel.uniqueid

    async def run(self) -> None:
        """Ring the customer; answered, run the context's FastAGI to the end of the call."""
        pbx, chan, req, callee = self.pbx, self.channel, self.request, self.callee
        try:
            if pbx.options.originate_setup_s > 0:
                await pbx.clock.sleep(pbx.options.originate_setup_s)
            self._create()
            if callee.mode is PhoneMode.BUSY:
                pbx.emit(
                    ev.channel_event("HangupRequest", chan, ("Cause", "17"), ("TechCause", "486"))
                )
                pbx.emit(ev.dial_event("DialEnd", chan, ("DialStatus", "BUSY")))
                pbx.emit(req.response(False, 0, UNKNOWN))
                self._gone(17, 486)
                return
            chan.state = RINGING
            pbx.emit(ev.channel_event("Newstate", chan))
            pbx.emit(ev.dial_event("DialState", chan, ("DialStatus", "RINGING")))
            answers = callee.mode is PhoneMode.ANSWER and callee.answer_after_s < req.timeout_s
            await pbx.clock.sleep(callee.answer_after_s if answers else req.timeout_s)
            if not chan.alive:
                return
            if not answers:
                pbx.emit(req.response(False, 3, UNKNOWN))
                self._gone(19, 480)
                return
            chan.state = UP
            pbx.emit(ev.channel_event("Newstate", chan))
            pbx.emit(ev.dial_event("DialEnd", chan, ("DialStatus", "ANSWER")))
            pbx.emit(req.response(True, 4, chan.uniqueid))
            if callee.talk_s is not None:
                pbx.spawn(self._hang_up_later(callee.talk_s), f"talk:{chan.name}")
            self.begin_agi(req.context, req.exten or "s", 1)
            while await self._step():
                pass
        finally:
            if chan.alive:
                self.finish(16)
            if not self.done.done():
                self.done.set_result(self.record)

    def _create(self) -> None:
        pbx, chan, req = self.pbx, self.channel, self.request
        chan.caller_num, chan.caller_name = self.callee.number, UNKNOWN
        chan.context, chan.exten = req.context, req.exten or "s"
        pbx.dialled.append(self.callee.number)
        pbx.add(chan)
        pbx.calls[chan.name] = self
        chan.application, chan.app_data = "AppDial2", "(Outgoing Line)"
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
        pbx.emit(ev.dial_event("DialBegin", chan, ("DialString", req.dial.partition("/")[2])))

    def _gone(self, cause: int, tech_cause: int | None = None) -> None:
        self.record.hung_up_by = "pbx"
        self.pbx.emit(ev.hangup(self.channel, cause, tech_cause))
        self.pbx.remove(self.channel)

    def finish(self, cause: int) -> None:
        """Emit the Hangup event and forget the channel (no phone's device state)."""
        if not self.channel.alive:
            return
        self.pbx.emit(ev.hangup(self.channel, cause))
        self.pbx.remove(self.channel)
        self.record.hung_up_by = self.record.hung_up_by or "pbx"
