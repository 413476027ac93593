"""Callbacks for later: a request whose window starts in the future joins the line at its time.

Strategy: a request made now for now (the IVR's offer, the web's "as soon as possible") is
put in line at once (`enqueue_callback`). One made for later (the web's chosen window, or
"as soon as possible" while the queue is closed: its next opening) is only stored, with its
window; it is told apart by a window that starts after the request was made. A small
supervised task looks every `interval_s` for such requests that are due and never tried,
and puts each in line once, as the IVR's callbacks are: the callback entry `cb-<id>` in the
call registry (for the pop and the dial) and `CallbackRequested` to the ACD, so the
agent-first dialling (`callcenter.pbx.callback_attempts`) takes it from there. Which
requests it has put in line is kept in memory, so an entry answered and being dialled is
not put in line twice; after a restart, a due request that is not in the ACD's line (the
replay restores the line) is put in line again.

The same task keeps each window's end: a pending request whose window is over is failed
with "window missed" (`CallbackRepository.expire_missed`, which says why it is not moved
on) and taken out of the ACD's line, so nobody is rung for it after its window; one being
offered or dialled at that moment is left to its attempt, which still counts. A window
that ends while its queue is closed by its opening hours (a request made just before
closing, parked by the ACD) is moved instead: a window as long, from the opening, where
it stands in line. The center could not call in the window, so it owes the call at its
first chance, as the ACD's parking promises; missing it while open is the center's miss. The task
wakes at the earliest window end of a pending request when that comes before its next
look.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.exc import SQLAlchemyError

from acd import AcdError, CallbackRequested, CallerHungUp, CallState
from callcenter.db import Callback, CallbackRepository
from callcenter.live.calls import CallInfo
from callcenter.live.center import LiveCenter
from callcenter.live.queue_hours import QueueHours

log = structlog.get_logger(__name__)

PREFIX = "cb-"
"""Callback entries are known to the ACD as `cb-<request id>`."""


def enqueue_callback(
    center: LiveCenter,
    request: Callback,
    *,
    queue: str,
    answers: Mapping[str, str] | None = None,
    customer_name: str | None = None,
    priority: int = 0,
) -> str:
    """Put the stored `request` in line in `queue` now: its context in the call registry
    (its number in E.164 is what the agent-first Originate dials; `answers` and the name
    are what the pop shows) and the entry in the ACD. The entry's call id."""
    call_id = f"{PREFIX}{request.id}"
    known = center.calls.get(call_id)
    center.calls.add(
        CallInfo(
            call_id,
            request.number,
            None,
            center.host.now(),
            queue,
            ivr_answers=dict(
                answers if answers is not None else (known.ivr_answers if known else {})
            ),
            customer_id=request.customer_id,
            customer_name=customer_name
            or request.customer_name
            or (known.customer_name if known else None)
            or request.name,
        )
    )
    center.host.submit(CallbackRequested(center.host.now(), call_id, queue, priority))
    return call_id


def _hang_up(call_id: str, now: float) -> CallerHungUp:
    return CallerHungUp(now, call_id)


class ScheduledCallbacks:
    """Puts callbacks made for later in line when their time comes; `run` is the task."""

    def __init__(
        self,
        center: LiveCenter,
        callbacks: CallbackRepository,
        *,
        interval_s: float = 15.0,
        hours: QueueHours | None = None,
    ) -> None:
        """Look every `interval_s` seconds (a window is chosen to the minute); `hours`
        (the service's) tells when a closed queue opens."""
        self._center = center
        self._callbacks = callbacks
        self._interval = interval_s
        self._hours = hours
        self._queued: set[int] = set()

    async def expire(self) -> list[int]:
        """Fail the pending requests whose window is over and take them out of line; their
        ids. One ringing an agent or being dialled is left to its attempt."""
        host = self._center.host
        now = host.now()

        at = datetime.fromtimestamp(now, UTC)

        def dialling(request: int) -> bool:
            view = host.acd.call_view(f"{PREFIX}{request}", now)
            return view is not None and view.state is not CallState.WAITING

        if self._hours is not None:
            for request in await self._callbacks.window_over(at):
                if not dialling(request.id):
                    await self._move_to_opening(request, at)
        missed = await self._callbacks.expire_missed(at, keep=dialling)
        for request in missed:
            call_id = f"{PREFIX}{request.id}"
            if host.acd.call_view(call_id, host.now()) is not None:
                # Out of line: a callback entry's hang-up is counted as cancelled.
                try:
                    await host.request(functools.partial(_hang_up, call_id))
                except AcdError as exc:
                    log.warning("callback.unqueue_failed", callback=request.id, error=str(exc))
            log.info(
                "callback.window_missed",
                callback=request.id,
                queue=request.queue,
                window_end=request.window_end.isoformat(),
                attempts=request.attempts,
            )
        return [request.id for request in missed]

    async def _move_to_opening(self, request: Callback, at: datetime) -> None:
        """A window that ended while its queue was closed: a window as long from the
        opening (from now when it is open again: the service was down meanwhile)."""
        assert self._hours is not None
        queue = request.queue or self._center.host.settings.queues[0].name
        if self._hours.open_at(queue, request.window_end - timedelta(seconds=1)):
            return  # open as the window ended: missed
        opens = self._hours.next_open(queue, at)
        if opens is None:
            return  # closed for weeks: missed
        length = request.window_end - request.window_start
        try:
            await self._callbacks.move_window(
                request.id, window_start=opens, window_end=opens + length, now=at
            )
        except (LookupError, ValueError):
            return  # settled meanwhile
        log.info(
            "callback.window_moved_to_opening",
            callback=request.id,
            queue=queue,
            window_start=opens.isoformat(),
        )

    async def check(self) -> list[int]:
        """Fail the requests whose window is over (`expire`), then put every due request in
        line; the ids put in line."""
        await self.expire()
        host = self._center.host
        now = host.now()
        due = await self._callbacks.scheduled_due(datetime.fromtimestamp(now, UTC))
        queued = []
        for request in due:
            call_id = f"{PREFIX}{request.id}"
            if request.id in self._queued or host.acd.call_view(call_id, now) is not None:
                continue
            queue = request.queue or host.settings.queues[0].name
            try:
                host.acd.queue_stats(queue, now)
            except AcdError:
                # The queue went with a configuration change: the first queue takes it.
                log.warning("callback.queue_gone", callback=request.id, queue=queue)
                queue = host.settings.queues[0].name
            self._queued.add(request.id)
            # After a restart the registry no longer knows what the web form said: the
            # stored name and channel are what the pop shows then.
            known = self._center.calls.get(call_id) is not None
            answers = (
                None
                if known or request.name is None
                else {"channel": request.channel, "name": request.name}
            )
            enqueue_callback(self._center, request, queue=queue, answers=answers)
            # Stored, so a restart does not put it in line a second time.
            await self._callbacks.mark_queued(request.id)
            log.info("callback.scheduled_due", callback=request.id, queue=queue)
            queued.append(request.id)
        return queued

    async def run(self) -> None:
        """Look now and every `interval_s`, or at a window's end when that comes first;
        never returns."""
        while True:
            wait = self._interval
            try:
                await self.check()
                end = await self._callbacks.next_window_end()
                if end is not None:
                    wait = min(wait, max(end.timestamp() - self._center.host.now(), 0.0) + 0.01)
            except (OSError, SQLAlchemyError) as exc:
                log.error("callback.schedule_unreadable", error=str(exc))
            await asyncio.sleep(wait)
