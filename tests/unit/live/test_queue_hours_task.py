"""The task that opens and closes queues by their calendars (`callcenter.live.queue_hours`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from acd import AcdSettings, QueueSettings
from callcenter.live.host import AcdHost
from callcenter.live.queue_hours import QueueHours
from ivr_flows import Calendar

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = Calendar.model_validate({"weekly": {"mon": ["08:00-18:00"]}, "holidays": ["12-25"]})
CONFIG = AcdSettings(queues=(QueueSettings(name="billing"), QueueSettings(name="general")))


def _at(*when: int) -> float:
    return datetime(*when, tzinfo=BERLIN).astimezone(UTC).timestamp()


async def test_queues_follow_their_calendar_and_only_changes_reach_the_core() -> None:
    clock = [_at(2026, 5, 18, 7, 59)]  # a Monday, a minute before opening
    host = AcdHost(CONFIG, clock=lambda: clock[0])
    host.start()
    hours = QueueHours(host, BERLIN)
    hours.use({"billing": OFFICE})
    try:
        await hours.check()
        assert not host.acd.queue_stats("billing", clock[0]).open
        assert host.acd.queue_stats("general", clock[0]).open  # no calendar: always open
        applied = host.applied
        await hours.check()
        assert host.applied == applied  # nothing changed, nothing sent

        clock[0] = _at(2026, 5, 18, 8, 0)
        await hours.check()
        assert host.acd.queue_stats("billing", clock[0]).open

        clock[0] = _at(2026, 12, 25, 10, 0)  # a holiday, whatever the weekday
        await hours.check()
        assert not host.acd.queue_stats("billing", clock[0]).open

        hours.use({})  # the queue follows no calendar any more: open
        await hours.check()
        assert host.acd.queue_stats("billing", clock[0]).open
    finally:
        await host.stop()


async def test_the_task_looks_again_at_once_when_the_calendars_change() -> None:
    clock = [_at(2026, 5, 18, 10, 0)]
    host = AcdHost(CONFIG, clock=lambda: clock[0])
    host.start()
    hours = QueueHours(host, BERLIN)
    task = asyncio.create_task(hours.run())
    try:
        await asyncio.sleep(0.05)
        assert host.acd.queue_stats("billing", clock[0]).open
        hours.use({"billing": Calendar.model_validate({"weekly": {}})})
        for _ in range(100):
            if not host.acd.queue_stats("billing", clock[0]).open:
                break
            await asyncio.sleep(0.01)
        assert not host.acd.queue_stats("billing", clock[0]).open
    finally:
        task.cancel()
        await host.stop()
