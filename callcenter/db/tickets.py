"""Tickets: complaints and requests, their status workflow and their history.

Strategy: the workflow is `cti.tickets` (a pure table); this repository applies it inside
one transaction per change: read the ticket (locked on PostgreSQL, so two agents cannot
both move it), check the move, update, and append a history row. A refused move raises
`cti.IllegalTransition` with a message an agent can read, and changes nothing. Linking a
ticket to a call is a step in its history too (the status stays).

Tickets as work (issue 17): each ticket is also at a step of the six-step complaint
process (`cti.complaint`) with the time its next step is promised; `advance` moves it a
step (checking who may), `assign` gives it to someone, `worklist` lists what a user has to
do, `overdue` what has broken its promise, and resolving a ticket (the step `proposed`)
schedules a follow-up call whose answer (`answer_followup`) confirms or reopens it. A
coarse `move` of the in-call form lands on the step its status stands for. Every change is
a history row with actor, time, the step after it and the promise it met or missed.

A follow-up is made by an agent or is the automated IVR call, by the ticket category's
rule (`use_followups`, `cti.followups`). Automated ones are claimed for dialling
(`claim_due`: marked in the database, one transaction per follow-up, so neither a second
service nor a restart dials it twice); a call that misses is stored (`followup_missed`)
and tried again by the rule until it is unreached; a claim never heard of again is a
miss after a while (`release_stale`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.followup_contacts import (
    ANSWERED_BY_AGENT,
    end_followup_call,
    followup_call,
    result_of_answer,
)
from callcenter.db.interactions import InteractionNotFound
from callcenter.db.lifecycle import LifecycleKind, log_change
from callcenter.db.models import Interaction, Phone, Ticket, TicketChange, TicketFollowUp
from callcenter.db.reads import Reads, SessionReads
from cti.complaint import (
    STATUS_OF_STEP,
    STEP_OF_STATUS,
    Actor,
    Step,
    check_may_assign,
    check_may_work,
    check_step,
    is_overdue,
    promised_step,
    step_due_at,
)
from cti.followups import FollowUpMode, FollowUpRule, after_miss, first_due
from cti.tickets import SETTLED, TicketError, TicketStatus, check_transition, due_at
from cti.types import TicketSummary


class TicketNotFound(TicketError, LookupError):
    """No ticket has the id asked for (a `TicketError`, as `move` always raised)."""


class FollowUpNotFound(TicketError, LookupError):
    """No follow-up call has the id asked for, or it was answered already."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One step in a ticket's life."""

    at: datetime
    from_status: str | None
    to_status: str
    actor: str | None
    note: str
    step: str | None = None
    promise_due_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WorkTicket:
    """A ticket as the worklist shows it."""

    id: int
    customer_id: int
    category: str
    subject: str
    status: str
    step: str
    step_due_at: datetime | None
    due_at: datetime
    owner: str | None
    queue: str | None
    created_at: datetime
    updated_at: datetime

    def overdue(self, now: datetime) -> bool:
        """Whether the promised next step is late at `now`."""
        return is_overdue(self.step, self.step_due_at, now)


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A follow-up call to a customer about a resolved ticket."""

    id: int
    ticket_id: int
    created_at: datetime
    due_at: datetime
    answered_at: datetime | None
    satisfied: bool | None
    agent: str | None
    note: str
    subject: str
    customer_id: int
    queue: str | None
    mode: str = FollowUpMode.AGENT.value
    """Who calls: agent, or automated (the IVR call)."""
    attempts: int = 0
    """Automated calls placed so far."""
    last_result: str | None = None
    """What the last automated call came to."""
    unreached_at: datetime | None = None
    """When the automated calls were used up without an answer (an agent's work now)."""
    dialling: bool = False
    """An automated call is out right now."""


@dataclass(frozen=True, slots=True)
class DueFollowUp:
    """An automated follow-up claimed for a call: whom to dial, about which ticket."""

    id: int
    ticket_id: int
    customer_id: int
    number: str | None
    """The customer's first stored number (E.164), None when they have none."""
    attempt: int
    """Which call this is (1 for the first)."""


def _work(row: Ticket) -> WorkTicket:
    return WorkTicket(
        id=row.id,
        customer_id=row.customer_id,
        category=row.category,
        subject=row.subject,
        status=row.status,
        step=row.step,
        step_due_at=row.step_due_at,
        due_at=row.due_at,
        owner=row.owner,
        queue=row.queue,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


_STEP_KINDS = {
    Step.REOPENED: LifecycleKind.TICKET_REOPENED,
    Step.CONFIRMED: LifecycleKind.TICKET_CLOSED,
}
"""The steps whose entry has a kind of its own in the event log (`ticket-step` otherwise)."""


def _to_step(
    session: AsyncSession,
    row: Ticket,
    to: Step,
    *,
    now: datetime,
    actor: str | None,
    note: str,
    followup_rule: FollowUpRule | None = None,
) -> None:
    """Put `row` at step `to` with its promise and history; a follow-up when resolved, made
    as `followup_rule` says (default: by an agent)."""
    previous = Step(row.step)
    kept_promise = row.step_due_at if promised_step(previous) is to else None
    status = STATUS_OF_STEP[to]
    session.add(
        TicketChange(
            ticket_id=row.id,
            at=now,
            from_status=row.status,
            to_status=status.value,
            actor=actor,
            note=note,
            step=to.value,
            promise_due_at=kept_promise,
        )
    )
    from_status = row.status
    row.status = status.value
    row.step = to.value
    row.step_due_at = step_due_at(to, now)
    row.updated_at = now
    log_change(
        session,
        _STEP_KINDS.get(to, LifecycleKind.TICKET_STEP),
        now,
        row.queue,
        ticket=row.id,
        step=to.value,
        from_step=previous.value,
        from_status=from_status,
        promise=row.step_due_at,
        promised=kept_promise,
        kept=None if kept_promise is None else now <= kept_promise,
        actor=actor,
    )
    if to is Step.PROPOSED and row.step_due_at is not None:
        rule = followup_rule or FollowUpRule()
        session.add(
            TicketFollowUp(
                ticket_id=row.id,
                created_at=now,
                due_at=first_due(rule, now, row.step_due_at),
                note="",
                mode=rule.mode.value,
                attempts=0,
            )
        )


def _noted(session: AsyncSession, row: Ticket, at: datetime, actor: str | None, note: str) -> None:
    """A history row of `row` that moves it nowhere: its status and step stay (an
    assignment, a note, an automated follow-up call that missed)."""
    session.add(
        TicketChange(
            ticket_id=row.id,
            at=at,
            from_status=row.status,
            to_status=row.status,
            actor=actor,
            note=note,
            step=row.step,
        )
    )


_TICKETS = Ticket.__table__
_OPEN_FOR_CUSTOMER = (
    select(
        _TICKETS.c.id,
        _TICKETS.c.category,
        _TICKETS.c.subject,
        _TICKETS.c.status,
        _TICKETS.c.due_at,
        _TICKETS.c.owner,
    )
    .where(
        _TICKETS.c.customer_id == bindparam("customer_id"),
        _TICKETS.c.status.not_in([status.value for status in SETTLED]),
    )
    .order_by(_TICKETS.c.due_at)
)
"""The pop's open tickets, built once."""


def _summary(row: Ticket | Row[Any]) -> TicketSummary:
    return TicketSummary(
        id=row.id,
        category=row.category,
        subject=row.subject,
        status=row.status,
        due_at=row.due_at,
        owner=row.owner,
    )


class TicketRepository:
    """Opens tickets with a due time from the category's promise and moves them along."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        promises_h: Mapping[str, float],
        *,
        reads: Reads | None = None,
    ) -> None:
        """`promises_h`: hours promised per category (settings `cti.ticket_promises_h`);
        the pop's open tickets run on `reads` (default: a session of `sessions`)."""
        self._sessions = sessions
        self._reads = reads or SessionReads(sessions)
        self._promises = dict(promises_h)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        """What time it is for the routes (tests move it)."""
        self._followup_rule: Callable[[str], FollowUpRule] = lambda category: FollowUpRule()

    def use_followups(self, rule_for: Callable[[str], FollowUpRule]) -> None:
        """Make the follow-ups of tickets resolved from now on, and retry automated calls,
        by `rule_for(category)` (the configuration in force: `CenterConfig.followups`)."""
        self._followup_rule = rule_for

    def use_promises(self, promises_h: Mapping[str, float]) -> None:
        """Open tickets with these categories and promises from now on (a new version of
        the configuration); tickets already open keep the due time they were given."""
        self._promises = dict(promises_h)

    async def open(
        self,
        *,
        customer_id: int,
        category: str,
        subject: str,
        now: datetime,
        owner: str | None = None,
        actor: str | None = None,
        interaction_id: int | None = None,
        note: str = "",
        queue: str | None = None,
    ) -> TicketSummary:
        """Open a ticket (at step received, acknowledge promised); `TicketError` for a
        category without a promise.

        `note` is the first entry of the ticket's history (the subject when empty);
        `queue` is whose worklist shows it (the call's queue).
        """
        due = due_at(category, now, self._promises)
        async with self._sessions() as session, session.begin():
            row = Ticket(
                customer_id=customer_id,
                interaction_id=interaction_id,
                category=category,
                subject=subject,
                status=TicketStatus.OPEN.value,
                owner=owner,
                created_at=now,
                updated_at=now,
                due_at=due,
                step=Step.RECEIVED.value,
                step_due_at=step_due_at(Step.RECEIVED, now),
                queue=queue,
            )
            session.add(row)
            await session.flush()
            session.add(
                TicketChange(
                    ticket_id=row.id,
                    at=now,
                    from_status=None,
                    to_status=row.status,
                    actor=actor,
                    note=note or subject,
                    step=Step.RECEIVED.value,
                )
            )
            log_change(
                session,
                LifecycleKind.TICKET_OPENED,
                now,
                queue,
                ticket=row.id,
                category=category,
                step=Step.RECEIVED.value,
                promise=row.step_due_at,
                actor=actor,
            )
            return _summary(row)

    async def move(
        self,
        ticket_id: int,
        to: TicketStatus | str,
        *,
        now: datetime,
        actor: str | None = None,
        note: str = "",
        owner: str | None = None,
    ) -> TicketSummary:
        """Move a ticket to status `to`; `IllegalTransition` if the workflow refuses.

        The ticket lands on the step the status stands for (`STEP_OF_STATUS`)."""
        async with self._sessions() as session, session.begin():
            row = await self._locked(session, ticket_id)
            target = check_transition(row.status, str(to))
            _to_step(
                session,
                row,
                STEP_OF_STATUS[target],
                now=now,
                actor=actor,
                note=note,
                followup_rule=self._followup_rule(row.category),
            )
            if owner is not None:
                row.owner = owner
            return _summary(row)

    async def advance(
        self, ticket_id: int, to: Step | str, *, now: datetime, actor: Actor, note: str = ""
    ) -> WorkTicket:
        """Move a ticket to step `to`: `IllegalTransition` if the process refuses,
        `NotAllowed` if `actor` may not move it. An agent moving an unassigned ticket
        takes it. Reaching `proposed` schedules the follow-up call."""
        async with self._sessions() as session, session.begin():
            row = await self._locked(session, ticket_id)
            check_may_work(actor, row.owner)
            target = check_step(row.step, str(to))
            _to_step(
                session,
                row,
                target,
                now=now,
                actor=actor.username,
                note=note,
                followup_rule=self._followup_rule(row.category),
            )
            if row.owner is None and not actor.supervises:
                row.owner = actor.username
            return _work(row)

    async def assign(
        self, ticket_id: int, to: str | None, *, now: datetime, actor: Actor, note: str = ""
    ) -> WorkTicket:
        """Give the ticket to `to` (None: unassigned); `NotAllowed` unless a supervisor,
        or an agent taking an unassigned ticket or giving back their own."""
        async with self._sessions() as session, session.begin():
            row = await self._locked(session, ticket_id)
            check_may_assign(actor, row.owner, to)
            if row.owner != to:
                said = f"assigned to {to}" if to else "unassigned"
                _noted(session, row, now, actor.username, f"{said}: {note}" if note else said)
                row.owner = to
                row.updated_at = now
            return _work(row)

    async def answer_followup(
        self,
        followup_id: int,
        satisfied: bool,
        *,
        now: datetime,
        actor: str,
        note: str = "",
        call_answered_at: datetime | None = None,
    ) -> WorkTicket:
        """Record the customer's answer to a follow-up call: satisfied checks and confirms
        the ticket, not satisfied reopens it. `FollowUpNotFound` if there is no such
        call waiting for an answer. `call_answered_at`: the answer was keyed on the
        automated call, answered then (its contact ends with the answer)."""
        async with self._sessions() as session, session.begin():
            followup = await session.get(TicketFollowUp, followup_id, with_for_update=True)
            if followup is None or followup.answered_at is not None:
                raise FollowUpNotFound(f"no follow-up call {followup_id} waiting for an answer")
            row = await self._locked(session, followup.ticket_id)
            followup.answered_at = now
            followup.satisfied = satisfied
            followup.agent = actor
            followup.note = note
            if followup.dialling_since is not None:
                await end_followup_call(
                    session,
                    followup,
                    row,
                    ANSWERED_BY_AGENT if call_answered_at is None else result_of_answer(satisfied),
                    at=now,
                    answered_at=call_answered_at,
                )
                followup.dialling_since = None
                followup.last_result = "answered"
            log_change(
                session,
                LifecycleKind.TICKET_FOLLOWUP,
                now,
                row.queue,
                ticket=row.id,
                followup=followup.id,
                satisfied=satisfied,
            )
            said = "follow-up call: " + ("satisfied" if satisfied else "not satisfied")
            said = f"{said}: {note}" if note else said
            if not satisfied:
                _to_step(
                    session,
                    row,
                    check_step(row.step, Step.REOPENED),
                    now=now,
                    actor=actor,
                    note=said,
                )
            else:
                if row.step == Step.PROPOSED:
                    _to_step(session, row, Step.CHECKED, now=now, actor=actor, note=said)
                _to_step(
                    session,
                    row,
                    check_step(row.step, Step.CONFIRMED),
                    now=now,
                    actor=actor,
                    note=said,
                )
            return _work(row)

    async def note(self, ticket_id: int, note: str, *, now: datetime, actor: str | None) -> None:
        """Add `note` to the ticket's history (step and status stay); `TicketNotFound`."""
        async with self._sessions() as session, session.begin():
            row = await self._locked(session, ticket_id)
            _noted(session, row, now, actor, note)

    async def _locked(self, session: AsyncSession, ticket_id: int) -> Ticket:
        row = await session.scalar(select(Ticket).where(Ticket.id == ticket_id).with_for_update())
        if row is None:
            raise TicketNotFound(f"no ticket {ticket_id}")
        return row

    async def work_ticket(self, ticket_id: int) -> WorkTicket | None:
        """The ticket `ticket_id` with its step, if it exists."""
        async with self._sessions() as session:
            row = await session.get(Ticket, ticket_id)
            return None if row is None else _work(row)

    async def worklist(
        self,
        *,
        visible_queues: frozenset[str] | None,
        me: str,
        owner: str | None = None,
        queues: Iterable[str] | None = None,
        overdue_at: datetime | None = None,
        status: str | None = None,
        category: str | None = None,
        open_only: bool = True,
        limit: int = 200,
    ) -> list[WorkTicket]:
        """Tickets to work on, the soonest promised first.

        `visible_queues`: the queues the user sees (None: all); tickets without a queue
        and the user's own (`me`) are always visible. `owner` narrows to one owner,
        `queues` to those queues, `overdue_at` to tickets whose promise is late at that
        time, `status` and `category` to those; `open_only` leaves confirmed ones out.
        """
        query = select(Ticket)
        if visible_queues is not None:
            query = query.where(
                or_(
                    Ticket.queue.is_(None),
                    Ticket.queue.in_(sorted(visible_queues)),
                    Ticket.owner == me,
                )
            )
        if owner is not None:
            query = query.where(Ticket.owner == owner)
        if queues is not None:
            query = query.where(Ticket.queue.in_(sorted(queues)))
        if overdue_at is not None:
            query = query.where(
                Ticket.step != Step.CONFIRMED.value, Ticket.step_due_at < overdue_at
            )
        if status is not None:
            query = query.where(Ticket.status == status)
        if category is not None:
            query = query.where(Ticket.category == category)
        if open_only:
            query = query.where(Ticket.step != Step.CONFIRMED.value)
        query = query.order_by(Ticket.step_due_at.is_(None), Ticket.step_due_at, Ticket.id)
        async with self._sessions() as session:
            rows = await session.scalars(query.limit(max(limit, 0)))
            return [_work(row) for row in rows]

    async def overdue(self, now: datetime, *, limit: int = 500) -> list[WorkTicket]:
        """Every ticket whose promised step is late at `now`, the latest first."""
        return await self.worklist(visible_queues=None, me="", overdue_at=now, limit=limit)

    async def followups(
        self, *, visible_queues: frozenset[str] | None, ticket_id: int | None = None
    ) -> list[FollowUp]:
        """Follow-up calls waiting for an answer (of resolved tickets), soonest due first;
        of one ticket (answered ones too) when `ticket_id` is given."""
        query = select(TicketFollowUp, Ticket).join(Ticket, Ticket.id == TicketFollowUp.ticket_id)
        if ticket_id is not None:
            query = query.where(Ticket.id == ticket_id)
        else:
            query = query.where(
                TicketFollowUp.answered_at.is_(None),
                Ticket.status == TicketStatus.RESOLVED.value,
            )
        if visible_queues is not None:
            query = query.where(
                or_(Ticket.queue.is_(None), Ticket.queue.in_(sorted(visible_queues)))
            )
        query = query.order_by(TicketFollowUp.due_at, TicketFollowUp.id)
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return [
            FollowUp(
                id=f.id,
                ticket_id=f.ticket_id,
                created_at=f.created_at,
                due_at=f.due_at,
                answered_at=f.answered_at,
                satisfied=f.satisfied,
                agent=f.agent,
                note=f.note,
                subject=t.subject,
                customer_id=t.customer_id,
                queue=t.queue,
                mode=f.mode,
                attempts=f.attempts,
                last_result=f.last_result,
                unreached_at=f.unreached_at,
                dialling=f.dialling_since is not None,
            )
            for f, t in rows
        ]

    async def claim_due(self, now: datetime, *, limit: int = 20) -> list[DueFollowUp]:
        """Automated follow-ups due at `now` (of tickets still at `proposed`, the newest of
        each ticket), each marked as being dialled and its call counted, one transaction
        each: one another process claimed meanwhile is left to it."""
        query = (
            select(TicketFollowUp.id, TicketFollowUp.ticket_id, Ticket.customer_id)
            .join(Ticket, Ticket.id == TicketFollowUp.ticket_id)
            .where(
                TicketFollowUp.mode == FollowUpMode.AUTOMATED.value,
                TicketFollowUp.answered_at.is_(None),
                TicketFollowUp.unreached_at.is_(None),
                TicketFollowUp.dialling_since.is_(None),
                TicketFollowUp.due_at <= now,
                Ticket.step == Step.PROPOSED.value,
            )
            .order_by(TicketFollowUp.due_at, TicketFollowUp.id)
            .limit(max(limit, 0))
        )
        claimed: list[DueFollowUp] = []
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        for followup_id, ticket_id, customer_id in rows:
            async with self._sessions() as session, session.begin():
                newer = await session.scalar(
                    select(TicketFollowUp.id).where(
                        TicketFollowUp.ticket_id == ticket_id, TicketFollowUp.id > followup_id
                    )
                )
                if newer is not None:
                    continue  # the ticket was resolved again: its newest follow-up calls
                done = await session.execute(
                    update(TicketFollowUp)
                    .where(
                        TicketFollowUp.id == followup_id,
                        TicketFollowUp.dialling_since.is_(None),
                        TicketFollowUp.answered_at.is_(None),
                    )
                    .values(dialling_since=now, attempts=TicketFollowUp.attempts + 1)
                    .returning(TicketFollowUp.attempts)
                )
                attempt = done.scalar()
                if attempt is None:
                    continue
                number = await session.scalar(
                    select(Phone.number)
                    .where(Phone.customer_id == customer_id)
                    .order_by(Phone.id)
                    .limit(1)
                )
                # The call is a contact from the claim on, whatever becomes of it.
                followup = await session.get(TicketFollowUp, followup_id)
                ticket = await session.get(Ticket, ticket_id)
                if followup is not None and ticket is not None:
                    await followup_call(session, followup, ticket, at=now, number=number)
            claimed.append(DueFollowUp(followup_id, ticket_id, customer_id, number, attempt))
        return claimed

    async def followup_missed(
        self,
        followup_id: int,
        result: str,
        *,
        now: datetime,
        answered_at: datetime | None = None,
    ) -> FollowUp:
        """An automated call missed the customer (`result`: busy, no-answer, no-key ...):
        tried again by the category's rule, or unreached once its calls are used up (an
        agent's work then). `FollowUpNotFound` if it is answered or unknown. The call's
        contact ends with `result` (`answered_at`: the customer answered, pressed nothing)."""
        async with self._sessions() as session, session.begin():
            followup = await session.get(TicketFollowUp, followup_id, with_for_update=True)
            if followup is None or followup.answered_at is not None:
                raise FollowUpNotFound(f"no follow-up call {followup_id} waiting for an answer")
            ticket = await self._locked(session, followup.ticket_id)
            plan = after_miss(self._followup_rule(ticket.category), followup.attempts, now)
            if followup.dialling_since is not None:
                await end_followup_call(
                    session, followup, ticket, result, at=now, answered_at=answered_at
                )
            followup.dialling_since = None
            followup.last_result = result
            if plan.retry_at is None:
                followup.unreached_at = now
            else:
                followup.due_at = plan.retry_at
            said = f"automated follow-up call {followup.attempts}: {result}"
            if plan.retry_at is None:
                said += "; not reached, left to an agent"
            _noted(session, ticket, now, "ivr", said)
            return FollowUp(
                id=followup.id,
                ticket_id=followup.ticket_id,
                created_at=followup.created_at,
                due_at=followup.due_at,
                answered_at=None,
                satisfied=None,
                agent=followup.agent,
                note=followup.note,
                subject=ticket.subject,
                customer_id=ticket.customer_id,
                queue=ticket.queue,
                mode=followup.mode,
                attempts=followup.attempts,
                last_result=followup.last_result,
                unreached_at=followup.unreached_at,
            )

    async def release_stale(self, claimed_before: datetime, *, now: datetime) -> list[int]:
        """Calls claimed before `claimed_before` and never heard of again (the service
        restarted mid-call, Asterisk lost it) count as missed (`lost`); their ids."""
        async with self._sessions() as session:
            ids = list(
                await session.scalars(
                    select(TicketFollowUp.id).where(
                        TicketFollowUp.dialling_since.is_not(None),
                        TicketFollowUp.dialling_since < claimed_before,
                        TicketFollowUp.answered_at.is_(None),
                    )
                )
            )
        released = []
        for followup_id in ids:
            try:
                await self.followup_missed(followup_id, "lost", now=now)
            except FollowUpNotFound:
                continue
            released.append(followup_id)
        return released

    async def followup_waiting(self, followup_id: int) -> bool:
        """Whether `followup_id` is an automated follow-up waiting for an answer (what an
        answered automated call may record; an agent's follow-up is not the IVR's)."""
        async with self._sessions() as session:
            waiting = await session.scalar(
                select(TicketFollowUp.id).where(
                    TicketFollowUp.id == followup_id,
                    TicketFollowUp.answered_at.is_(None),
                    TicketFollowUp.mode == FollowUpMode.AUTOMATED.value,
                )
            )
        return waiting is not None

    async def link(
        self,
        ticket_id: int,
        interaction_id: int,
        *,
        now: datetime | None = None,
        actor: str | None = None,
    ) -> TicketSummary:
        """Attach an existing ticket to the call `interaction_id` (an `InteractionRecord.id`).

        The ticket keeps its status; the link is noted in its history (naming the call's
        Uniqueid) and counts as an update at `now`. A ticket already linked to another
        call is moved to this one. `TicketNotFound` or `InteractionNotFound` when either
        is missing.
        """
        at = now or datetime.now(UTC)
        async with self._sessions() as session, session.begin():
            row = await session.get(Ticket, ticket_id, with_for_update=True)
            if row is None:
                raise TicketNotFound(f"no ticket {ticket_id}")
            uniqueid = await session.scalar(
                select(Interaction.uniqueid).where(Interaction.id == interaction_id)
            )
            if uniqueid is None:
                raise InteractionNotFound(f"no recorded call with id {interaction_id}")
            if row.interaction_id != interaction_id:
                row.interaction_id = interaction_id
                row.updated_at = at
                session.add(
                    TicketChange(
                        ticket_id=row.id,
                        at=at,
                        from_status=row.status,
                        to_status=row.status,
                        actor=actor,
                        note=f"linked to call {uniqueid}",
                    )
                )
            return _summary(row)

    async def get(self, ticket_id: int) -> TicketSummary | None:
        """The ticket `ticket_id`, if it exists."""
        async with self._sessions() as session:
            row = await session.get(Ticket, ticket_id)
            return None if row is None else _summary(row)

    async def history(self, ticket_id: int) -> list[HistoryEntry]:
        """Every change of the ticket, oldest first (empty for an unknown ticket)."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(TicketChange)
                .where(TicketChange.ticket_id == ticket_id)
                .order_by(TicketChange.id)
            )
            return [
                HistoryEntry(
                    r.at, r.from_status, r.to_status, r.actor, r.note, r.step, r.promise_due_at
                )
                for r in rows
            ]

    async def open_for_customer(self, customer_id: int) -> list[TicketSummary]:
        """The customer's tickets not yet resolved or confirmed, soonest due first."""
        rows = await self._reads.rows(_OPEN_FOR_CUSTOMER, {"customer_id": customer_id})
        return [_summary(row) for row in rows]

    # Kept last: inside the class body, the name `list` hides the builtin below it.
    async def list(
        self, *, customer_id: int | None = None, status: str | None = None, limit: int = 100
    ) -> list[TicketSummary]:
        """Tickets, the most recently updated first; at most `limit` of them.

        `customer_id` and `status` narrow the list; an unknown status is a `TicketError`
        naming the known ones.
        """
        query = select(Ticket).order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        if customer_id is not None:
            query = query.where(Ticket.customer_id == customer_id)
        if status is not None:
            try:
                query = query.where(Ticket.status == TicketStatus(status).value)
            except ValueError:
                known = ", ".join(s.value for s in TicketStatus)
                raise TicketError(f"unknown ticket status {status!r} (one of: {known})") from None
        async with self._sessions() as session:
            rows = await session.scalars(query.limit(max(limit, 0)))
            return [_summary(row) for row in rows]
