"""Recovery at start: an ordinary day's log rebuilds the live state without a false alarm.

The service rebuilds its ACD from today's event log at every start (`recovery.recover`) and
warns (`acd.replay_refused`) when the replay refuses an input it read back from the log. On
an ordinary day (calls answered, wrap-ups ended by their timer or from the desktop, agents
going ready, pausing and logging off, a ring-no-answer, an abandon) nothing is refused, so
an operator never sees that warning unless something really diverged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from structlog.testing import capture_logs

from acd import (
    Acd,
    AcdSettings,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    CallerHungUp,
    OfferTimedOut,
    Record,
    WrapUpEnded,
)
from callcenter.db.events import CallEvent
from callcenter.live.host import AcdHost
from callcenter.live.recovery import period_start, recover
from tests.unit.acd.acd_testkit import Center, only
from tests.unit.live.test_replay import log_of

ZONE = "Europe/Berlin"
NINE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC).timestamp()  # 09:00 in Berlin
CONFIG = AcdSettings.model_validate(
    {
        "queues": [
            {"name": "support", "wrap_up_seconds": 20, "ring_timeout_seconds": 10},
            {"name": "sales", "wrap_up_seconds": 0},
        ],
        "agents": [
            {"id": "a1", "queues": ["support", "sales"]},
            {"id": "a2", "queues": ["support"]},
            {"id": "a3", "queues": ["support", "sales"]},
        ],
    }
)


class StoredLog:
    """The event log as the database hands it back: ids in order, read in pages."""

    def __init__(self, events: list[CallEvent]) -> None:
        self.events = [
            CallEvent(e.at, e.kind, e.call_id, e.queue, e.agent, e.data, id=n)
            for n, e in enumerate(events, start=1)
        ]

    async def read(
        self,
        *,
        after_id: int = 0,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 10_000,
    ) -> list[CallEvent]:
        found = [e for e in self.events if (e.id or 0) > after_id]
        if since is not None:
            found = [e for e in found if e.at >= since]
        return found[:limit]


def ringing(center: Center, call_id: str) -> str:
    """The agent whose phone rings with the call."""
    view = center.acd.call_view(call_id, center.now)
    assert view is not None
    assert view.agent_id is not None
    return view.agent_id


def an_ordinary_morning() -> Center:
    """Three agents' morning, up to a caller waiting and an agent talking."""
    center = Center(CONFIG, period_start(NINE, ZONE))
    center.advance(NINE)
    center.login("a1", "a2")
    center.login("a3", ready=False)
    center.call("c1")
    first = ringing(center, "c1")
    center.wait(4)
    center.answer("c1", first)
    center.call("c2")
    second = ringing(center, "c2")
    center.wait(3)
    center.answer("c2", second)
    center.wait(90)
    center.end("c1")  # wrap-up, ended by its timer 20 s later
    center.wait(30)
    center.end("c2")  # wrap-up, ended from the desktop ("done") after 6 s
    center.wait(6)
    center.send(WrapUpEnded(center.now, second))
    center.send(AgentReady(center.now, "a3"))
    center.call("c3", "sales")
    missed = ringing(center, "c3")
    center.wait(10)
    center.send(OfferTimedOut(center.now, "c3", missed))  # the PBX reports ring-no-answer
    center.wait(2)
    center.answer("c3", ringing(center, "c3"))
    center.send(AgentReady(center.now, missed))
    center.wait(40)
    center.end("c3")  # sales has no wrap-up: ready at once
    center.send(AgentPaused(center.now, "a2", "break"))
    center.call("c4")
    center.wait(1)
    wrapping = ringing(center, "c4")
    center.answer("c4", wrapping)
    center.call("c5")
    center.wait(2)
    center.answer("c5", ringing(center, "c5"))
    center.call("c6")  # nobody free: waits, then gives up
    center.wait(25)
    center.send(CallerHungUp(center.now, "c6"))
    center.wait(60)
    center.end("c4")
    center.wait(5)
    center.send(AgentPaused(center.now, wrapping, "lunch"))  # a pause ends wrap-up
    center.send(AgentLoggedOut(center.now, "a2"))
    center.call("c7")  # waits for whoever is free next
    center.wait(3)
    return center


def picture(core: Acd, now: float) -> dict[str, Any]:
    """What a wallboard, a desktop and the host's timers see."""
    agents = core.agent_views(now)
    return {
        "agents": agents,
        "queues": core.all_queue_stats(now),
        "waiting": {q.name: core.waiting_calls(q.name, now) for q in CONFIG.queues},
        "calls": [core.call_view(a.call_id, now) for a in agents if a.call_id],
        "timers": core.armed_timers(),
    }


async def test_given_an_ordinary_morning_when_restarted_then_no_warning_and_the_same_state() -> (
    None
):
    center = an_ordinary_morning()
    stored = StoredLog(log_of(only(center.log, Record)))
    restarted_at = center.now + 30
    center.advance(restarted_at)
    host = AcdHost(CONFIG, clock=lambda: restarted_at)

    with capture_logs() as logs:
        replayed = await recover(host, CONFIG, stored, ZONE)  # type: ignore[arg-type]
    await host.stop()

    assert replayed == len(stored.events)
    assert [e for e in logs if e["log_level"] not in ("debug", "info")] == []
    assert picture(host.acd, restarted_at) == picture(center.acd, restarted_at)
    states = {a.agent_id: a.state.value for a in host.acd.agent_views(restarted_at)}
    assert sorted(states.values()) == ["logged_out", "not_ready", "on_call"]
    assert [c.call_id for c in host.acd.waiting_calls("support", restarted_at)] == ["c7"]
