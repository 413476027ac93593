"""Automated follow-up calls: the service dials the customer of a resolved ticket, the IVR
asks "are you satisfied?", and the keypad answer confirms or reopens the ticket.

Strategy: a long-lived task (`run`, started by the service's `TaskSupervisor` as
`followup-calls`) looks every `telephony.followup_schedule_s` for automated follow-ups that
are due and claims each in the database before it dials (`TicketRepository.claim_due`), so
neither a restart nor a second look dials one twice; claims never heard of again are
released as missed after `followup_stale_s` (`release_stale`). A claimed follow-up is an
async AMI Originate, on the default Asterisk server's AMI link (`client`), of
`PJSIP/<number>@<trunk>` into `<followup_context>,s,1` with the
follow-up's id in `CC_FOLLOWUP` (the number in E.164, the id digits: nothing else reaches
the dialplan) and a `ChannelId` of ours. Its `OriginateResponse` Failure is a miss, stored
on the follow-up (`followup_missed`: tried again by the category's rule, or unreached):
Reason 3 is no answer; Reason 0 is also a 486 Busy (s9), so what it was is read from the
channel's `Hangup` cause (17 busy, 21 rejected, 18/19 no answer), which follows it. On
answer Asterisk runs FastAGI `followup` (`answer`): the id is read back with GET VARIABLE
and checked, the flow `telephony.followup_flow` asks the question, and key 1 or 2 is
recorded exactly as an agent records the answer (`answer_followup`: 2 reopens the
ticket); no key is a miss.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError

from callcenter.agi import AGIError, AGISession
from callcenter.ami import AMIClient, AMIError, EventSubscription, OverflowPolicy
from callcenter.ami import actions as ami
from callcenter.ami.events import Hangup, OriginateResponse
from callcenter.app.settings import TelephonySettings
from callcenter.app.tasks import TaskSupervisor
from callcenter.db.phones import is_e164
from callcenter.db.tickets import DueFollowUp, FollowUpNotFound, TicketRepository
from callcenter.ivr.dialplan import FOLLOWUP_SCRIPT, FOLLOWUP_VARIABLE
from callcenter.ivr.runner import IvrRunner
from callcenter.pbx.calls import new_leg_id
from callcenter.pbx.servers import AsteriskServers
from cti.followups import answer_of_key

log = structlog.get_logger(__name__)

SCRIPT = FOLLOWUP_SCRIPT
"""The FastAGI script of the answered follow-up call (`agi://<backend>/followup`)."""
VARIABLE = FOLLOWUP_VARIABLE
"""The channel variable that carries the follow-up's id."""
ANSWER_KEY = "followup.answer"
"""Where the flow keeps the key pressed (its menu's `store_as`)."""
ACTOR = "ivr"
"""Who answered, in the ticket's history: the automated call."""
_MAX_ID_DIGITS = 18


HANGUP_WAIT_S = 2.0
"""How long a failed Originate waits for its channel's Hangup to say why."""


def miss_of_reason(reason: int | None) -> str:
    """What an Originate that failed came to, by its Reason (0 is also a 486 Busy, s9)."""
    return {3: "no-answer", 5: "busy", 8: "congestion"}.get(reason or 0, "failed")


def miss_of_cause(cause: int | None) -> str:
    """What the channel of a failed Originate came to, by its Hangup cause."""
    return {17: "busy", 21: "rejected", 18: "no-answer", 19: "no-answer"}.get(cause or 0, "failed")


class FollowUpCalls:
    """Dials the automated follow-up calls that are due and records their answers."""

    def __init__(
        self,
        tickets: TicketRepository,
        runner: IvrRunner,
        settings: TelephonySettings,
        servers: AsteriskServers,
        *,
        supervisor: TaskSupervisor | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Claim and answer in `tickets`, ask with `runner`'s flows, dial through the
        default server of `servers` (`client`); `settings` name the trunk, context, flow
        and intervals."""
        self._tickets = tickets
        self._runner = runner
        self._settings = settings
        self._servers = servers
        self._supervisor = supervisor or TaskSupervisor()
        # Read at each call: tests (and the routes) replace `tickets.clock`.
        self._clock = clock or (lambda: tickets.clock())  # noqa: PLW0108
        self._dialling: dict[str, int] = {}
        """Our ChannelId -> the follow-up it dials (until its OriginateResponse)."""
        self._failed: dict[str, tuple[int, asyncio.TimerHandle]] = {}
        """Failed with Reason 0: waiting for the channel's Hangup to say why."""
        self._causes: dict[str, int] = {}
        """Hangup causes of our channels seen before their OriginateResponse."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._followers: list[str] = []
        self.dialled = 0
        """Calls placed so far (a health figure)."""
        self.wake = asyncio.Event()
        """Set to look for due follow-ups at once (tests, a resolved ticket)."""

    def attach(self, client: AMIClient) -> None:
        """Follow `client`'s OriginateResponse events (a task of the supervisor)."""
        sub = client.subscribe(
            ("OriginateResponse", "Hangup"),
            maxsize=5_000,
            policy=OverflowPolicy.BLOCK,
            name="followups",
        )
        name = f"followup-calls:{client.server.name}"
        self._supervisor.start(name, lambda: self._follow(sub), group=client.server.name)
        self._followers.append(name)

    async def _follow(self, sub: EventSubscription) -> None:
        async for item in sub:
            if isinstance(item, OriginateResponse):
                self.originated(item)
            elif isinstance(item, Hangup):
                self.hung_up(item)

    def originated(self, event: OriginateResponse) -> None:
        """An Originate of ours came back: a failure is a miss; an answer is for the AGI."""
        uniqueid = event.uniqueid or ""
        followup = self._dialling.pop(uniqueid, None)
        if followup is None or event.succeeded:
            self._causes.pop(uniqueid, None)
            return
        if event.reason in (3, 5, 8):
            self._spawn(self._missed(followup, miss_of_reason(event.reason)))
            return
        cause = self._causes.pop(uniqueid, None)
        if cause is not None:
            self._spawn(self._missed(followup, miss_of_cause(cause)))
            return
        loop = asyncio.get_running_loop()
        timer = loop.call_later(HANGUP_WAIT_S, self._no_hangup, uniqueid)
        self._failed[uniqueid] = (followup, timer)

    def hung_up(self, event: Hangup) -> None:
        """A channel of ours is gone: its cause says why a failed Originate failed."""
        uniqueid = event.uniqueid
        waiting = self._failed.pop(uniqueid, None)
        if waiting is not None:
            followup, timer = waiting
            timer.cancel()
            self._spawn(self._missed(followup, miss_of_cause(event.cause)))
        elif uniqueid in self._dialling:
            self._causes[uniqueid] = event.cause

    def _no_hangup(self, uniqueid: str) -> None:
        waiting = self._failed.pop(uniqueid, None)
        if waiting is not None:
            self._spawn(self._missed(waiting[0], "failed"))

    def client(self) -> AMIClient | None:
        """The AMI client the calls are placed on: the default server's (the first of
        `asterisk.servers`). The call leaves through `telephony.trunk_endpoint`, one trunk
        name for the whole service, and nothing binds a follow-up to another server: a
        ticket is worked without a call (its opening call's server is not kept) and a
        queue spans the servers its agents are on. With one server, the only choice."""
        return self._servers.client(None)

    async def run(self) -> None:
        """Look for due follow-ups every `followup_schedule_s` and dial them (for ever)."""
        while True:
            try:
                await self.dial_due()
            except (OSError, SQLAlchemyError) as exc:
                log.error("followup.schedule_failed", error=str(exc))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._settings.followup_schedule_s):
                    await self.wake.wait()
            self.wake.clear()

    async def dial_due(self) -> int:
        """Release stale claims, then claim and dial what is due now; how many were dialled."""
        now = self._clock()
        stale = timedelta(seconds=self._settings.followup_stale_s)
        for followup in await self._tickets.release_stale(now - stale, now=now):
            log.warning("followup.call_lost", followup=followup)
        client = self.client()
        if client is None or not client.connected:
            return 0  # nothing is claimed while the trunk's server is out of reach
        placed = 0
        for due in await self._tickets.claim_due(now):
            placed += await self._dial(due)
        return placed

    async def _dial(self, due: DueFollowUp) -> int:
        if due.number is None or not is_e164(due.number):
            # Never dialled: the number becomes part of the channel's dial string.
            log.warning(
                "followup.not_dialled",
                followup=due.id,
                error="the customer has no number in E.164",
            )
            await self._missed(due.id, "no-number")
            return 0
        client = self.client()
        if client is None:
            await self._missed(due.id, "not-dialled")
            return 0
        settings = self._settings
        channel_id = new_leg_id()
        action = ami.originate(
            f"PJSIP/{due.number}@{settings.trunk_endpoint}",
            context=settings.followup_context,
            exten="s",
            priority=1,
            timeout_ms=int(settings.followup_ring_s * 1000),
            caller_id=settings.caller_id,
            variables={VARIABLE: str(due.id)},
            channel_id=channel_id,
        )
        self._dialling[channel_id] = due.id
        try:
            await client.send_action(action)
        except AMIError as exc:
            self._dialling.pop(channel_id, None)
            log.error("followup.originate_refused", followup=due.id, error=str(exc))
            await self._missed(due.id, "not-dialled")
            return 0
        self.dialled += 1
        log.info("followup.dialling", followup=due.id, ticket=due.ticket_id, attempt=due.attempt)
        return 1

    async def _missed(
        self, followup: int, result: str, *, answered_at: datetime | None = None
    ) -> None:
        try:
            stored = await self._tickets.followup_missed(
                followup, result, now=self._clock(), answered_at=answered_at
            )
        except FollowUpNotFound:
            return  # answered meanwhile (an agent, or the call)
        except (OSError, SQLAlchemyError) as exc:
            # The claim stays: it is released as stale later and tried again.
            log.error("followup.miss_not_stored", followup=followup, error=str(exc))
            return
        log.info(
            "followup.missed",
            followup=followup,
            result=result,
            attempts=stored.attempts,
            unreached=stored.unreached_at is not None,
        )

    async def answer(self, session: AGISession) -> None:
        """FastAGI `followup`: the customer answered; ask, and record the key. The call is
        hung up at the end, whatever happened: a session that ended with the channel up
        would send the call on to the next backend node (the dialplan's fail-over)."""
        try:
            await self._answer(session)
        finally:
            if not session.hung_up:
                with contextlib.suppress(AGIError):
                    await session.hangup()

    async def _answer(self, session: AGISession) -> None:
        try:
            raw = await session.get_variable(VARIABLE)
        except AGIError:
            return  # gone at once: the claim is released as stale and tried again
        if raw is None or not raw.isdigit() or len(raw) > _MAX_ID_DIGITS:
            log.warning("followup.unknown_call", error=f"{VARIABLE} is missing or not an id")
            return
        followup = int(raw)
        try:
            waiting = await self._tickets.followup_waiting(followup)
        except (OSError, SQLAlchemyError) as exc:
            log.error("followup.unreadable", followup=followup, error=str(exc))
            waiting = False
        if not waiting:
            log.warning("followup.not_waiting", followup=followup)
            return
        answered_at = self._clock()
        key: str | None = None
        try:
            result = await self._runner.run(session, self._settings.followup_flow)
            key = result.data.get(ANSWER_KEY)
        except AGIError as exc:
            log.warning("followup.session_failed", followup=followup, error=type(exc).__name__)
        except ValueError as exc:
            # No such flow (telephony.followup_flow): the customer hears nothing useful.
            log.error("followup.flow_missing", followup=followup, error=str(exc))
            await self._missed(followup, "no-flow", answered_at=answered_at)
            return
        satisfied = answer_of_key(key)
        if satisfied is None:
            await self._missed(followup, "no-key", answered_at=answered_at)
            return
        try:
            ticket = await self._tickets.answer_followup(
                followup,
                satisfied,
                now=self._clock(),
                actor=ACTOR,
                note="keypad",
                call_answered_at=answered_at,
            )
        except FollowUpNotFound:
            return  # an agent recorded an answer meanwhile
        except (OSError, SQLAlchemyError, ValueError) as exc:
            log.error("followup.answer_not_stored", followup=followup, error=str(exc))
            return
        log.info(
            "followup.answered",
            followup=followup,
            ticket=ticket.id,
            satisfied=satisfied,
            step=ticket.step,
        )

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop following Asterisk and the stores in flight (a failed call whose Hangup
        did not come stays claimed: released as stale after the restart)."""
        for _, timer in self._failed.values():
            timer.cancel()
        self._failed.clear()
        await self._supervisor.stop(*self._followers)
        self._followers.clear()
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
