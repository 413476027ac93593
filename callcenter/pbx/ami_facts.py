"""Asterisk's events become the ACD's facts; after every reconnect, a resync.

Strategy: every step is driven by what Asterisk reports (docs/ARCHITECTURE.md, "Call
lifecycle on Asterisk"). An agent leg is known by the Uniqueid the executor gave it
(`ChannelId`): its `Newchannel` names its channel (and hangs up a leg withdrawn before it
existed); a failed `OriginateResponse`, or the leg's `Hangup` before any answer, goes to
`OfferOutcomes`, which tells the agent's failure (busy, declined, rang out: paused as
before) from the PBX's (no RTP port, congestion: nobody paused); Success is the agent's
phone answering (a withdrawn leg that answers anyway is hung up: there is nobody to bridge
it to); the leg's `Hangup` ends what is left of it; `BridgeEnter` of the caller's Uniqueid
is the call connected (the caller's AGI also sees a hang-up then: AGI never decides);
`Hangup` of the caller is an abandon while waiting or the end of the talk, `Hangup` of the
answered agent leg ends the talk (the caller goes on to the survey). After a reconnect,
events may have been missed, so `CoreShowChannels` is compared with what the service
believes: callers gone are hung up, offers whose phone never rang are given back to the
line, a bridge that formed meanwhile is a connect, an agent leg gone ends the talk, and a
withdrawn leg still there is hung up again.

An event that cannot be applied (a field missing or malformed, or a bug of ours) is logged
and dropped (`fact_errors`); the next one is applied as usual. Each client's events are
followed by a task the service's `TaskSupervisor` restarts should it die all the same, and
events dropped because this consumer fell behind (`EventsLost`) are followed by a resync.

Several Asterisk servers (`pbx.servers`): a client's events apply only to the calls and
legs on its own server, and its resync compares its channels with those calls and legs
alone (another server's calls are not "gone" from this one); a call taken over after a
restart is on the server whose channels hold it, as the event log says.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

import structlog

from acd import (
    CallEnded,
    CallerHungUp,
    CallKind,
    CallState,
    CallView,
    Event,
    OfferAnswered,
    OfferLost,
)
from callcenter.ami import AMIClient, AMIError, EventsLost, EventSubscription, OverflowPolicy
from callcenter.ami import Event as AmiEvent
from callcenter.ami import actions as ami
from callcenter.ami.events import BridgeEnter, Hangup, Newchannel, OriginateResponse
from callcenter.app.tasks import TaskSupervisor
from callcenter.live import CallInfo, LiveCenter
from callcenter.pbx.calls import LEG_ID_PREFIX, AgentLeg, PbxCall, PbxCalls
from callcenter.pbx.fact_errors import DroppedFacts
from callcenter.pbx.outcomes import OfferOutcomes

log = structlog.get_logger(__name__)

EVENTS = ("Newchannel", "OriginateResponse", "BridgeEnter", "Hangup")


def ringing_leg(channels: dict[str, dict[str, str]], endpoint: str) -> dict[str, str] | None:
    """The channel of an offer still ringing `endpoint` (`PJSIP/agent1001`), as
    CoreShowChannels lists it: ours (its Uniqueid is an Originate's `ChannelId`,
    `calls.new_leg_id`), on that endpoint, in no bridge yet; None if there is none."""
    prefix = f"{endpoint}-"
    for uniqueid, fields in channels.items():
        if (
            uniqueid.startswith(LEG_ID_PREFIX)
            and fields.get("Channel", "").startswith(prefix)
            and not fields.get("BridgeId")
        ):
            return fields
    return None


class AmiFacts:
    """Follows one or more AMI connections and feeds the ACD the facts they report."""

    def __init__(
        self,
        center: LiveCenter,
        calls: PbxCalls,
        *,
        endpoint: Callable[[str], str],
        outcomes: OfferOutcomes,
        restore: Callable[[str], Awaitable[CallInfo | None]] | None = None,
        cancel_leg: Callable[[AgentLeg], None] | None = None,
        supervisor: TaskSupervisor | None = None,
        default_server: str | None = None,
        survey_context: str = "",
    ) -> None:
        """Feed `center`'s ACD; channels are matched through `calls`.

        `endpoint(agent)` names an agent's phone; `outcomes` judges the offers that fail;
        `restore(call_id)` finds the context of a call taken over after a restart (for its
        screen pop); `cancel_leg(leg)` hangs up a withdrawn agent leg (the executor's);
        `supervisor` runs the following tasks (the service's, so /readyz sees them);
        `default_server` is the server of calls and legs that name none; `survey_context`
        is where a caller goes once the agent hung up (a caller found there was served).
        """
        self._center = center
        self._calls = calls
        self._endpoint = endpoint
        self._outcomes = outcomes
        self._restore = restore
        self._cancel_leg = cancel_leg
        self._supervisor = supervisor or TaskSupervisor()
        self._default = default_server
        self._survey = survey_context
        self._tasks: list[str] = []
        self.dropped = DroppedFacts("ami-facts")
        """The events that could not be applied (logged and counted)."""
        self.resyncs = 0

    def attach(self, client: AMIClient) -> None:
        """Follow `client`'s call events and resync after each of its logins."""
        sub = client.subscribe(
            EVENTS, maxsize=20_000, policy=OverflowPolicy.BLOCK, name="ami-facts"
        )
        client.add_connect_hook(self.resync)
        name = f"ami-facts:{client.server.name}"
        self._supervisor.start(name, lambda: self._follow(client, sub), group=client.server.name)
        self._tasks.append(name)

    async def close(self) -> None:
        """Stop following."""
        await self._supervisor.stop(*self._tasks)
        self._tasks.clear()

    def _submit(self, fact: Event) -> None:
        self._center.host.submit(fact)

    def _here(self, owner: str | None, server: str | None) -> bool:
        """Whether a call or leg on `owner` is one that `server`'s events speak of (None:
        events of no server in particular, e.g. a test's)."""
        if server is None:
            return True
        return (owner or self._default) == server

    async def _follow(self, client: AMIClient, sub: EventSubscription) -> None:
        server = client.server.name
        async for item in sub:
            if isinstance(item, AmiEvent):
                try:
                    self.apply(item, server)
                except Exception as exc:  # noqa: BLE001  (one bad fact is dropped, never fatal)
                    self.dropped.drop(item, exc)
            elif isinstance(item, EventsLost):
                # This consumer fell behind and events were dropped: what it believes may
                # be stale, so it is compared with Asterisk's channels again.
                log.warning("pbx.events_lost", server=client.server.name, count=item.count)
                with contextlib.suppress(AMIError):  # logged; the next login resyncs anyway
                    await self.resync(client)

    def apply(self, event: AmiEvent, server: str | None = None) -> None:
        """Apply one AMI event (of the Asterisk server named `server`)."""
        if isinstance(event, Newchannel):
            self._new_channel(event, server)
        elif isinstance(event, OriginateResponse):
            self._originated(event, server)
        elif isinstance(event, BridgeEnter):
            self._bridged(event, server)
        elif isinstance(event, Hangup):
            self._hung_up(event, server)

    def _leg(self, uniqueid: str, server: str | None) -> AgentLeg | None:
        leg = self._calls.leg(uniqueid)
        return leg if leg is not None and self._here(leg.server, server) else None

    def _new_channel(self, event: Newchannel, server: str | None) -> None:
        leg = self._leg(event.uniqueid, server)
        if leg is None:
            return
        leg.channel = event.channel.channel
        if leg.withdrawn:
            self._cancel(leg)  # withdrawn before Asterisk had created it

    def _cancel(self, leg: AgentLeg) -> None:
        if self._cancel_leg is not None:
            self._cancel_leg(leg)

    def _originated(self, event: OriginateResponse, server: str | None) -> None:
        leg = self._leg(event.uniqueid or "", server)
        if leg is None:
            return  # a spy, or a leg already gone
        call = self._calls.by_leg(leg.uniqueid)
        current = call is not None and call.leg is leg and not leg.withdrawn
        if call is None or not current:
            if event.succeeded:
                self._cancel(leg)  # answered after the caller left: nobody to bridge it to
            elif leg.channel is None:
                self._calls.end_leg(leg)  # Asterisk never made its channel: no Hangup comes
            return
        if not event.succeeded:
            self._outcomes.originate_failed(leg, event.reason)
            return
        self._outcomes.placed()
        now = self._center.host.now()
        self._calls.leg_answered(call, leg.uniqueid, event.channel_name or leg.channel or "")
        if leg.kind == "callback":
            # Agent first: the agent's answer is the connect; the dialplan rings the customer.
            call.connected = True
            self._submit(OfferAnswered(now, call.call_id, leg.agent_id))

    def _bridged(self, event: BridgeEnter, server: str | None) -> None:
        call = self._calls.get(event.uniqueid)
        if call is None or call.leg is None or call.connected:
            return
        if not self._here(call.server, server):
            return
        call.connected = True
        call.holding = False
        self._submit(OfferAnswered(self._center.host.now(), call.call_id, call.leg.agent_id))

    def _hung_up(self, event: Hangup, server: str | None) -> None:
        uniqueid = event.uniqueid
        now = self._center.host.now()
        caller = self._calls.get(uniqueid)
        if caller is not None and not self._here(caller.server, server):
            caller = None  # the same Uniqueid on another server: not our caller
        if caller is not None:
            # An abandon while waiting or ringing, or the end of the talk: the core knows which.
            self._calls.forget(caller)
            self._submit(CallerHungUp(now, caller.call_id))
            return
        call = self._calls.by_leg(uniqueid)
        if call is not None and not self._here(call.server, server):
            call = None
        leg = self._leg(uniqueid, server)
        if leg is not None:
            ringing = call is not None and call.leg is leg and not leg.answered
            failed = ringing and not leg.withdrawn
            # Read before anything changes: a malformed event is dropped whole.
            cause, state = (event.cause, event.channel.state) if failed else (0, 0)
            self._calls.end_leg(leg)
            if failed:
                # Gone before any answer: the offer failed, the cause says whose failure.
                self._outcomes.leg_hung_up(leg, cause, state)
                return
        if call is not None and call.connected:
            self._calls.forget(call)  # the caller goes on to the survey, on its own
            self._submit(CallEnded(now, call.call_id))

    async def resync(self, client: AMIClient) -> None:
        """Compare Asterisk's channels with the calls believed live (runs after each login)."""
        self.resyncs += 1
        try:
            result = await client.send_action(ami.core_show_channels())
        except AMIError as exc:
            log.error("pbx.resync_failed", error=str(exc))
            raise
        channels = {item.headers.get("Uniqueid", ""): item.headers for item in result.events}
        # Only this server's calls and legs: the others' channels are not in this list.
        server = client.server.name
        for call in self._calls.all():
            if self._here(call.server, server):
                self._reconcile(call, channels)
        for leg in self._calls.legs():
            if not self._here(leg.server, server):
                continue
            if leg.uniqueid not in channels:
                self._calls.end_leg(leg)  # gone while nobody watched
            elif leg.withdrawn:
                leg.hung_up = False  # its Hangup may have been lost with the link
                leg.channel = channels[leg.uniqueid].get("Channel") or leg.channel
                self._cancel(leg)
        adopted = await self._adopt(channels, server)
        log.info("pbx.resynced", channels=len(channels), calls=len(self._calls), adopted=adopted)

    async def _adopt(self, channels: dict[str, dict[str, str]], server: str) -> int:
        """Calls the ACD knows and this process does not (after a restart) are taken over."""
        host = self._center.host
        core, now = host.acd, host.now()
        views = [v for q in core.settings.queues for v in core.waiting_calls(q.name, now)]
        for agent in core.agent_views(now):
            view = core.call_view(agent.call_id, now) if agent.call_id else None
            if view is not None:
                views.append(view)
        adopted = 0
        for view in views:
            if self._calls.get(view.call_id) is not None or view.kind is not CallKind.VOICE:
                continue
            if not self._here(view.server, server):
                continue  # another server's caller: its own resync takes it over
            adopted += 1
            await self._take_over(view, channels, now, server)
        return adopted

    async def _take_over(
        self, view: CallView, channels: dict[str, dict[str, str]], now: float, server: str
    ) -> None:
        caller = channels.get(view.call_id)
        if caller is None:
            self._submit(CallerHungUp(now, view.call_id))  # gone while nobody watched
            return
        call = PbxCall(
            view.call_id,
            caller.get("Channel", ""),
            caller.get("CallerIDNum"),
            view.queue,
            server=server,
            holding=False,
        )
        self._calls.add(call)
        if self._restore is not None and self._center.calls.get(view.call_id) is None:
            info = await self._restore(view.call_id)
            if info is not None:
                self._center.calls.add(info)
        if view.agent_id is None:
            return  # waiting: it keeps its place; the next offer bridges the held caller
        endpoint = self._endpoint(view.agent_id)
        call.leg = AgentLeg(view.agent_id, endpoint, server=server)
        bridge = caller.get("BridgeId", "")
        agent = next(
            (
                h
                for u, h in channels.items()
                if u != view.call_id and bridge and h.get("BridgeId") == bridge
            ),
            None,
        )
        if agent is not None:
            self._in_bridge(call, agent, now, tell=view.state is CallState.OFFERED)
        elif view.state is CallState.OFFERED:
            ringing = ringing_leg(channels, endpoint)
            if ringing is not None:
                # The old process's Originate still rings the phone (Asterisk keeps an
                # Originate whatever became of the AMI session that sent it): follow that
                # leg, whose answer bridges the caller (BridgeEnter) and whose end is its
                # Hangup. Offering the call again would ring a second phone for it.
                call.leg.uniqueid = ringing.get("Uniqueid", "")
                call.leg.channel = ringing.get("Channel")
                self._calls.start_leg(call, call.leg)
            elif self._survey and caller.get("Context") == self._survey:
                # Answered and over while no process watched (the leader was paused or
                # dead through the whole talk): the caller is in the survey. Offered
                # again, they would be bridged to a second agent.
                self._calls.forget(call)
                self._submit(OfferAnswered(now, view.call_id, view.agent_id))
                self._submit(CallEnded(now, view.call_id))
            else:
                call.leg = None  # the ring died with the old process: offer it again
                self._submit(OfferLost(now, view.call_id, view.agent_id))
        else:
            self._calls.forget(call)
            self._submit(CallEnded(now, view.call_id))

    def _in_bridge(self, call: PbxCall, agent: dict[str, str], now: float, *, tell: bool) -> None:
        """The caller shares a bridge with the agent's channel: the call is connected
        (`tell`: the ACD still believes it rings, so it hears of the answer)."""
        assert call.leg is not None
        self._calls.leg_answered(call, agent.get("Uniqueid", ""), agent.get("Channel", ""))
        if tell and not call.connected:
            self._submit(OfferAnswered(now, call.call_id, call.leg.agent_id))
        call.connected = True
        call.holding = False

    def _reconcile(self, call: PbxCall, channels: dict[str, dict[str, str]]) -> None:
        now = self._center.host.now()
        leg = call.leg
        if call.caller_channel and call.call_id not in channels:
            self._calls.forget(call)
            self._submit(CallerHungUp(now, call.call_id))
            return
        if leg is None:
            return
        if call.connected:
            if leg.uniqueid and leg.uniqueid not in channels:
                self._calls.forget(call)
                self._submit(CallEnded(now, call.call_id))
            return
        bridge = channels.get(call.call_id, {}).get("BridgeId", "")
        agent = channels.get(leg.uniqueid)
        if bridge and agent is not None and agent.get("BridgeId") == bridge:
            self._in_bridge(call, agent, now, tell=True)
        elif agent is None:
            # The phone is not ringing (the Originate was lost with the link): back in line,
            # and the agent is not to blame.
            self._calls.drop_leg(call)
            self._submit(OfferLost(now, call.call_id, leg.agent_id))
