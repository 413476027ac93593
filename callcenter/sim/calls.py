"""One simulated caller's channel, from the INVITE to the last Hangup event.

Strategy: `CallerCall.run()` plays the dialplan of `lab-config/extensions.conf`:
`inbound` answers (Newchannel, VarSet SIPDOMAIN, Newexten Answer, Newstate Up) and runs
the IVR over FastAGI (`agi_client.AGILeg`); the caller's script answers the prompts. Then
what the recordings show for each ending: the server closes on a live channel -> the
dialplan's `Hangup()` (s10); the caller hangs up during the AGI -> HangupRequest, the AGI
hears -1/HANGUP, and the Hangup event only once the server has closed (s3); the agent's
Originate bridges the caller -> the AGI is left with an empty shell and the bridge module
takes over (s5), possibly sending the caller on to the survey context with a new FastAGI
session on the same channel and Uniqueid (s7). A caller who finds no RTP port (`rtp_ports`)
is refused with no channel at all. `done` resolves with the `CallRecord`.

The product's dialplan (config/asterisk/extensions.conf, [fastagi]) adds FastAGI fail-over,
modelled here on the one address the simulator knows: a session that ends on a live
channel without the backend's `CC_DONE=1` is taken for a node that went away and the
FastAGI is entered again at once; a refused connection waits `FAILOVER_RETRY_S` (music)
first, `FAILOVER_ROUNDS` times at most; then a queued caller waits in `[queue-hold]` and
anyone else is hung up. A session that ends with `CC_LEADER=<host:port>` set (a standby
node sent the call on to the cluster's leader) runs the script there next, the variable
cleared first; that session ending without `CC_DONE` counts as a failed round. The real
dialplan's behaviour is tested on the real Asterisk
(tests/real_asterisk/test_real_fastagi_failover.py, test_real_standby_agi.py).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Protocol

from callcenter.sim import events as ev
from callcenter.sim.agi_client import AGILeg, Interrupt, Outcome
from callcenter.sim.channel import RING, UNKNOWN, UP, Channel
from callcenter.sim.clock import Clock
from callcenter.sim.participants import CallerScript, CallRecord, Press, Step
from callcenter.sim.registry_types import Registry
from callcenter.sim.wire import Pairs

QUEUED_VARIABLE = "CC_QUEUED"
"""Set to 1 by the product's IVR once a caller is queued; the dialplan holds them after an
AGI that ends without a hang-up (see `CallerCall._hold_in_dialplan`)."""

DONE_VARIABLE = "CC_DONE"
"""Set to 1 by the backend when it is done with a call it leaves up: no fail-over then."""

LEADER_VARIABLE = "CC_LEADER"
"""Set by a standby backend node to the leader's FastAGI `host:port`: [fastagi] goes there."""

FAILOVER_ROUNDS = 8
FAILOVER_RETRY_S = 2.0
"""The dialplan's BACKEND_ROUNDS and BACKEND_RETRY_S ([globals])."""


class CallRegistry(Registry, Protocol):
    """The registry a caller's call runs on (`pbx.Pbx` is one): it enters the call table."""

    calls: dict[str, CallerCall]
    """Live callers' calls, by channel name."""


class CallerCall:
    """The caller's side of one call; implements `agi_media.CallSide` for its AGI legs."""

    def __init__(self, pbx: CallRegistry, script: CallerScript) -> None:
        self.pbx = pbx
        self.script = script
        self.clock: Clock = pbx.clock
        self.prompt_s = pbx.options.prompt_s
        self.options = pbx.options
        self.channel: Channel = pbx.factory.new("caller")
        self.record = CallRecord(script.number, script.dialled)
        self.done: asyncio.Future[CallRecord] = asyncio.get_running_loop().create_future()
        self.leg: AGILeg | None = None
        self.leg_task: asyncio.Task[Outcome] | None = None
        self.bridge_over: asyncio.Future[None] | None = None
        self.redirect_to: tuple[str, str, int] | None = None
        self.moh = False
        self.in_survey = False
        self._failed_rounds = 0
        self._at_leader = False
        self.agi_targets: list[tuple[str, int]] = []
        """Where each FastAGI session of the call went (host, port), in order."""
        self._steps: deque[Step] = deque(script.steps)
        self._hangup_cause = 0

    # -- the CallSide protocol ------------------------------------------------------------

    def emit(self, pairs: Pairs) -> None:
        """Broadcast an AMI event."""
        self.pbx.emit(pairs)

    async def wait(self, seconds: float | None) -> bool:
        """Simulated time passes unless the current AGI leg is interrupted first."""
        assert self.leg is not None
        stop = self.leg.interrupted
        if stop.done():
            return False
        timeout = None if seconds is None else self.clock.real_seconds(seconds)
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(stop)
        except TimeoutError:
            return True
        return False

    def next_step(self) -> Step | None:
        """The caller's next reaction to a prompt that takes digits."""
        return self._steps.popleft() if self._steps else None

    def push_back(self, step: Step) -> None:
        """Keys left over from a press go to the next prompt."""
        self._steps.appendleft(step)

    async def hold(self, seconds: float) -> bool:
        """Music on hold; the caller's patience counts down while it plays."""
        chan = self.channel
        self.moh = True
        self.emit(ev.channel_event("MusicOnHoldStart", chan, ("Class", "default")))
        left = (
            None if self.script.patience_s is None else self.script.patience_s - self.record.hold_s
        )
        started = self.clock.now()
        finished = await self.wait(seconds if left is None else max(0.0, min(seconds, left)))
        self.record.hold_s += self.clock.now() - started
        if finished and left is not None and left <= seconds:
            self.caller_hangup("caller")
            finished = False
        if self.moh:
            self.moh = False
            self.emit(ev.channel_event("MusicOnHoldStop", chan))
        return finished

    def hangup_requested(self, by: str) -> None:
        """The AGI server hung the call up (HANGUP, EXEC Hangup)."""
        self.record.hung_up_by = self.record.hung_up_by or by
        self.emit(ev.channel_event("SoftHangupRequest", self.channel, ("Cause", "32")))
        if self.leg is not None:
            self.leg.interrupt(Interrupt.HANGUP)

    def hangup_other(self, channel: str) -> bool:
        """HANGUP <channel> from the AGI server."""
        return self.pbx.hangup(channel, by="agi")

    # -- lifecycle ------------------------------------------------------------------------

    async def run(self) -> None:
        """Play the call to its end and resolve `done`."""
        if not self.pbx.media_port_free():
            # No RTP port for the INVITE's offer: Asterisk answers 488, makes no channel.
            self.record.hung_up_by = "pbx"
            self.done.set_result(self.record)
            return
        try:
            self._arrive()
            self.begin_agi("inbound", self.script.dialled, 2)
            while await self._step():
                pass
        finally:
            if self.channel.alive:
                self.finish(self._hangup_cause)
            if not self.done.done():
                self.done.set_result(self.record)

    def _arrive(self) -> None:
        chan, script = self.channel, self.script
        chan.caller_num, chan.caller_name = script.number, script.name or UNKNOWN
        chan.state, chan.context, chan.exten, chan.priority = RING, "inbound", script.dialled, 1
        chan.dnid = script.dialled
        self.record.channel, self.record.uniqueid = chan.name, chan.uniqueid
        self.pbx.add(chan)
        self.pbx.calls[chan.name] = self
        self.emit(ev.channel_event("Newchannel", chan))
        self.emit(ev.varset(chan, "SIPDOMAIN", "127.0.0.1"))
        self.emit(ev.newexten(chan, "Answer"))
        chan.state = UP
        self.emit(ev.channel_event("Newstate", chan))
        self.emit(ev.device_state("PJSIP/caller", "INUSE"))
        if script.hangup_after_s is not None:
            self.pbx.spawn(self._hang_up_later(script.hangup_after_s), f"patience:{chan.name}")

    async def _hang_up_later(self, seconds: float) -> None:
        await self.clock.sleep(seconds)
        if self.channel.alive:
            self.caller_hangup("caller")

    def begin_agi(
        self, context: str, exten: str, priority: int, at: tuple[str, int] | None = None
    ) -> None:
        """Enter `AGI(agi://host:port/<script>)` at this dialplan position (synchronously);
        `at`: another FastAGI address than the options' (the leader a standby named)."""
        opts = self.pbx.options
        script = opts.script_for(context) or opts.ivr_script
        chan = self.channel
        chan.context, chan.exten, chan.priority = context, exten, priority
        host, port = at or (opts.agi_host, opts.agi_port)
        self.agi_targets.append((host, port))
        url = f"agi://{host}:{port}/{script}"
        chan.application, chan.app_data = "AGI", url
        self.emit(ev.newexten(chan, "AGI", url))
        self.in_survey = script == opts.survey_script
        if self.in_survey:
            self._steps = deque(Press(a) for a in self.script.survey_answers)
        self.record.scripts.append(script)
        self.leg = AGILeg(
            self, host=host, port=port, script=script,
            close_timeout_s=opts.agi_close_timeout_s,
        )  # fmt: skip
        self.leg_task = self.pbx.spawn(self.leg.run(), f"agi:{chan.name}:{script}")

    async def _step(self) -> bool:
        """Wait for the current leg's ending and act on it; False once the call is over."""
        leg, task = self.leg, self.leg_task
        assert leg is not None
        assert task is not None
        waiters: set[asyncio.Future[Any]] = {task, leg.interrupted}
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if leg.interrupted.done() and leg.interrupted.result() is Interrupt.BRIDGED:
            assert self.bridge_over is not None
            await self.bridge_over
            return self.channel.alive and self.leg is not leg
        outcome = await task
        if outcome is Outcome.INTERRUPTED and leg.interrupted.result() is Interrupt.REDIRECT:
            assert self.redirect_to is not None
            context, exten, priority = self.redirect_to
            if self.pbx.options.script_for(context) is not None:
                self.begin_agi(context, exten, priority + 1)
                return True
            self.dialplan_hangup()
            return False
        if outcome is Outcome.INTERRUPTED:
            self.emit(ev.varset(self.channel, "AGISTATUS", "HANGUP"))
            self.emit(ev.channel_event("SoftHangupRequest", self.channel, ("Cause", "16")))
            self.finish(16 if self.channel.was_bridged else 0)
            return False
        status = "SUCCESS" if outcome is Outcome.CLOSED else "FAILURE"
        self.emit(ev.varset(self.channel, "AGISTATUS", status))
        chan = self.channel
        done = chan.variables.get(DONE_VARIABLE) == "1"
        leader = chan.variables.pop(LEADER_VARIABLE, "")  # [fastagi]: Set(CC_LEADER=)
        from_leader, self._at_leader = self._at_leader, False
        host, _, port = leader.rpartition(":")
        if (
            not done
            and port.isdigit()
            and not from_leader
            and self._failed_rounds < FAILOVER_ROUNDS
        ):
            self._at_leader = True
            self.begin_agi(chan.context, chan.exten, chan.priority, (host.strip("[]"), int(port)))
            return True
        if not done and self._failed_rounds < FAILOVER_ROUNDS:
            if outcome is not Outcome.CLOSED or from_leader:
                self._failed_rounds += 1
                after_wait = await self._between_rounds(FAILOVER_RETRY_S)
                if after_wait is not None:
                    return after_wait
            self.begin_agi(chan.context, chan.exten, chan.priority)
            return True
        if self.channel.variables.get(QUEUED_VARIABLE) == "1" and not self.in_survey:
            return await self._hold_in_dialplan()
        self.dialplan_hangup()
        return False

    async def _hold_in_dialplan(self) -> bool:
        """The product's dialplan: a queued caller whose FastAGI server went away waits on
        in `[queue-hold]` with music (`GotoIf(${CC_QUEUED})`, config/asterisk), where an
        Originate into Bridge still finds them. Not recorded: modelled on that dialplan."""
        chan, before = self.channel, self.leg
        chan.context, chan.exten, chan.priority = "queue-hold", "s", 1
        chan.application, chan.app_data = "MusicOnHold", "default"
        self.emit(ev.newexten(chan, "MusicOnHold", "default"))
        self.moh = True
        self.emit(ev.channel_event("MusicOnHoldStart", chan, ("Class", "default")))
        while chan.alive and self.bridge_over is None:
            await self.clock.sleep(0.05)
        if self.bridge_over is None:
            return False
        await self.bridge_over
        return self.channel.alive and self.leg is not before

    async def _between_rounds(self, seconds: float) -> bool | None:
        """[fastagi]'s `MusicOnHold(default,<s>)` while no node takes the call: None once
        the wait is over, else what `_step` returns (the caller left or was bridged)."""
        chan, before = self.channel, self.leg
        context, exten, priority = chan.context, chan.exten, chan.priority
        chan.application, chan.app_data = "MusicOnHold", f"default,{seconds:g}"
        self.emit(ev.newexten(chan, "MusicOnHold", chan.app_data))
        waited = 0.0
        while chan.alive and self.bridge_over is None and waited < seconds:
            await self.clock.sleep(0.05)
            waited += 0.05
        if not chan.alive:
            return False
        if self.bridge_over is not None:
            await self.bridge_over
            return self.channel.alive and self.leg is not before
        chan.context, chan.exten, chan.priority = context, exten, priority
        return None

    def dialplan_hangup(self, *, advance: bool = True) -> None:
        """The dialplan's `Hangup()` after the AGI (inbound prio 3), or where the call is."""
        chan = self.channel
        chan.priority += 1 if advance else 0
        chan.application, chan.app_data = "Hangup", ""
        self.emit(ev.newexten(chan, "Hangup"))
        self.emit(ev.channel_event("SoftHangupRequest", chan, ("Cause", "16")))
        self.finish(16)

    def finish(self, cause: int) -> None:
        """Emit the Hangup event and forget the channel."""
        if not self.channel.alive:
            return
        self.emit(ev.hangup(self.channel, cause))
        self.emit(ev.device_state("PJSIP/caller", "NOT_INUSE"))
        self.pbx.remove(self.channel)
        self.record.hung_up_by = self.record.hung_up_by or "pbx"

    def caller_hangup(self, by: str, *, cause: int = 16) -> None:
        """The caller (or an AMI Hangup) ends the call, wherever it is."""
        if not self.channel.alive or (self.leg is not None and self._in_agi_dead()):
            return
        self.record.hung_up_by = self.record.hung_up_by or by
        if self.record.bridged_to is None:
            self.record.abandoned = by == "caller"
        bridge = self.pbx.bridge_of(self.channel)
        if bridge is not None:
            bridge.end(by_caller=True)
            return
        extra = (("Cause", str(cause)),) if by == "ami" else ()
        self.emit(ev.channel_event("HangupRequest", self.channel, *extra))
        if self.leg is not None:
            self.leg.interrupt(Interrupt.HANGUP)

    def _in_agi_dead(self) -> bool:
        assert self.leg is not None
        return self.leg.interrupted.done() and not self.channel.bridge_id

    def redirect(self, context: str, exten: str, priority: int) -> None:
        """AMI Redirect: the AGI hears -1/HANGUP; the channel moves when the server closes."""
        self.redirect_to = (context, exten, priority)
        if self.leg is not None:
            self.leg.interrupt(Interrupt.REDIRECT)
