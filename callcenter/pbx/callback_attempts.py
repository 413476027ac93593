"""Agent-first callbacks: every attempt at the customer, stored with its agent and result.

Strategy: the executor rings the agent's phone into the callback context (Originate
`Context=<callbacks> Exten=<number>`); once the agent answers, the dialplan Dials the
customer through the trunk (config/asterisk/extensions.conf: `callbacks` -> `outbound`).
AMI tells the rest with the four events the service follows: `Newchannel` of the agent's
endpoint is the agent's leg (while a callback rings that phone); `OriginateResponse`
Success is its answer, Failure an agent who did not answer (no attempt at the customer:
the ACD offers the callback again); a `Newchannel` whose `Linkedid` is the agent leg's
Uniqueid is the leg to the customer; `BridgeEnter` of both legs into one bridge is the
customer answering (reached); the customer leg's `Hangup` cause tells busy (17), no answer
(18, 19, or a plain clearing without an answer) and refusal (21) from a network failure.
The attempt ends with the agent's leg. Each attempt is an interaction of its own
(`cb-<request>-<n>`): opened as the agent answers (`CallbackRepository.start_attempt`, so
the desk can save notes during the call) and closed with the attempt's result when it is
stored on the request (`CallbackRepository.record_attempt`): reached makes it done; a miss
leaves it pending and puts it in line again `callback_retry_s` after the attempt, until
`callback_max_attempts` misses make it failed. A request whose window is over is not put
in line again (the schedule fails it: `ScheduledCallbacks`). At start, requests left
pending by an earlier process get their retry armed again and their number back in the
call registry (for the executor's dial).
Nothing here touches the ACD's own view of the callback (answered when the agent answers).
An event that cannot be applied is logged and dropped (`fact_errors`), and each client's
events are followed by a task the service's `TaskSupervisor` restarts should it die.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError

from acd import CallbackRequested, CallKind, CancelOffer, Command, Event, OfferCall
from callcenter.ami import AMIClient, EventsLost, EventSubscription, OverflowPolicy
from callcenter.ami import Event as AmiEvent
from callcenter.ami.events import BridgeEnter, Hangup, Newchannel, OriginateResponse
from callcenter.app.center_config import CallbackRetries, RetryPolicy
from callcenter.app.settings import TelephonySettings
from callcenter.app.tasks import TaskSupervisor
from callcenter.db import AttemptResult, Callback, CallbackRepository, CallbackStatus
from callcenter.live import CallInfo, LiveCenter
from callcenter.pbx.fact_errors import DroppedFacts

log = structlog.get_logger(__name__)

EVENTS = ("Newchannel", "OriginateResponse", "BridgeEnter", "Hangup")
PREFIX = "cb-"
"""Callback entries are known to the ACD as `cb-<request id>`."""

BUSY = 17
NO_ANSWER = frozenset({0, 16, 18, 19, 26})
"""Causes of a customer leg that ended without an answer and without a network failure:
no answer, the Dial's own time-out or cancel (normal clearing, answered elsewhere)."""
REJECTED = 21
OUTBOUND_HANGUP_WAIT_S = 2.0
"""How long an attempt whose agent hung up waits for the customer leg's Hangup."""


def callback_id(call_id: str) -> int | None:
    """The request id of an ACD callback entry (`cb-12` -> 12), None for other calls."""
    number = call_id.removeprefix(PREFIX)
    return int(number) if call_id.startswith(PREFIX) and number.isdigit() else None


def miss_result(cause: int | None) -> AttemptResult:
    """What a customer leg that ended without an answer came to, by its Hangup cause
    (None: the number was never dialled)."""
    if cause is None:
        return AttemptResult.NOT_DIALLED
    if cause == BUSY:
        return AttemptResult.BUSY
    if cause == REJECTED:
        return AttemptResult.REJECTED
    return AttemptResult.NO_ANSWER if cause in NO_ANSWER else AttemptResult.FAILED


@dataclass(slots=True)
class _Attempt:
    call_id: str
    request: int
    agent_id: str
    endpoint: str
    queue: str
    priority: int
    leg: str | None = None
    """The agent leg's Uniqueid, once its `Newchannel` showed it."""
    answered_at: float | None = None
    outbound: str | None = None
    """The customer leg's Uniqueid."""
    outbound_cause: int | None = None
    outbound_ended: asyncio.Event = field(default_factory=asyncio.Event)
    """Set by the customer leg's Hangup (whose cause tells busy from no answer)."""
    bridges: tuple[str, str] = ("", "")
    """The bridge each leg (agent, customer) entered last."""
    reached: bool = False
    reached_at: float | None = None
    """When agent and customer were bridged."""
    opened: asyncio.Task[None] | None = None
    """Opens the attempt's interaction (`start_attempt`); the store waits for it."""

    def result(self) -> AttemptResult:
        if self.reached:
            return AttemptResult.REACHED
        if self.outbound is None:
            return AttemptResult.NOT_DIALLED
        return miss_result(self.outbound_cause if self.outbound_cause is not None else 16)


class CallbackAttempts:
    """Follows agent-first callbacks on Asterisk and stores each attempt's result."""

    def __init__(
        self,
        center: LiveCenter,
        callbacks: CallbackRepository,
        settings: TelephonySettings,
        *,
        supervisor: TaskSupervisor | None = None,
    ) -> None:
        """Listen on `center`'s ACD (add with `center.host.add_listener`), store in
        `callbacks`; the retry delay and the endpoints come from `settings`; `supervisor`
        runs the following tasks (the service's, so /readyz sees them)."""
        self._center = center
        self._callbacks = callbacks
        self._settings = settings
        self._ringing: dict[str, _Attempt] = {}
        self._legs: dict[str, _Attempt] = {}
        self._outbound: dict[str, _Attempt] = {}
        self._retries: dict[int, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._supervisor = supervisor or TaskSupervisor()
        self._followers: list[str] = []
        self.dropped = DroppedFacts("callback-attempts")
        """The events that could not be applied (logged and counted)."""
        self._resumed: list[tuple[Callback, str]] = []
        self.recorded = 0
        """Attempts stored so far (a health figure)."""
        self.retries = CallbackRetries(
            default=RetryPolicy(
                max_attempts=settings.callback_max_attempts,
                retry_seconds=settings.callback_retry_s,
            )
        )
        """The retry policy per queue (the configuration in force: `use_retries`)."""

    def use_retries(self, retries: CallbackRetries) -> None:
        """Try missed callbacks again by `retries` from now on (a new configuration)."""
        self.retries = retries

    def attach(self, client: AMIClient) -> None:
        """Follow `client`'s call events; retries left by an earlier process are armed once
        it has logged in (an offer sent before would fail)."""
        sub = client.subscribe(
            EVENTS, maxsize=20_000, policy=OverflowPolicy.BLOCK, name="callback-attempts"
        )
        client.add_connect_hook(self._connected)
        name = f"callback-attempts:{client.server.name}"
        self._supervisor.start(name, lambda: self._follow(sub), group=client.server.name)
        self._followers.append(name)

    async def _connected(self, client: AMIClient) -> None:
        resumed, self._resumed = self._resumed, []
        for request, queue in resumed:
            if request.last_attempt_at is not None:
                # The wait after the last miss, by its result, as if nothing had stopped.
                last = request.history[-1].result if request.history else "not-reached"
                wait = self.retries.for_queue(queue).wait_after(last)
                self._retry_later(request, queue, 0, request.last_attempt_at.timestamp(), wait=wait)

    async def _follow(self, sub: EventSubscription) -> None:
        async for item in sub:
            if isinstance(item, AmiEvent):
                try:
                    self.apply(item)
                except Exception as exc:  # noqa: BLE001  (one bad fact is dropped, never fatal)
                    self.dropped.drop(item, exc)
            elif isinstance(item, EventsLost):
                # An attempt whose events were lost may never end here: the request stays
                # pending and its retry timer, if any, still puts it in line again.
                log.warning("callback.events_lost", count=item.count)

    def on_commands(self, commands: Sequence[Command], event: Event) -> None:
        """A callback offered to an agent may become an attempt; a withdrawn one will not."""
        for command in commands:
            if isinstance(command, OfferCall) and command.kind is CallKind.CALLBACK:
                request = callback_id(command.call_id)
                if request is None:
                    continue
                view = self._center.host.acd.call_view(command.call_id, event.now)
                endpoint = self._settings.endpoint(command.agent_id, self._center.host.settings)
                self._ringing[endpoint] = _Attempt(
                    command.call_id,
                    request,
                    command.agent_id,
                    endpoint,
                    command.queue,
                    view.priority if view is not None else 0,
                )
            elif isinstance(command, CancelOffer):
                # By the call, not the agent's phone: the phone may have changed (a new
                # configuration version) since the offer rang the old one.
                ringing = next(
                    (a for a in self._ringing.values() if a.call_id == command.call_id), None
                )
                if ringing is not None and ringing.agent_id == command.agent_id:
                    # Withdrawn while it rang: whatever the phone does now is no attempt.
                    del self._ringing[ringing.endpoint]
                    if ringing.leg is not None:
                        self._legs.pop(ringing.leg, None)

    def apply(self, event: AmiEvent) -> None:
        """Apply one AMI event."""
        if isinstance(event, Newchannel):
            self._new_channel(event)
        elif isinstance(event, OriginateResponse):
            self._originated(event)
        elif isinstance(event, BridgeEnter):
            self._bridged(event)
        elif isinstance(event, Hangup):
            self._hung_up(event)

    def _new_channel(self, event: Newchannel) -> None:
        channel = event.channel
        attempt = self._legs.get(channel.linkedid)
        if attempt is not None and channel.uniqueid != attempt.leg:
            if attempt.outbound is None:  # the dialplan dials the customer
                attempt.outbound = channel.uniqueid
                self._outbound[channel.uniqueid] = attempt
                self._answered(attempt)
            return
        attempt = self._ringing.get(channel.channel.rsplit("-", 1)[0])
        if attempt is not None and attempt.leg is None:
            attempt.leg = channel.uniqueid
            self._legs[channel.uniqueid] = attempt

    def _originated(self, event: OriginateResponse) -> None:
        name = event.channel_name or ""
        endpoint = name if name in self._ringing else name.rsplit("-", 1)[0]
        attempt = self._ringing.pop(endpoint, None)
        if attempt is None:
            return
        if not event.succeeded:
            # The agent did not take it: no attempt at the customer (the ACD offers it again).
            if attempt.leg is not None and attempt.outbound is None:
                self._legs.pop(attempt.leg, None)
            return
        if attempt.leg is None and event.uniqueid:
            attempt.leg = event.uniqueid
            self._legs[event.uniqueid] = attempt
        self._answered(attempt)

    def _answered(self, attempt: _Attempt) -> None:
        # The dialplan runs as soon as the agent answers, so the customer's leg may show up
        # before the OriginateResponse does.
        if attempt.answered_at is None:
            attempt.answered_at = self._center.host.now()
            attempt.opened = self._spawn(self._open(attempt))
        if self._ringing.get(attempt.endpoint) is attempt:
            del self._ringing[attempt.endpoint]

    def _bridged(self, event: BridgeEnter) -> None:
        uniqueid, bridge = event.uniqueid, event.bridge.bridge_id
        attempt = self._legs.get(uniqueid)
        if attempt is not None and uniqueid == attempt.leg:
            attempt.bridges = (bridge, attempt.bridges[1])
        else:
            attempt = self._outbound.get(uniqueid)
            if attempt is None:
                return
            attempt.bridges = (attempt.bridges[0], bridge)
        if attempt.bridges[0] and attempt.bridges[0] == attempt.bridges[1]:
            attempt.reached = True
            if attempt.reached_at is None:
                attempt.reached_at = self._center.host.now()

    def _hung_up(self, event: Hangup) -> None:
        uniqueid = event.uniqueid
        if uniqueid in self._outbound:
            cause = event.cause  # read first: a malformed event is dropped whole
            ended = self._outbound.pop(uniqueid)
            ended.outbound_cause = cause
            ended.outbound_ended.set()
            return
        attempt = self._legs.get(uniqueid)
        if attempt is None or uniqueid != attempt.leg:
            return
        del self._legs[uniqueid]
        if self._ringing.get(attempt.endpoint) is attempt:
            del self._ringing[attempt.endpoint]
        if attempt.answered_at is None:
            return  # the phone never answered: not an attempt at the customer
        self._spawn(self._settle(attempt))

    async def _settle(self, attempt: _Attempt) -> None:
        # Asterisk may report the customer leg's Hangup (its cause: busy or no answer)
        # after the agent leg's, when Dial returned and the agent leg ended first: wait
        # for it a moment rather than take every such miss for a no-answer.
        if attempt.outbound is not None and not attempt.reached:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(attempt.outbound_ended.wait(), OUTBOUND_HANGUP_WAIT_S)
            self._outbound.pop(attempt.outbound, None)
        await self._store(attempt, attempt.result())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _open(self, attempt: _Attempt) -> None:
        assert attempt.answered_at is not None
        at = datetime.fromtimestamp(attempt.answered_at, UTC)
        try:
            uniqueid = await self._callbacks.start_attempt(
                attempt.request, agent=attempt.agent_id, at=at
            )
        except (LookupError, ValueError) as exc:
            log.warning("callback.attempt_not_opened", callback=attempt.request, error=str(exc))
            return
        except (OSError, SQLAlchemyError) as exc:
            # `record_attempt` makes the interaction when this could not.
            log.error("callback.attempt_not_opened", callback=attempt.request, error=str(exc))
            return
        log.info("callback.attempt_started", callback=attempt.request, interaction=uniqueid)

    async def _store(self, attempt: _Attempt, result: AttemptResult) -> None:
        assert attempt.answered_at is not None
        if attempt.opened is not None:
            await attempt.opened  # the interaction opened counts as this attempt, not the next
        at = datetime.fromtimestamp(attempt.answered_at, UTC)
        policy = self.retries.for_queue(attempt.queue)
        reached_at = attempt.reached_at
        try:
            stored = await self._callbacks.record_attempt(
                attempt.request,
                reached=result is AttemptResult.REACHED,
                now=at,
                agent=attempt.agent_id,
                result=result,
                max_attempts=policy.max_attempts,
                ended_at=datetime.fromtimestamp(self._center.host.now(), UTC),
                reached_at=None if reached_at is None else datetime.fromtimestamp(reached_at, UTC),
            )
        except (LookupError, ValueError) as exc:
            log.warning("callback.attempt_ignored", callback=attempt.request, error=str(exc))
            return
        except (OSError, SQLAlchemyError) as exc:
            log.error(
                "callback.attempt_not_stored",
                callback=attempt.request,
                agent=attempt.agent_id,
                result=str(result),
                error=str(exc),
            )
            return
        self.recorded += 1
        log.info(
            "callback.attempt",
            callback=stored.id,
            agent=attempt.agent_id,
            result=str(result),
            attempts=stored.attempts,
            status=str(stored.status),
        )
        if stored.status is CallbackStatus.PENDING:
            self._retry_later(
                stored,
                attempt.queue,
                attempt.priority,
                attempt.answered_at,
                wait=policy.wait_after(str(result)),
            )

    def _retry_later(
        self, request: Callback, queue: str, priority: int, since: float, *, wait: float
    ) -> None:
        """Put the request in line again `wait` seconds after `since` (epoch seconds)."""
        old = self._retries.pop(request.id, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        delay = max(0.0, since + wait - self._center.host.now())
        self._retries[request.id] = loop.call_later(
            delay, self._requeue, request.id, queue, priority
        )

    def _requeue(self, request: int, queue: str, priority: int) -> None:
        self._retries.pop(request, None)
        self._spawn(self._requeue_if_pending(request, queue, priority))

    async def _requeue_if_pending(self, request: int, queue: str, priority: int) -> None:
        # Read again first: since the miss, the request may have been cancelled or moved
        # to a later window (the schedule puts it in line then) on the desk or the worklist.
        try:
            stored = await self._callbacks.get(request)
        except (OSError, SQLAlchemyError) as exc:
            log.error("callback.retry_unreadable", callback=request, error=str(exc))
            return
        if stored is None or stored.status is not CallbackStatus.PENDING or stored.scheduled:
            return
        host = self._center.host
        if stored.window_end.timestamp() <= host.now():
            return  # its window is over: the schedule fails it (window missed)
        call_id = f"{PREFIX}{request}"
        if host.acd.call_view(call_id, host.now()) is not None:
            return  # in line already
        log.info("callback.retry", callback=request, queue=queue)
        host.submit(CallbackRequested(host.now(), call_id, queue, priority))

    async def resume(self) -> int:
        """At start (after the ACD's recovery): the pending requests of an earlier process get
        their number back for the dial and, when missed before, their retry (armed once
        Asterisk is reachable); how many."""
        pending = await self._callbacks.list(status=CallbackStatus.PENDING.value, limit=10_000)
        host = self._center.host
        now = host.now()
        for request in pending:
            call_id = f"{PREFIX}{request.id}"
            queue = request.queue or host.acd.settings.queues[0].name
            if self._center.calls.get(call_id) is None:
                self._center.calls.add(
                    CallInfo(
                        call_id, request.number, None, now, queue, customer_id=request.customer_id
                    )
                )
            if (
                request.last_attempt_at is not None
                and not request.scheduled
                and host.acd.call_view(call_id, now) is None
            ):
                self._resumed.append((request, queue))
        return len(pending)

    async def close(self) -> None:
        """Stop following and cancel the retries armed (a restart arms them again)."""
        for handle in self._retries.values():
            handle.cancel()
        self._retries.clear()
        await self._supervisor.stop(*self._followers)
        self._followers.clear()
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
