"""Escalation of tickets whose promised step is overdue: an alert on the supervisors'
wallboard (issue 17).

Strategy: the wallboard asks its alert sources synchronously at every refresh, and the
overdue tickets are in the database; so this keeps the last list read (`refresh`) and
answers from it, starting a new read in the background when the last one is older than
`interval_s` (the wallboard refreshes at least every second, so nothing else has to drive
it). One alert per queue (the wallboard keys alerts by queue and kind): kind
`tickets_overdue:<queue>` with `scope` naming the queue, so that only the screens of
supervisors who oversee that queue show it; tickets without a queue make one floor-wide
alert. `queue` stays null: a ticket's lateness is not the queue's service level.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime

import structlog

from callcenter.db.tickets import TicketRepository, WorkTicket
from callcenter.live.views import JSON
from cti.complaint import Step, promised_step

log = structlog.get_logger(__name__)

KIND = "tickets_overdue"
SHOWN = 3
"""Tickets named in one alert; the rest are counted."""


class TicketEscalation:
    """The wallboard's alerts for overdue ticket promises."""

    def __init__(
        self,
        tickets: TicketRepository,
        *,
        clock: Callable[[], datetime] | None = None,
        interval_s: float = 30.0,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        """Read the overdue tickets of `tickets` at most every `interval_s` (on `clock`,
        the repository's by default)."""
        self._tickets = tickets
        # Late-bound: tests (and the routes) set the repository's clock after this is made.
        self._clock = clock or (lambda: tickets.clock())  # noqa: PLW0108
        self._interval = interval_s
        self._monotonic = monotonic or (lambda: asyncio.get_running_loop().time())
        self._overdue: list[WorkTicket] = []
        self._read_at: float | None = None
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> None:
        """Read the overdue tickets now."""
        self._overdue = await self._tickets.overdue(self._clock())
        with contextlib.suppress(RuntimeError):
            self._read_at = self._monotonic()

    def alerts(self) -> list[JSON]:
        """The alerts from the last read (a new read starts when it is old)."""
        self._maybe_refresh()
        by_queue: dict[str | None, list[WorkTicket]] = {}
        for ticket in self._overdue:
            by_queue.setdefault(ticket.queue, []).append(ticket)
        return [_alert(queue, tickets) for queue, tickets in sorted(by_queue.items(), key=_key)]

    async def stop(self) -> None:
        """Cancel a read under way."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _maybe_refresh(self) -> None:
        if self._task is not None and not self._task.done():
            return
        try:
            now = self._monotonic()
        except RuntimeError:
            return  # no running loop: nothing to read with
        if self._read_at is not None and now - self._read_at < self._interval:
            return
        self._read_at = now
        self._task = asyncio.get_running_loop().create_task(self._read(), name="ticket-escalation")

    async def _read(self) -> None:
        try:
            await self.refresh()
        except Exception:  # the next refresh tries again; the wallboard must keep going
            log.exception("tickets.escalation_failed")


def _key(item: tuple[str | None, list[WorkTicket]]) -> str:
    return item[0] or ""


def _alert(queue: str | None, tickets: list[WorkTicket]) -> JSON:
    named = ", ".join(f"#{t.id} {_next(t)} ({t.owner or 'unassigned'})" for t in tickets[:SHOWN])
    more = f" and {len(tickets) - SHOWN} more" if len(tickets) > SHOWN else ""
    where = f" in {queue}" if queue else ""
    count = f"{len(tickets)} ticket{'s' if len(tickets) != 1 else ''}"
    oldest = min(t.step_due_at for t in tickets if t.step_due_at is not None)
    return {
        "queue": None,
        "scope": queue,
        "kind": f"{KIND}:{queue}" if queue else KIND,
        "message": f"{count} overdue{where}: {named}{more}",
        "since": oldest.timestamp(),
        "tickets": [t.id for t in tickets],
    }


def _next(ticket: WorkTicket) -> str:
    following = promised_step(Step(ticket.step))
    return f"{following.value} late" if following else "late"
