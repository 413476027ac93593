"""At start: the live state as the event log left it (docs/ARCHITECTURE.md, "Persistence").

Strategy: the log of the current day (plus a day before it, for agents and calls that
span midnight) is read in pages and replayed into a fresh core (`replay.rebuild`), which
the ACD host adopts with its timers before it starts. Calls keep their place and their
wait; agents their state. What the replay cannot know (is the caller still there, is the
offer still ringing) is settled by the AMI resync once Asterisk is reachable.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog

from acd import AcdSettings, Event
from callcenter.db import CallEvent, EventLog
from callcenter.live.host import AcdHost
from callcenter.live.replay import in_flight, rebuild

log = structlog.get_logger(__name__)

PAGE = 5_000


def period_start(now: float, timezone: str) -> float:
    """Midnight of `now`'s day in the call center's time zone, as epoch seconds."""
    zone = ZoneInfo(timezone)
    day = datetime.fromtimestamp(now, zone).date()
    return datetime.combine(day, time(0), tzinfo=zone).timestamp()


async def recover(host: AcdHost, settings: AcdSettings, events: EventLog, timezone: str) -> int:
    """Rebuild `host`'s core from today's log; the number of log entries replayed."""
    now = host.now()
    since = period_start(now, timezone)
    start = datetime.fromtimestamp(since, ZoneInfo(timezone)) - timedelta(days=1)
    entries: list[CallEvent] = []
    after = 0
    while True:
        page = await events.read(after_id=after, since=start, limit=PAGE)
        entries += page
        if len(page) < PAGE:
            break
        after = page[-1].id or after
    if not entries:
        return 0
    refused: list[str] = []

    def dropped(item: Event, reason: str) -> None:
        refused.append(f"{type(item).__name__}: {reason}")

    core = rebuild(settings, entries, now=now, since=since, dropped=dropped)
    host.adopt(core)
    flight = in_flight(core)
    waiting = sum(s.calls_waiting + s.callbacks_waiting for s in core.all_queue_stats(now))
    log.info(
        "acd.recovered",
        entries=len(entries),
        calls_waiting=waiting,
        offered=len(flight.offered),
        connected=len(flight.connected),
        refused=len(refused),
    )
    if refused:
        log.warning("acd.replay_refused", inputs=refused[:20])
    return len(entries)
