"""FastAGI on a standby node of a cluster: the IVR runs where the call came in, the ACD's
part on the leader.

Strategy (issue 18, hot standbys): every node of a cluster opens its FastAGI port, and the
dialplan tries BACKEND1 first whichever node leads. A standby runs the IVR itself (the
flows are pure, their lookups read the shared database, its flows and configuration follow
the leader's: `callcenter.app.service`); what the IVR hands to the ACD goes to the leader
through the relay (`callcenter.cluster.relay`):

* a caller the IVR queues: `agi.queue` with the call's context (`CallInfo`), rank, skills,
  Asterisk server and channel. The leader queues it as its own IVR would and tracks the
  caller as arriving (`PbxCall.arriving`: what the ACD tells the hold loop meanwhile
  waits), and answers its FastAGI address. The standby sets `CC_QUEUED=1` and
  `CC_LEADER=<address>` and ends its session without `CC_DONE`: the dialplan
  ([fastagi], config/asterisk/extensions.conf) sends the caller to `CC_LEADER`, whose
  `ivr` finds the call in line and holds it in its place (one enqueue, no second IVR).
  An offer may bridge the caller before that session arrives: the Originate's Bridge
  takes the channel wherever the dialplan has it.
* a callback the IVR took (`agi.callback`) and a message left (`agi.voicemail`): the ACD
  facts and the contexts the desktop's pop shows. The database writes (the request, the
  interaction, the inbox) stay on the standby: the writer works on any node.
* the estimated wait a flow asks for (`acd.wait`, the callback offer on long waits): the
  leader's ACD's, since the standby's does not run; unknown (the flow's "not above"
  branch) when the leader does not answer within `WAIT_TIMEOUT_S`.

A session the standby does not run (a caller already queued whose leader went away:
`CC_QUEUED` is 1; a script whose state lives in the leader's memory, like `followup`) is
sent on to the leader's address as the leader advertises it (`cluster_nodes.fastagi`,
checked again where read) without running anything. With no leader known, or the relay
failing, the caller hears music for one hold segment and the session ends without
`CC_DONE`: the dialplan tries again (its bounded rounds).

The leader answers a hand-off it already acted on (the standby gave up waiting and the
dialplan brought the caller back) without acting twice: the ACD has the call, or the
callback or message entry, by id.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog

from acd import AcdError, CallbackRequested, VoicemailQueued
from callcenter.agi import AGIError, AGISession
from callcenter.app.settings import TelephonySettings, fastagi_address
from callcenter.cluster.leadership import ClusterStatus
from callcenter.cluster.relay import JSON, Origin, Refused, Relay, RelayError
from callcenter.ivr.dialplan import LEADER_VARIABLE, QUEUED_VARIABLE
from callcenter.live import CallInfo, LiveCenter
from callcenter.pbx.calls import PbxCall, PbxCalls

log = structlog.get_logger(__name__)

QUEUE = "agi.queue"
"""Relay kind: a caller the standby's IVR queued."""
CALLBACK = "agi.callback"
"""Relay kind: a callback request the standby's IVR stored, for the ACD's line."""
VOICEMAIL = "agi.voicemail"
"""Relay kind: a message left on the standby, as work in its queue."""
WAIT = "acd.wait"
"""Relay kind: the estimated wait of a queue (the IVR's callback offer on long waits)."""
WAIT_TIMEOUT_S = 2.0
"""How long the IVR waits for the leader's estimate; then it is unknown (not long)."""

Script = Callable[[AGISession], Awaitable[None]]


def info_json(info: CallInfo) -> JSON:
    """`info` as the relay carries it."""
    return {
        "call_id": info.call_id,
        "caller_number": info.caller_number,
        "dialled_number": info.dialled_number,
        "arrived_at": info.arrived_at,
        "queue": info.queue,
        "ivr_path": list(info.ivr_path),
        "ivr_answers": dict(info.ivr_answers),
        "account": info.account,
        "customer_id": info.customer_id,
        "customer_name": info.customer_name,
        "tier": info.tier,
    }


def info_from(body: Any, where: str) -> CallInfo:
    """The `CallInfo` a standby sent (`info_json`); `Refused` naming what is wrong."""
    if not isinstance(body, dict):
        raise Refused(f"{where}: not an object")
    call_id, queue = body.get("call_id"), body.get("queue")
    if not isinstance(call_id, str) or not call_id or not isinstance(queue, str):
        raise Refused(f"{where}: call_id and queue must be text")
    answers = body.get("ivr_answers") or {}
    path = body.get("ivr_path") or []
    if not isinstance(answers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in answers.items()
    ):
        raise Refused(f"{where}.ivr_answers: must map text to text")
    if not isinstance(path, list) or not all(isinstance(step, str) for step in path):
        raise Refused(f"{where}.ivr_path: must be a list of text")
    customer_id = body.get("customer_id")
    if customer_id is not None and (type(customer_id) is not int):
        raise Refused(f"{where}.customer_id: must be a whole number")
    arrived = body.get("arrived_at")
    if not isinstance(arrived, int | float) or isinstance(arrived, bool):
        raise Refused(f"{where}.arrived_at: must be a number")
    return CallInfo(
        call_id=call_id,
        caller_number=_text(body, "caller_number", where),
        dialled_number=_text(body, "dialled_number", where),
        arrived_at=float(arrived),
        queue=queue,
        ivr_path=tuple(path),
        ivr_answers=answers,
        account=_text(body, "account", where),
        customer_id=customer_id,
        customer_name=_text(body, "customer_name", where),
        tier=_text(body, "tier", where),
    )


def _text(body: Mapping[str, Any], key: str, where: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise Refused(f"{where}.{key}: must be text")
    return value


def _rank(body: Mapping[str, Any]) -> tuple[str, int, dict[str, int]]:
    queue, priority, skills = body.get("queue"), body.get("priority", 0), body.get("skills", {})
    if not isinstance(queue, str) or not queue:
        raise Refused("queue: must be text")
    if type(priority) is not int:
        raise Refused("priority: must be a whole number")
    if not isinstance(skills, dict) or not all(
        isinstance(k, str) and type(v) is int for k, v in skills.items()
    ):
        raise Refused("skills: must map text to whole numbers")
    return queue, priority, skills


class LeaderLink:
    """What a node's FastAGI routes need of the cluster: whether this node leads, where
    the leader's FastAGI is, and the relay that hands the ACD's part over."""

    def __init__(
        self,
        relay: Relay,
        status: Callable[[], ClusterStatus],
        leads: Callable[[], bool],
        telephony: TelephonySettings,
    ) -> None:
        """Relay through `relay`; `status` is this node's view of the cluster, `leads`
        whether this node has taken over (its ACD runs); callers wait with `telephony`'s
        music class and hold segment while no leader answers."""
        self.relay = relay
        self._status = status
        self._leads = leads
        self._telephony = telephony
        self.handed: Counter[str] = Counter()
        """What this node handed to the leader, by kind: `queued` callers, `callback`
        and `voicemail` entries, sessions `sent_on` untouched (for /metrics)."""

    def standby(self) -> bool:
        """Whether the ACD's part goes to another node (this one has not taken over)."""
        return not self._leads()

    def leader_address(self) -> str | None:
        """The leader's FastAGI address, None when no other node is known to lead."""
        status = self._status()
        if status.leader is None or status.leader == status.node:
            return None
        return status.leader_fastagi

    async def queue(
        self,
        info: CallInfo,
        *,
        channel: str,
        priority: int,
        skills: Mapping[str, int],
        server: str | None,
        default_server: bool,
    ) -> str:
        """Have the leader queue the call; its FastAGI address (where the caller goes).
        RelayError when it did not (refused, no leader, no answer in time, a bad address)."""
        answer = await self.relay.call(
            QUEUE,
            {
                "call": info_json(info),
                "channel": channel,
                "queue": info.queue,
                "priority": priority,
                "skills": dict(skills),
                "server": server,
                "default_server": default_server,
            },
        )
        try:
            address = fastagi_address(str(answer.get("fastagi", "")))
        except ValueError as exc:
            raise RelayError(f"the leader answered no usable FastAGI address: {exc}") from None
        self.handed["queued"] += 1
        return address

    async def callback(
        self,
        origin: CallInfo | None,
        entry: CallInfo,
        *,
        priority: int,
        skills: Mapping[str, int],
    ) -> None:
        """Have the leader put the callback `entry` (`cb-<id>`) in line; RelayError."""
        await self.relay.call(
            CALLBACK,
            {
                "origin": None if origin is None else info_json(origin),
                "entry": info_json(entry),
                "queue": entry.queue,
                "priority": priority,
                "skills": dict(skills),
            },
        )
        self.handed["callback"] += 1

    async def voicemail(self, entry: CallInfo, *, priority: int, skills: Mapping[str, int]) -> None:
        """Have the leader route the message `entry` (`vm-<call id>`); RelayError."""
        await self.relay.call(
            VOICEMAIL,
            {
                "entry": info_json(entry),
                "queue": entry.queue,
                "priority": priority,
                "skills": dict(skills),
            },
        )
        self.handed["voicemail"] += 1

    async def estimated_wait(self, queue: str) -> float | None:
        """The leader's estimate of the wait in `queue`; None when unknown or the leader
        did not answer in time (the flow then takes its "not above" branch)."""
        try:
            answer = await self.relay.call(
                WAIT, {"queue": queue}, timeout_s=min(WAIT_TIMEOUT_S, self.relay.timeout_s)
            )
        except RelayError as exc:
            log.warning("ivr.leader_wait_unknown", queue=queue, error=str(exc))
            return None
        seconds = answer.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            return None
        return float(seconds)

    async def send_on(self, session: AGISession, why: str) -> bool:
        """End this session towards the leader (`CC_LEADER`), running nothing; False when
        no leader is known (the caller heard a hold segment: the dialplan tries again)."""
        address = self.leader_address()
        request = session.request
        if address is None:
            log.warning("pbx.no_leader_for_session", call_id=request.uniqueid, why=why)
            await self.wait_a_segment(session)
            return False
        with contextlib.suppress(AGIError):  # the caller left: nothing to send on
            await session.set_variable(LEADER_VARIABLE, address)
        log.info("pbx.session_sent_to_leader", call_id=request.uniqueid, why=why, to=address)
        self.handed["sent_on"] += 1
        return True

    async def wait_a_segment(self, session: AGISession) -> None:
        """Music for one hold segment (nothing else to do now); the session then ends
        without `CC_DONE`, so the dialplan tries the nodes again."""
        telephony = self._telephony
        with contextlib.suppress(AGIError):
            await session.exec("MusicOnHold", telephony.moh_class, str(telephony.hold_segment_s))

    async def already_queued(self, session: AGISession) -> bool:
        """Whether the caller was queued before (`CC_QUEUED` is 1 on the channel): their
        leader went away while they waited."""
        try:
            return await session.get_variable(QUEUED_VARIABLE) == "1"
        except AGIError:
            return False

    def leader_only(self, script: str, handler: Script) -> Script:
        """`handler` where this node leads; on a standby the session is sent on."""

        async def run(session: AGISession) -> None:
            if self.standby():
                await self.send_on(session, f"script {script} runs on the leader")
                return
            await handler(session)

        return run


def serve_standbys(
    relay: Relay,
    center: LiveCenter,
    calls: PbxCalls,
    *,
    address: str | None,
) -> None:
    """Register the leader's side of the hand-offs on `relay` (they run while this node
    leads): queue the standbys' callers in `center`, tracked in `calls` as arriving at
    `address` (this node's FastAGI), and put their callbacks and messages in line."""

    async def queued(body: JSON, origin: Origin) -> JSON:
        if address is None:
            raise Refused(
                "the leader knows no FastAGI address of its own for the callers: set "
                "cluster.fastagi_address (or a concrete fastagi.host) on every node"
            )
        info = info_from(body.get("call"), "call")
        queue, priority, skills = _rank(body)
        channel, server = body.get("channel"), body.get("server")
        if not isinstance(channel, str) or not channel:
            raise Refused("channel: must be text")
        if server is not None and not isinstance(server, str):
            raise Refused("server: must be text")
        host = center.host
        if host.acd.call_view(info.call_id, host.now()) is None:
            calls.add(
                PbxCall(
                    info.call_id,
                    channel,
                    info.caller_number,
                    queue,
                    priority,
                    dict(skills),
                    server=server,
                    holding=False,
                    arriving=True,
                )
            )
            center.queue_call(
                info,
                priority=priority,
                skills=skills,
                server=server,
                default_server=body.get("default_server") is True,
            )
        log.info(
            "pbx.call_handed_over",
            call_id=info.call_id,
            queue=queue,
            node=origin.node,
            waited_s=round(origin.waited_s, 3),
        )
        return {"fastagi": address}

    async def callback(body: JSON, origin: Origin) -> JSON:
        entry = info_from(body.get("entry"), "entry")
        queue, priority, skills = _rank(body)
        if body.get("origin") is not None:
            first = info_from(body.get("origin"), "origin")
            if center.calls.get(first.call_id) is None:
                center.calls.add(first)
        host = center.host
        if host.acd.call_view(entry.call_id, host.now()) is None:
            center.calls.add(entry)
            host.submit(CallbackRequested(host.now(), entry.call_id, queue, priority, skills))
        log.info("pbx.callback_handed_over", entry=entry.call_id, queue=queue, node=origin.node)
        return {}

    async def voicemail(body: JSON, origin: Origin) -> JSON:
        entry = info_from(body.get("entry"), "entry")
        queue, priority, skills = _rank(body)
        host = center.host
        if host.acd.call_view(entry.call_id, host.now()) is None:
            center.calls.add(entry)
            host.submit(VoicemailQueued(host.now(), entry.call_id, queue, priority, skills))
        log.info("pbx.voicemail_handed_over", entry=entry.call_id, queue=queue, node=origin.node)
        return {}

    async def wait(body: JSON, _origin: Origin) -> JSON:
        queue = body.get("queue")
        if not isinstance(queue, str):
            raise Refused("queue: must be text")
        host = center.host
        try:
            return {"seconds": host.acd.queue_stats(queue, host.now()).estimated_wait}
        except AcdError:
            return {"seconds": None}

    relay.serve(QUEUE, queued)
    relay.serve(WAIT, wait)
    relay.serve(CALLBACK, callback)
    relay.serve(VOICEMAIL, voicemail)
