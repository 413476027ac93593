"""The executor: the ACD's commands become AMI actions and hold-loop instructions.

Strategy: a `CommandListener` on the ACD host; it never blocks the ACD's task. An offer
becomes an async `Originate` of the agent's endpoint into `Bridge(<caller channel>)` with
the queue's ring timeout (s5), with the `F(<survey>^s^1)` option so the caller outlives an
agent who hangs up first (s7); an agent-first callback originates the agent's phone into
the callback context with the customer's number, which must be in E.164 (`+` and digits:
what `CallbackRepository` stores); any other (a request stored before numbers were checked)
is never dialled: the callback is cancelled and the error logged. What happens next is for
Asterisk to say (`ami_facts.py`): nothing is assumed. An action Asterisk refuses, or a
lost connection, comes back at once as the PBX's failure (`OfferFailed`, through
`OfferOutcomes`: nobody is paused, the PBX's health hears of it), so the call returns to
the head of the line instead of waiting for a ring that will never come; an Originate whose
answer was lost may still ring, so its leg is withdrawn too. A withdrawn offer (the caller
hung up, the agent logged out, the core's ring timer) hangs the agent's leg up at once, by
its exact channel name, or by the Uniqueid we gave it (`ChannelId`) while `Newchannel` has
not named it yet; when Asterisk has not even created the channel (a Hangup sent right
after the Originate gets "No such channel"), the leg's `Newchannel` brings it back here to
be hung up then. Never a regular expression on the endpoint: that would also cut the
agent's other calls. Announcements and a caller's way out (voicemail, callback, time-out)
go to the caller's hold loop, which runs on the caller's own FastAGI session.

Several Asterisk servers (`pbx.servers`): an offer is originated on the server the caller
is on (the ACD offers a call only to agents whose phones are there), an agent-first
callback on the agent's server, a leg is hung up where it was originated. An offer for a
server whose AMI link is down is not sent: it fails as the PBX's failure, so its call waits
in line while the calls of the other servers go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import structlog

from acd import (
    Announce,
    CallerHungUp,
    CallKind,
    CancelOffer,
    Command,
    Event,
    ExitQueue,
    OfferCall,
    OfferFailed,
    Overflow,
    OverflowKind,
)
from callcenter.ami import AMIActionError, AMIClient, AMIError
from callcenter.ami import actions as ami
from callcenter.app.settings import TelephonySettings
from callcenter.db.phones import is_e164
from callcenter.live import LiveCenter
from callcenter.pbx.calls import AgentLeg, PbxCall, PbxCalls, new_leg_id
from callcenter.pbx.outcomes import OfferOutcomes

log = structlog.get_logger(__name__)

NORMAL_CLEARING = 16
"""The Q.850 cause a withdrawn leg is hung up with (the phone sees a plain CANCEL)."""


class PbxExecutor:
    """Carries the ACD's telephony commands out on Asterisk."""

    def __init__(
        self,
        center: LiveCenter,
        calls: PbxCalls,
        settings: TelephonySettings,
        ami_client: Callable[[str | None], AMIClient | None],
        *,
        outcomes: OfferOutcomes,
        agent_server: Callable[[str], str | None] = lambda agent_id: None,
    ) -> None:
        """Act on `center`'s commands through the client `ami_client(server)` returns for
        an Asterisk server's name (None: the default server); `agent_server(agent)` names
        the server of an agent's phone; offers that cannot be sent are reported to
        `outcomes`."""
        self._center = center
        self._calls = calls
        self._settings = settings
        self._ami = ami_client
        self._outcomes = outcomes
        self._agent_server = agent_server
        self._tasks: set[asyncio.Task[None]] = set()
        self.originated = 0
        self.on_originate: Callable[[str, str], None] | None = None
        """Called with (call id, agent) as each Originate is sent (a latency probe)."""
        self.may_act: Callable[[], bool] = lambda: True
        """Several nodes: whether this node still leads (`Fence.may_act`); an offer is
        not sent once it does not (the new leader offers the call again)."""
        self.before_offer: Callable[[], Awaitable[None]] | None = None
        """Several nodes: waits until the offer's record is in the event log before the
        phone rings, so a node that takes over knows of every offer made (and rings no
        second agent for a call already ringing one); the write of an old term is refused,
        and then `may_act` says no."""

    def on_commands(self, commands: Sequence[Command], event: Event) -> None:
        """Turn one batch of the core's commands into PBX work."""
        for command in commands:
            if isinstance(command, OfferCall):
                self._spawn(self._offer(command))
            elif isinstance(command, CancelOffer):
                self._spawn(self._withdraw(command))
            elif isinstance(command, Announce):
                call = self._calls.get(command.call_id)
                if call is not None and (call.holding or call.arriving):
                    call.hold.put_nowait(("announce", command.position, command.estimated_wait))
            elif isinstance(command, Overflow) and command.target is not OverflowKind.QUEUE:
                self._leave(command.call_id, command.target.value, command.target_name)
            elif isinstance(command, ExitQueue):
                self._leave(command.call_id, "timeout", command.queue)

    def _leave(self, call_id: str, how: str, where: str | None) -> None:
        call = self._calls.get(call_id)
        if call is not None and (call.holding or call.arriving):
            call.hold.put_nowait(("leave", how, where))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _still_leading(self, offer: OfferCall) -> bool:
        if self.before_offer is not None:
            await self.before_offer()
        if self.may_act():
            return True
        log.error("pbx.offer_not_sent", call_id=offer.call_id, reason="this node does not lead")
        return False

    async def _offer(self, offer: OfferCall) -> None:
        if not await self._still_leading(offer):
            return
        # The configuration in force names the phone: a phone changed live rings at once.
        if offer.kind is CallKind.VOICEMAIL:
            # A message is offered on the agent's desktop, which accepts it: no phone rings.
            return
        endpoint = self._settings.endpoint(offer.agent_id, self._center.host.settings)
        leg_id = new_leg_id()
        if offer.kind is CallKind.CALLBACK:
            # No caller to bridge: the agent's phone is rung where it is registered, and the
            # customer is dialled through that server's trunk.
            server = self._agent_server(offer.agent_id)
            info = self._center.calls.get(offer.call_id)
            number = info.caller_number if info else None
            if number is None or not is_e164(number):
                # The number becomes the Originate's Exten and the dialplan's Dial string:
                # only `+` and digits go there. Not the number in the log, only why.
                log.error(
                    "pbx.callback_not_dialled",
                    call_id=offer.call_id,
                    agent=offer.agent_id,
                    error="the callback's number is missing or not in E.164",
                )
                self._center.host.submit(CallerHungUp(self._center.host.now(), offer.call_id))
                return
            call = self._calls.get(offer.call_id)
            if call is None:
                call = PbxCall(offer.call_id, "", number, offer.queue, holding=False)
                self._calls.add(call)
            call.server = server
            leg = AgentLeg(
                offer.agent_id, endpoint, kind="callback", uniqueid=leg_id, server=server
            )
            action = ami.originate(
                endpoint,
                context=self._settings.callback_context,
                exten=number,
                priority=1,
                timeout_ms=int(offer.ring_timeout * 1000),
                caller_id=f"Callback <{number}>",
                variables={"CC_CALL_ID": offer.call_id, "CC_AGENT": offer.agent_id},
                channel_id=leg_id,
            )
        else:
            call = self._calls.get(offer.call_id)
            if call is None or call.ended:
                # Mostly a caller whose hang-up the ACD has not applied yet: no one's fault.
                log.warning("pbx.offer_unknown_call", call_id=offer.call_id, agent=offer.agent_id)
                why = "the caller is not held on this service"
                self._center.host.submit(
                    OfferFailed(self._center.host.now(), offer.call_id, offer.agent_id, why)
                )
                return
            # The caller can only be bridged on the server their channel is on.
            server = call.server
            leg = AgentLeg(offer.agent_id, endpoint, uniqueid=leg_id, server=server)
            survey = self._settings.survey_context
            data = call.caller_channel + (f",F({survey}^s^1)" if survey else "")
            action = ami.originate(
                endpoint,
                application="Bridge",
                data=data,
                timeout_ms=int(offer.ring_timeout * 1000),
                caller_id=self._settings.caller_id,
                variables={"CC_CALL_ID": offer.call_id, "CC_AGENT": offer.agent_id},
                channel_id=leg_id,
            )
        self._calls.start_leg(call, leg)
        client = self._ami(server)
        if self.on_originate is not None:
            self.on_originate(offer.call_id, offer.agent_id)
        if client is None:
            # A server without an AMI client (no secret). A link that is down refuses the
            # action below (`AMINotConnected`): either way the call goes back in line (the
            # PBX's failure, nobody's fault) and waits for the link.
            self._calls.end_leg(leg)
            where = "Asterisk" if server is None else f"Asterisk server {server}"
            self._outcomes.not_sent(offer.call_id, offer.agent_id, f"no connection to {where}")
            return
        try:
            await client.send_action(action)
            self.originated += 1
        except AMIActionError as exc:
            self._calls.end_leg(leg)
            message = exc.response.message or exc.response.status
            self._outcomes.not_sent(
                offer.call_id, offer.agent_id, f"Asterisk refused the Originate: {message}"
            )
        except AMIError as exc:
            # The action may have reached Asterisk all the same: a phone that rings anyway
            # is hung up as soon as its channel shows.
            self.cancel_leg(leg, "the Originate went unanswered")
            self._outcomes.not_sent(offer.call_id, offer.agent_id, f"Originate not sent: {exc}")

    async def _withdraw(self, cancel: CancelOffer) -> None:
        # The call itself may be forgotten already (the caller's Hangup came first): the
        # leg is still followed, and still rings until it is hung up.
        leg = self._calls.offer_leg(cancel.call_id, cancel.agent_id)
        call = self._calls.get(cancel.call_id)
        if call is not None and call.leg is not None and call.leg is leg:
            self._calls.drop_leg(call)
        if leg is not None:
            self.cancel_leg(leg, cancel.reason)

    def cancel_leg(self, leg: AgentLeg, why: str = "offer withdrawn") -> None:
        """Hang `leg` up now; if Asterisk has no channel for it yet, once `Newchannel` shows it.

        Also for a leg that answered after its offer was withdrawn: the caller is gone, so
        the agent must not be left on a call with nobody.
        """
        first = not leg.withdrawn
        leg.withdrawn = True
        if leg.hung_up:
            return
        if first:
            log.info(
                "pbx.leg_withdrawn",
                call_id=leg.call_id,
                agent=leg.agent_id,
                leg=leg.uniqueid,
                channel=leg.channel,
                reason=why,
            )
        self._spawn(self._hang_up(leg))

    async def _hang_up(self, leg: AgentLeg) -> None:
        client = self._ami(leg.server)
        if client is None:
            return  # the resync after the reconnect hangs up withdrawn legs still there
        target = leg.channel or leg.uniqueid
        action = ami.hangup(target, cause=NORMAL_CLEARING)
        try:
            result = await client.send_action(action, check=False)
        except AMIError as exc:
            log.warning("pbx.leg_hangup_failed", call_id=leg.call_id, leg=target, error=str(exc))
            return
        if result.ok:
            leg.hung_up = True
        else:
            # "No such channel": Asterisk has not created it yet; its Newchannel comes back.
            log.debug("pbx.leg_not_there_yet", call_id=leg.call_id, leg=target)

    async def spy(self, *, supervisor: str, agent_id: str, mode: str) -> str:
        """Ring the supervisor's phone into ChanSpy on the agent's channel (s10)."""
        endpoint = self._settings.supervisor_endpoints.get(supervisor)
        if endpoint is None:
            raise LookupError(f"no phone is configured for supervisor {supervisor!r}")
        options = self._settings.spy_options[mode]
        # ChanSpy sees the channels of its own Asterisk: the agent's server (the
        # supervisor's phone must be registered there too).
        server = self._agent_server(agent_id)
        client = self._ami(server)
        if client is None:
            raise AMIError(f"no connection to Asterisk server {server}")
        await client.send_action(
            ami.originate(
                endpoint,
                application="ChanSpy",
                data=f"{self._settings.endpoint(agent_id, self._center.host.settings)},{options}",
                timeout_ms=30_000,
                caller_id=f"Supervisor <{supervisor}>",
            )
        )
        log.info("pbx.spy", supervisor=supervisor, agent=agent_id, mode=mode)
        return endpoint

    async def close(self) -> None:
        """Stop the actions in flight."""
        for task in list(self._tasks):
            task.cancel()
