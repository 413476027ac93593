"""At start: the live state as the event log left it (docs/ARCHITECTURE.md, "Persistence").

Strategy: the log of the current day (plus a day before it, for agents and calls that
span midnight) is read in pages and replayed into a fresh core (`replay.rebuild`), which
the ACD host adopts with its timers before it starts. Calls keep their place and their
wait; agents their state. What the replay cannot know (is the caller still there, is the
offer still ringing) is settled by the AMI resync once Asterisk is reachable. The calls
the rebuilt core holds get their interaction rows followed again (`resume_interactions`),
so their offer, answer and end are recorded on them as on any other call.

Configuration changes (issue 16): the replay starts from the configuration in force at the
start of the log it reads (what the first config entry there replaced, or the one given
when there is none) and takes on each version at its time, so the rebuilt core runs with
the last version the log shows. Should that differ from the configuration the service
starts with (a version stored while its config entry was lost, or one stored while the
service was down), the host is handed that configuration as its first input: it applies
(and logs) it as soon as it starts, or logs why the core refused it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog

from acd import AcdSettings, CallKind, ConfigurationChanged, Event
from callcenter.db import CallEvent, EventLog, InteractionRepository
from callcenter.live.host import AcdHost
from callcenter.live.recorder import Recorder
from callcenter.live.replay import in_flight, rebuild

log = structlog.get_logger(__name__)

PAGE = 5_000


def period_start(now: float, timezone: str) -> float:
    """Midnight of `now`'s day in the call center's time zone, as epoch seconds."""
    zone = ZoneInfo(timezone)
    day = datetime.fromtimestamp(now, zone).date()
    return datetime.combine(day, time(0), tzinfo=zone).timestamp()


async def recover(
    host: AcdHost,
    settings: AcdSettings,
    events: EventLog,
    timezone: str,
    *,
    version: int | None = None,
) -> int:
    """Rebuild `host`'s core from today's log; the number of log entries replayed.

    `settings` is the configuration the service runs with now and `version` its stored
    version number (0 when not given); see the module docstring for what is replayed.
    """
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
    if core.settings != settings:
        log.warning(
            "acd.recovered_config_differs",
            replayed_version=core.configuration_version,
            version=version,
            hint="the configuration in force now is applied as the host starts",
        )
        host.submit(ConfigurationChanged(now, settings, 0 if version is None else version))
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


async def resume_interactions(
    host: AcdHost, recorder: Recorder, interactions: InteractionRepository
) -> int:
    """Hand `recorder` the stored rows of the calls `host`'s core holds (after `recover`,
    before the host starts); the number of calls resumed.

    A callback entry has no row of its own; a call whose row is missing (its write was
    refused before the restart) is logged and left unrecorded.
    """
    core, now = host.acd, host.now()
    held = [v.call_id for q in core.settings.queues for v in core.waiting_calls(q.name, now)]
    held += [a.call_id for a in core.agent_views(now) if a.call_id is not None]
    resumed = 0
    for call_id in dict.fromkeys(held):
        data = await interactions.get(call_id)
        if data is None:
            view = core.call_view(call_id, now)
            if view is not None and view.kind is CallKind.VOICE:
                log.warning("acd.interaction_missing", call_id=call_id, queue=view.queue)
            continue
        recorder.resume(data)
        resumed += 1
    if resumed:
        log.info("acd.interactions_resumed", calls=resumed)
    return resumed
