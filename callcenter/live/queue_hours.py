"""Opening hours per queue: the calendars of the configuration open and close the queues.

Strategy: the core keeps no clock, so the shell reads each queue's calendar
(`CenterConfig.queue_hours`) and tells the core when a queue opens or closes
(`acd.QueueHoursChanged`, recorded in the event log, so a restart's replay closes the same
queues at the same moments). Calendars are read to the minute, so the task looks at the
turn of each minute and whenever a new configuration is put in force (a holiday added for
today closes the queue at once). Only differences are sent: the core's own view
(`QueueStats.open`) is the reference, so after a restart or a change of configuration the
two agree within a minute without a record per minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo

import structlog

from acd import AcdError, QueueHoursChanged
from callcenter.live.host import AcdHost
from ivr_flows import Calendar

log = structlog.get_logger(__name__)

MINUTE = 60.0


class QueueHours:
    """Keeps each queue open or closed as its calendar says; `run` is the long-lived task."""

    def __init__(self, host: AcdHost, zone: tzinfo) -> None:
        """`zone` reads calendars that name no zone of their own (the service's)."""
        self._host = host
        self._zone = zone
        self._calendars: dict[str, Calendar] = {}
        self._changed = asyncio.Event()

    def use(self, calendars: Mapping[str, Calendar]) -> None:
        """Follow these calendars (queue -> calendar) from now on; a queue not named is
        open. Looked at again at once."""
        self._calendars = dict(calendars)
        self._changed.set()

    def wanted(self, now: float) -> dict[str, bool]:
        """Whether each queue should be open at `now` (epoch seconds)."""
        moment = datetime.fromtimestamp(now, UTC)
        return {
            queue.name: (
                queue.name not in self._calendars
                or self._calendars[queue.name].state_at(moment, self._zone) == "open"
            )
            for queue in self._host.settings.queues
        }

    def open_at(self, queue: str, at: datetime) -> bool:
        """Whether `queue`'s calendar has it open at `at` (one without a calendar is)."""
        calendar = self._calendars.get(queue)
        return calendar is None or calendar.state_at(at, self._zone) == "open"

    def next_open(self, queue: str, after: datetime) -> datetime | None:
        """When `queue` opens next at or after `after` (`after` itself when open then);
        None for a queue without a calendar (always open) or one closed for two weeks."""
        calendar = self._calendars.get(queue)
        if calendar is None:
            return None
        return calendar.next_open(after, self._zone, within_days=14)

    async def check(self) -> None:
        """Tell the core about every queue whose state differs from its calendar's."""
        acd = self._host.acd
        now = self._host.now()
        for name, open_ in self.wanted(now).items():
            try:
                if acd.queue_stats(name, now).open is open_:
                    continue
                await self._host.request(functools.partial(_changed, name, open_))
            except AcdError as exc:
                # The queue went with a configuration change meanwhile: the next look settles it.
                log.warning("acd.queue_hours_refused", queue=name, error=str(exc))
                continue
            log.info("acd.queue_hours", queue=name, state="open" if open_ else "closed")

    async def run(self) -> None:
        """Look at the turn of every minute, and at once after `use`; never returns."""
        while True:
            self._changed.clear()
            await self.check()
            now = self._host.now()
            # Just past the next minute: a calendar's 18:00 is closed from 18:00:00.
            delay = math.floor(now / MINUTE) * MINUTE + MINUTE - now + 0.05
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=delay)


def _changed(queue: str, open_: bool, now: float) -> QueueHoursChanged:
    return QueueHoursChanged(now, queue, open_)
