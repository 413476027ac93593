"""The FastAGI scripts: `ivr` (a call arrives) and `survey` (after the agent hung up).

Strategy: `ivr` runs the caller's flow (IvrRunner) and acts on what it hands over. A call
for a queue is handed to the live center with what the IVR learnt (who called, the answers,
the customer and tier) and then held on the same AGI session: music on hold in segments,
with the position and estimated-wait announcements the ACD asks for between them, until
Asterisk ends the session (docs/ARCHITECTURE.md, "Call lifecycle on Asterisk", step 3). The
AGI never decides what happened: when the agent answers, Asterisk bridges the caller and
the AGI merely sees a hang-up, exactly as when the caller leaves; the AMI facts tell the
two apart. The session is closed at once either way (Asterisk waits for it). A holding
session that ends without Asterisk saying the call is over (its connection lost, Asterisk
silent, a peer that was never Asterisk) goes to `LostSessions`, which asks Asterisk whether
the caller is still there and ends the call if not. A caller the ACD sends away (to
voicemail, a callback, or a polite goodbye) is told so here. A callback request becomes a
stored request and an entry in the ACD's line; a survey's answers are stored on the call's
interaction.

FastAGI fail-over (config/asterisk/extensions.conf, [fastagi]): Asterisk cannot tell a
session that ended from one whose node went away, so a call the service is done with and
has not hung up is marked `CC_DONE=1`; any other end sends the call to the next node. An
`ivr` request for a call the ACD already has in line or ringing an agent (its node died or
its connection broke while it waited: same Uniqueid, the ACD's state rebuilt from the
event log or still live) is held in its place again, with music and announcements from
this session, instead of running the IVR and queueing it a second time.

Every contact is recorded. A queued call's interaction is the live center's (its recorder
follows the ACD); a call that ends in the IVR gets its row here, with an outcome that says
how (`ivr_ending`): `self_service`, `voicemail`, `voicemail_failed`, `callback`, `closed`,
`transferred`, or `abandoned_in_ivr` for a caller who hung up before reaching a queue; the
record keeps what the call left behind (`voicemail.file` and `voicemail.seconds`, a
transfer's `transfer.target`, the `callback.id` of the request it made, also on a queued
call the ACD sent to a callback), so the call detail records and the customer's history
show it. A message left is also recorded for the voicemail inbox (`RecordVoicemail`) and
becomes work in its queue (`VoicemailQueued`, `vm-<uniqueid>`, with the priority and skills
the call had), which the ACD routes to an agent's desktop.

On a standby node of a cluster (`link`) the IVR runs here too, and what it hands the ACD
goes to the leader (`callcenter.pbx.standby_agi`): a queued caller is sent on to the
leader's FastAGI (`CC_LEADER`) to be held there; a caller already queued is sent on
without running anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.exc import SQLAlchemyError

from acd import CallbackRequested, CallKind, CallState, VoicemailQueued
from callcenter.agi import AGIError, AGIHangup, AGIRequest, AGISession
from callcenter.app.settings import TelephonySettings
from callcenter.cluster.relay import RelayError
from callcenter.db import (
    BatchedWriter,
    CallbackRepository,
    CustomerRepository,
    RecordVoicemail,
    WriteQueueFull,
)
from callcenter.db.interactions import (
    AddSurveyScores,
    InteractionData,
    SaveInteraction,
    SetOutcome,
)
from callcenter.ivr.dialplan import DONE_VARIABLE, LEADER_VARIABLE, QUEUED_VARIABLE
from callcenter.ivr.prompts import CallPrompts
from callcenter.ivr.runner import IvrResult, IvrRunner, VoicemailFailed, VoicemailRecorded
from callcenter.ivr.voicemail import FORMAT, message_file, record_message
from callcenter.live import CallInfo, LiveCenter
from callcenter.pbx.calls import PbxCall, PbxCalls
from callcenter.pbx.lost_sessions import LostSessions
from callcenter.pbx.servers import AsteriskServers
from callcenter.pbx.standby_agi import LeaderLink
from ivr_flows import EnqueueCall, RequestCallback, StoreSurvey, Transfer

log = structlog.get_logger(__name__)

CALLBACK_WINDOW = timedelta(hours=4)
VOICEMAIL_MAX_S = 120
VOICEMAIL_WORK = "vm-"
"""A message's work item is known to the ACD as `vm-<the call's uniqueid>`."""
"""The longest message a caller the ACD sends to voicemail may leave."""


class CallRoutes:
    """The handlers of the FastAGI scripts `ivr` and `survey`."""

    def __init__(
        self,
        center: LiveCenter,
        calls: PbxCalls,
        runner: IvrRunner,
        *,
        telephony: TelephonySettings,
        writer: BatchedWriter,
        callbacks: CallbackRepository,
        customers: CustomerRepository,
        lost: LostSessions | None = None,
        restore: Callable[[str], Awaitable[CallInfo | None]] | None = None,
        servers: AsteriskServers | None = None,
    ) -> None:
        """Hand calls to `center`, hold them per `telephony`, store through `writer`;
        `lost` checks the callers whose holding session ended without a hang-up;
        `restore(call_id)` finds the context (pop) of a call held again after a restart;
        `servers` tells which Asterisk server each call is on (None: no servers named).
        `link` (set by the service on a cluster's node) hands the ACD's part to the
        leader while this node is a standby."""
        self._center = center
        self._calls = calls
        self._runner = runner
        self._telephony = telephony
        self._writer = writer
        self._callbacks = callbacks
        self._customers = customers
        self._lost = lost
        self._restore = restore
        self._servers = servers
        self.link: LeaderLink | None = None
        self.stalled: Callable[[float], bool] | None = None
        """Set by the service on a cluster's node: whether this process stood still long
        enough after a loop time for the leader to take its callers (`stuck_agi`)."""

    def _standby(self) -> LeaderLink | None:
        """The link to the leader while this node is a standby, else None."""
        link = self.link
        return link if link is not None and link.standby() else None

    async def ivr(self, session: AGISession) -> None:
        """A call arrives: run its flow, then queue and hold it, or do what it asked.
        A call the ACD already has is held in its place again (the module's docstring)."""
        prompts = CallPrompts(session)
        begun = asyncio.get_running_loop().time()
        link = self._standby()
        if link is not None and await link.already_queued(session):
            # Queued before, and its leader went away: the line is the leader's to hold.
            await link.send_on(session, "the caller is queued already")
            return
        call = None if link is not None else await self._rejoining(session)
        if call is not None:
            await self._hold_session(prompts, call)
            return
        result = await self._runner.run(session, prompts=prompts)
        callback_id: int | None = None
        for handoff in result.handoffs:
            if isinstance(handoff, RequestCallback):
                callback_id = await self._callback(session, handoff, result) or callback_id
            elif isinstance(handoff, StoreSurvey):
                self._survey(session.request.uniqueid, handoff)
        enqueue = next((h for h in result.handoffs if isinstance(h, EnqueueCall)), None)
        held = (
            enqueue is not None
            and not session.hung_up
            and await self._queue_and_hold(prompts, enqueue, result)
        )
        if held:
            return
        await self._done(session)
        if session.hung_up and self.stalled is not None and self.stalled(begun):
            # This node was frozen during the call: the leader may have sent the caller on
            # (callcenter/pbx/stuck_agi.py), and the end heard here is that, not a hang-up.
            log.warning(
                "ivr.ending_not_recorded",
                uniqueid=session.request.uniqueid,
                reason="this node stood still during the call (frozen?): the caller may "
                "have been sent to another node, which records the call",
            )
            return
        outcome, queue, extra = ivr_ending(result)
        if callback_id is not None and outcome == "callback":
            extra = {**extra, "callback.id": str(callback_id)}
        await self._save(session, result, outcome, queue, extra)

    async def survey(self, session: AGISession) -> None:
        """The agent hung up first: the caller rates the call (flow by script name)."""
        result = await self._runner.run(session)
        for handoff in result.handoffs:
            if isinstance(handoff, StoreSurvey):
                self._survey(session.request.uniqueid, handoff)
        await self._done(session)

    async def _done(self, session: AGISession) -> None:
        """Tell the dialplan the service is done with this call (it is still up): the
        fail-over must not take the end of this session for a node that went away."""
        if session.hung_up:
            return
        with contextlib.suppress(AGIError):  # gone meanwhile: so is the dialplan
            await session.set_variable(DONE_VARIABLE, "1")

    async def _rejoining(self, session: AGISession) -> PbxCall | None:
        """The call, when the ACD already has it in line or ringing an agent (its
        earlier session ended with the caller still there); None for a new call."""
        request = session.request
        host = self._center.host
        view = host.acd.call_view(request.uniqueid, host.now())
        if view is None or view.kind is not CallKind.VOICE or view.state is CallState.CONNECTED:
            return None
        call = self._calls.get(request.uniqueid)
        if call is None:
            # Not adopted yet (the AMI resync after a restart may come later): the
            # request names the caller's channel, the ACD the rest.
            call = PbxCall(
                request.uniqueid,
                request.channel,
                request.caller_number,
                view.queue,
                view.priority,
                dict(view.requirement),
                server=view.server,
                holding=False,
            )
            self._calls.add(call)
        elif call.arriving:
            # Handed over by a standby: its session has come (the hold loop takes over
            # what the ACD said meanwhile).
            log.info("pbx.call_arrived_from_standby", call_id=call.call_id, queue=call.queue)
        if self._restore is not None and self._center.calls.get(call.call_id) is None:
            info = await self._restore(call.call_id)
            if info is not None:
                self._center.calls.add(info)
        log.info("pbx.call_rejoined", call_id=call.call_id, queue=call.queue)
        return call

    async def _queue_and_hold(
        self, prompts: CallPrompts, enqueue: EnqueueCall, result: IvrResult
    ) -> bool:
        """Queue the call and hold it; False if the caller left before it was queued."""
        session = prompts.session
        request = session.request
        info = await self._call_info(request, enqueue.data, enqueue.queue, result)
        # The caller can be bridged only on their own Asterisk: the ACD offers the call to
        # agents there, and the executor originates there (`pbx.servers`).
        servers = self._servers
        server = None if servers is None else await servers.server_of(request, session.peer)
        link = self._standby()
        if link is not None:
            default = servers is not None and server == servers.default
            return await self._hand_over(
                link, prompts, info, enqueue, server=server, default_server=default
            )
        call = PbxCall(
            info.call_id,
            request.channel,
            request.caller_number,
            enqueue.queue,
            enqueue.priority,
            dict(enqueue.skills),
            server=server,
        )
        self._calls.add(call)
        # The dialplan keeps a queued caller on hold if this service goes away
        # (config/asterisk/extensions.conf: GotoIf ${CC_QUEUED}), so a restart loses nobody.
        try:
            await session.set_variable("CC_QUEUED", "1")
        except AGIHangup:
            self._calls.forget(call)
            return False
        self._center.queue_call(
            info,
            priority=enqueue.priority,
            skills=enqueue.skills,
            server=server,
            default_server=servers is not None and server == servers.default,
        )
        await self._hold_session(prompts, call)
        return True

    async def _hand_over(
        self,
        link: LeaderLink,
        prompts: CallPrompts,
        info: CallInfo,
        enqueue: EnqueueCall,
        *,
        server: str | None,
        default_server: bool,
    ) -> bool:
        """A standby: the leader queues the call, and the caller goes there to be held
        (`CC_LEADER`); the session ends without `CC_DONE`. True unless the caller left
        before the leader had the call (nothing of it is then in the ACD)."""
        session = prompts.session
        request = session.request
        started = time.monotonic()
        try:
            address = await link.queue(
                info,
                channel=request.channel,
                priority=enqueue.priority,
                skills=enqueue.skills,
                server=server,
                default_server=default_server,
            )
        except RelayError as exc:
            # The dialplan tries again (the IVR runs again then): better than a caller
            # who waits in a line nobody keeps.
            log.error("pbx.handover_failed", call_id=info.call_id, error=str(exc))
            await link.wait_a_segment(session)
            return True
        try:
            await session.set_variable(QUEUED_VARIABLE, "1")
            await session.set_variable(LEADER_VARIABLE, address)
        except AGIError:
            pass  # gone meanwhile: the leader hears of the hang-up from Asterisk
        log.info(
            "pbx.call_sent_to_leader",
            call_id=info.call_id,
            queue=info.queue,
            to=address,
            took_s=round(time.monotonic() - started, 4),
        )
        return True

    async def _hold_session(self, prompts: CallPrompts, call: PbxCall) -> None:
        """Hold the queued `call` on this session until Asterisk ends it."""
        session = prompts.session
        call.hold_turn += 1
        turn = call.hold_turn
        try:
            await self._hold(prompts, call, turn)
        except asyncio.CancelledError:
            raise  # the service stops: the dialplan takes the caller to the next node
        except AGIError as exc:
            self._session_lost(session, call, turn, f"the session failed: {type(exc).__name__}")
            raise
        self._session_lost(session, call, turn, "its connection closed")

    def _session_lost(self, session: AGISession, call: PbxCall, turn: int, why: str) -> None:
        """The holding session is over. Unless Asterisk said so (a hang-up, the bridge to
        an agent), the call is settled or a newer session holds it, Asterisk is asked
        whether the caller is there."""
        if session.hangup_seen or call.connected or call.ended or self._lost is None:
            return
        if call.hold_turn != turn:
            return  # the dialplan brought the caller back on a newer session
        log.warning("pbx.holding_session_lost", call_id=call.call_id, why=why)
        self._lost.session_lost(call, why)

    async def _call_info(
        self, request: AGIRequest, answers: Mapping[str, str], queue: str, result: IvrResult
    ) -> CallInfo:
        """What the desktop's pop shows of the call (the IVR's answers, the customer)."""
        data = dict(answers)
        account = data.get("account_number") or data.get("customer.account")
        customer_id = await self._customer_id(data, request.caller_number, account)
        return CallInfo(
            call_id=request.uniqueid,
            caller_number=request.caller_number,
            dialled_number=request.dnid or request.extension,
            arrived_at=self._center.host.now(),
            queue=queue,
            ivr_path=result.path,
            ivr_answers={k: v for k, v in data.items() if not k.startswith("customer.")},
            account=account,
            customer_id=customer_id,
            customer_name=data.get("customer.name"),
            tier=data.get("customer.tier"),
        )

    async def _customer_id(
        self, data: Mapping[str, str], number: str | None, account: str | None
    ) -> int | None:
        # The interaction links the customer so that the next call's pop shows this one.
        # The IVR's own lookup usually found them already: no second query then.
        known = data.get("customer.id", "")
        if known.isdigit():
            return int(known)
        if "customer.name" in data:
            return None  # known to a CRM only: nothing to link in our database
        try:
            found = await self._customers.find_by_phone(number) if number else None
            if found is None and account:
                found = await self._customers.find_by_account(account)
        except (OSError, SQLAlchemyError) as exc:
            log.error("pbx.customer_lookup_failed", error=str(exc))
            return None
        return found.id if found is not None else None

    async def _hold(self, prompts: CallPrompts, call: PbxCall, turn: int) -> None:
        segment = self._telephony.hold_segment_s
        application = "MusicOnHold"
        args: tuple[str, ...] = (self._telephony.moh_class, str(segment))
        call.holding = True
        call.arriving = False
        try:
            while call.holding and call.hold_turn == turn:
                while not call.hold.empty():
                    instruction = call.hold.get_nowait()
                    if instruction[0] == "announce":
                        await self._announce(prompts, instruction[1], instruction[2])
                    else:
                        await self._send_away(prompts, call, instruction[1], instruction[2])
                        return
                started = time.monotonic()
                await prompts.session.exec(application, *args)
                if application == "MusicOnHold" and time.monotonic() - started < segment / 2:
                    # Nothing ends a segment early but a hang-up or a bridge (AGIHangup), so
                    # the class could not start (no music files): Asterisk answers at once,
                    # and looping on it would send thousands of commands a second. The
                    # caller waits in silence instead, and the operator is told.
                    log.error(
                        "pbx.hold_music_failed",
                        call_id=call.call_id,
                        moh_class=self._telephony.moh_class,
                        fix="put music files in the class's directory (musiconhold.conf)",
                    )
                    application, args = "Wait", (str(segment),)
        except AGIHangup:
            pass  # bridged to an agent, or the caller left: the AMI facts say which
        finally:
            if call.hold_turn == turn:  # not a newer session's hold
                call.holding = False

    async def _announce(
        self, prompts: CallPrompts, position: int | None, estimated_wait: float | None
    ) -> None:
        session = prompts.session
        if position is not None:
            await prompts.stream("queue-thereare")
            await session.say_number(position)
            await prompts.stream("queue-callswaiting")
        if estimated_wait is not None and estimated_wait >= 60:
            await prompts.stream("queue-holdtime")
            await session.say_number(round(estimated_wait / 60))
            await prompts.stream("queue-minutes")

    async def _send_away(
        self, prompts: CallPrompts, call: PbxCall, how: str, where: str | None
    ) -> None:
        session = prompts.session
        log.info("pbx.caller_sent_away", call_id=call.call_id, to=how, target=where)
        if how == "voicemail":
            await prompts.stream("vm-intro")
            queue = where or call.queue
            file = message_file(self._telephony.voicemail_dir, queue, call.call_id)
            recording = await record_message(session, file, VOICEMAIL_MAX_S)
            kept = {"voicemail.file": f"{file}.{FORMAT}"}
            if recording.error is None:
                kept["voicemail.seconds"] = f"{recording.seconds:.0f}"
                now = datetime.now(UTC)
                self._write(SetOutcome(call.call_id, "voicemail", kept, now))
                origin = self._center.calls.get(call.call_id)
                customer_id = origin.customer_id if origin else None
                self._write(
                    RecordVoicemail(
                        call.call_id, queue, call.caller_number, customer_id, recording.seconds, now
                    )
                )
                await self._queue_voicemail(
                    call.call_id,
                    queue,
                    call.caller_number,
                    customer_id,
                    origin.customer_name if origin else None,
                    priority=call.priority,
                    skills=call.skills,
                )
                await prompts.stream("vm-msgsaved")
            else:
                # Nothing was recorded: the caller is told to call again, not cut off.
                kept["voicemail.error"] = recording.error
                self._write(SetOutcome(call.call_id, "voicemail_failed", kept, datetime.now(UTC)))
                await prompts.stream("queue-thankyou")
        elif how == "callback" and call.caller_number:
            try:
                # The caller ID is whatever the far end claims: the repository stores it in
                # E.164 or refuses it (a `,` or `&` in it would reach the dialplan's Dial).
                stored = await self._request_callback(
                    call.caller_number,
                    where or call.queue,
                    call.call_id,
                    priority=call.priority,
                    skills=call.skills,
                )
            except (OSError, ValueError, SQLAlchemyError) as exc:
                # Never the number itself in the log: only what is wrong with it.
                log.warning("pbx.callback_not_stored", call_id=call.call_id, error=str(exc))
                await prompts.stream("queue-thankyou")
            else:
                # The call's record names the request that took its place (after the ACD's
                # end of the call, as a voicemail's does).
                kept = {"callback.id": str(stored)}
                self._write(SetOutcome(call.call_id, "callback", kept, datetime.now(UTC)))
                await prompts.stream("custom/callback-confirmed")
        else:
            await prompts.stream("queue-thankyou")
        await session.hangup()

    async def _callback(
        self, session: AGISession, handoff: RequestCallback, result: IvrResult
    ) -> int | None:
        """Store the request the IVR took; its id, None if it could not be stored."""
        request = session.request
        # The callback stands in for the call: the pop shows who is called back and why.
        origin = await self._call_info(request, result.data, handoff.queue, result)
        if self._standby() is None:
            self._center.calls.add(origin)
        try:
            return await self._request_callback(
                handoff.number,
                handoff.queue,
                request.uniqueid,
                priority=handoff.priority,
                skills=dict(handoff.skills),
                origin=origin,
            )
        except (OSError, ValueError, SQLAlchemyError) as exc:
            log.error("pbx.callback_not_stored", queue=handoff.queue, error=str(exc))
            return None

    async def _request_callback(
        self,
        number: str,
        queue: str,
        call_id: str,
        *,
        priority: int = 0,
        skills: dict[str, int] | None = None,
        origin: CallInfo | None = None,
    ) -> int:
        """Store the request and put its entry in line, ranked like the call it replaces;
        its id. The request is the customer's when the call was (their history shows it).
        `origin`: the call's context (else the center's). On a standby the entry is put
        in the leader's line (the request is stored all the same if that fails)."""
        now = datetime.now(UTC)
        origin = origin or self._center.calls.get(call_id)
        stored = await self._callbacks.request(
            number=number,
            window_start=now,
            window_end=now + CALLBACK_WINDOW,
            now=now,
            queue=queue,
            customer_id=origin.customer_id if origin else None,
        )
        callback_id = f"cb-{stored.id}"
        answers = {**(origin.ivr_answers if origin else {}), "callback_for": call_id}
        entry = CallInfo(
            callback_id,
            stored.number,  # in E.164: what the Originate dials
            None,
            self._center.host.now(),
            queue,
            ivr_path=origin.ivr_path if origin else (),
            ivr_answers=answers,
            account=origin.account if origin else None,
            customer_id=origin.customer_id if origin else None,
            customer_name=origin.customer_name if origin else None,
            tier=origin.tier if origin else None,
        )
        link = self._standby()
        if link is not None:
            try:
                await link.callback(origin, entry, priority=priority, skills=skills or {})
            except RelayError as exc:
                log.error(
                    "pbx.callback_not_in_line",
                    callback_id=callback_id,
                    error=str(exc),
                    hint="the request is stored; the leader did not put it in line",
                )
            return stored.id
        self._center.calls.add(entry)
        self._center.host.submit(
            CallbackRequested(
                self._center.host.now(), callback_id, queue, priority, dict(skills or {})
            )
        )
        return stored.id

    async def _save(
        self,
        session: AGISession,
        result: IvrResult,
        outcome: str,
        queue: str | None,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        """The interaction of a call that ended in the IVR."""
        request = session.request
        account = result.data.get("account_number") or result.data.get("customer.account")
        customer_id = await self._customer_id(result.data, request.caller_number, account)
        now = datetime.now(UTC)
        data = InteractionData(
            uniqueid=request.uniqueid,
            arrived_at=result.started or now,
            caller_number=request.caller_number,
            dialled_number=request.dnid or request.extension,
            customer_id=customer_id,
            ivr_path=result.path,
            ivr_data={**result.data, **(extra or {})},
            queue=queue,
            ended_at=now,
            outcome=outcome,
        )
        self._write(SaveInteraction(data))
        recorded = next(
            (h for h in reversed(result.handoffs) if isinstance(h, VoicemailRecorded)), None
        )
        if outcome == "voicemail" and recorded is not None:
            # After the interaction in the same batch: the inbox lists it from now on.
            self._write(
                RecordVoicemail(
                    request.uniqueid,
                    recorded.queue,
                    request.caller_number,
                    customer_id,
                    recorded.seconds,
                    now,
                )
            )
            await self._queue_voicemail(
                request.uniqueid,
                recorded.queue,
                request.caller_number,
                customer_id,
                result.data.get("customer.name"),
            )

    async def _queue_voicemail(
        self,
        call_id: str,
        queue: str,
        caller_number: str | None,
        customer_id: int | None,
        customer_name: str | None,
        *,
        priority: int = 0,
        skills: Mapping[str, int] | None = None,
    ) -> None:
        """The message becomes work in `queue` (`vm-<call id>`), routed like the call was:
        its context for the desktop's pop, and the entry in the ACD's line (the leader's,
        from a standby)."""
        center = self._center
        entry = CallInfo(
            f"{VOICEMAIL_WORK}{call_id}",
            caller_number,
            None,
            center.host.now(),
            queue,
            ivr_answers={"voicemail_of": call_id},
            customer_id=customer_id,
            customer_name=customer_name,
        )
        link = self._standby()
        if link is not None:
            try:
                await link.voicemail(entry, priority=priority, skills=skills or {})
            except RelayError as exc:
                log.error(
                    "pbx.voicemail_not_in_line",
                    entry=entry.call_id,
                    error=str(exc),
                    hint="the message is stored in the inbox; the leader did not route it",
                )
            return
        center.calls.add(entry)
        center.host.submit(
            VoicemailQueued(center.host.now(), entry.call_id, queue, priority, dict(skills or {}))
        )

    def _survey(self, uniqueid: str, survey: StoreSurvey) -> None:
        scores = dict(survey.answers)
        self._write(AddSurveyScores(uniqueid, scores, datetime.now(UTC)))
        log.info(
            "ivr.survey_stored", call_id=uniqueid, answers=len(scores), complete=survey.complete
        )

    def _write(self, op: SaveInteraction | AddSurveyScores | SetOutcome | RecordVoicemail) -> None:
        try:
            self._writer.submit(op)
        except WriteQueueFull as exc:
            log.error("db.write_refused", op=type(op).__name__, error=str(exc))


def ivr_ending(result: IvrResult) -> tuple[str, str | None, dict[str, str]]:
    """How a call that ended in the IVR is recorded: outcome, queue, and data to add.

    What the caller left or asked for names it (the last voicemail or callback request);
    else the flow's outcome, with a hang-up before any queue as `abandoned_in_ivr` (not
    `abandoned`, which is a caller who gave up waiting in a queue). A voicemail keeps its
    file and length, a transfer the number it dialled (`transfer.target`).
    """
    for handoff in reversed(result.handoffs):
        if isinstance(handoff, VoicemailRecorded):
            kept = {
                "voicemail.file": f"{handoff.file}.{FORMAT}",
                "voicemail.seconds": f"{handoff.seconds:.0f}",
            }
            return "voicemail", handoff.queue, kept
        if isinstance(handoff, VoicemailFailed):
            kept = {"voicemail.file": f"{handoff.file}.{FORMAT}", "voicemail.error": handoff.error}
            return "voicemail_failed", handoff.queue, kept
        if isinstance(handoff, RequestCallback):
            return "callback", handoff.queue, {}
    if result.outcome in ("abandoned", "queued"):
        # Queued here means the caller left as the call was handed over, before it was.
        return "abandoned_in_ivr", None, {}
    transfer = next((h for h in result.handoffs if isinstance(h, Transfer)), None)
    if transfer is not None and result.outcome == "transferred":
        return "transferred", None, {"transfer.target": transfer.number}
    return result.outcome, None, {}
