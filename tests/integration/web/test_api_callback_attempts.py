"""Each callback attempt is a contact of its own, and a callback's window ends (issue 17).

The agent writes notes and a disposition for the attempt they are on (the desk names the
callback entry, `cb-<id>`, and the notes land on that attempt's interaction,
`cb-<id>-<n>`); the customer's history and the call records show each attempt with what
its agent wrote, a missed one too. A request still pending when its window ends is not
dialled after it: flagged overdue in the last half hour, then failed, "window missed";
one whose window ends while its queue is closed moves to the opening instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from acd import AgentLoggedIn, AgentReady, CallState
from callcenter.db import Callback
from callcenter.live.callback_schedule import ScheduledCallbacks, enqueue_callback
from callcenter.live.queue_hours import QueueHours
from ivr_flows import Calendar
from tests.integration.web.conftest import User
from tests.web_site import AGENT, CALLER, SUPERVISOR, Site

Login = Callable[[str, str], Awaitable[User]]


async def _in_line(site: Site, hours: float = 2) -> Callback:
    host = site.center.host
    now = datetime.fromtimestamp(host.now(), UTC)
    stored = await site.backend.context.callbacks.request(
        number=CALLER, window_start=now, window_end=now + timedelta(hours=hours), now=now,
        queue="general", customer_id=site.customer_id,
    )  # fmt: skip
    enqueue_callback(site.center, stored, queue="general")
    await host.drain()
    return stored


def _waiting(site: Site) -> list[str]:
    host = site.center.host
    return [v.call_id for v in host.acd.waiting_calls("general", host.now())]


async def test_given_two_attempts_when_the_agent_writes_on_the_desk_then_each_keeps_its_own(
    login: Login, site: Site
) -> None:
    request = await _in_line(site)
    callbacks = site.backend.context.callbacks
    agent = await login(*AGENT)
    t0 = datetime.fromtimestamp(site.center.host.now(), UTC)

    # First attempt: the agent answers, the customer's line is busy.
    first = await callbacks.start_attempt(request.id, agent="agent1", at=t0)
    saved = await agent.json(
        "PATCH",
        f"/api/interactions/cb-{request.id}",
        json={"notes": "line busy, left no message", "disposition": "callback-promised"},
    )
    await callbacks.record_attempt(
        request.id, reached=False, now=t0, agent="agent1", result="busy",
        ended_at=t0 + timedelta(seconds=20),
    )  # fmt: skip
    # Second attempt, after the retry: the customer answers.
    t1 = t0 + timedelta(minutes=5)
    second = await callbacks.start_attempt(request.id, agent="agent1", at=t1)
    during = await agent.json(
        "PATCH", f"/api/interactions/cb-{request.id}", json={"notes": "refund explained"}
    )
    await callbacks.record_attempt(
        request.id, reached=True, now=t1, agent="agent1", result="reached",
        ended_at=t1 + timedelta(minutes=3), reached_at=t1 + timedelta(seconds=8),
    )  # fmt: skip
    await agent.json("PATCH", f"/api/interactions/cb-{request.id}", json={"disposition": "order"})

    assert (first, second) == (f"cb-{request.id}-1", f"cb-{request.id}-2")
    assert (saved["uniqueid"], during["uniqueid"]) == (first, second)
    one = await agent.json("GET", f"/api/interactions/{first}")
    two = await agent.json("GET", f"/api/interactions/{second}")
    assert (one["outcome"], one["notes"], one["disposition"]) == (
        "busy",
        "line busy, left no message",
        "callback-promised",
    )
    assert (two["outcome"], two["notes"], two["disposition"]) == (
        "reached",
        "refund explained",
        "order",
    )
    assert one["answered_at"] is None  # the customer never answered
    assert datetime.fromisoformat(two["answered_at"]) == t1 + timedelta(seconds=8)

    history = await agent.json("GET", f"/api/customers/{site.customer_id}/history")
    attempts = [
        (c["call_id"], c["attempt"], c["outcome"], c["notes"], c["disposition"])
        for c in history
        if c["kind"] == "callback_attempt"
    ]
    assert attempts == [
        (second, 2, "reached", "refund explained", "order"),
        (first, 1, "busy", "line busy, left no message", "callback-promised"),
    ]
    assert all(c["call_id"] not in (first, second) for c in history if c["kind"] == "call")

    supervisor = await login(*SUPERVISOR)
    day = t0.date().isoformat()
    records = (await supervisor.json("GET", f"/api/cdr?since={day}&until={day}"))["records"]
    rows = [
        (r["record_type"], r["attempt"], r["outcome"], r["disposition"], r["has_notes"])
        for r in records
        if r["callback_id"] == request.id
    ]
    assert rows == [
        ("callback_attempt", 1, "busy", "callback-promised", True),
        ("callback_attempt", 2, "reached", "order", True),
    ]


async def test_given_a_callback_nobody_took_when_its_window_ends_then_it_fails_as_window_missed(
    login: Login, site: Site
) -> None:
    request = await _in_line(site, hours=2)
    supervisor = await login(*SUPERVISOR)
    schedule = ScheduledCallbacks(site.center, site.backend.context.callbacks)

    [fresh] = await supervisor.json("GET", "/api/callbacks")
    site.advance(timedelta(hours=1, minutes=40).total_seconds())
    assert await schedule.check() == []
    [late] = await supervisor.json("GET", "/api/callbacks")
    site.advance(timedelta(minutes=20).total_seconds())
    assert await schedule.check() == []
    await site.center.host.drain()

    assert (fresh["overdue"], late["overdue"]) == (False, True)  # flagged before its end
    assert await supervisor.json("GET", "/api/callbacks") == []
    [failed] = await supervisor.json("GET", "/api/callbacks?status=failed")
    assert (failed["id"], failed["reason"], failed["attempts"]) == (
        request.id,
        "window missed",
        0,
    )
    assert _waiting(site) == []  # nobody is offered it after its window
    stats = site.center.host.acd.queue_stats("general", site.center.host.now())
    assert stats.abandoned == 0


async def test_given_a_callback_being_dialled_as_its_window_ends_then_its_attempt_decides(
    login: Login, site: Site
) -> None:
    request = await _in_line(site, hours=1)
    host = site.center.host
    await host.request(lambda now: AgentLoggedIn(now, "agent1"))
    await host.request(lambda now: AgentReady(now, "agent1"))
    view = host.acd.call_view(f"cb-{request.id}", host.now())
    assert view is not None
    assert view.state is CallState.OFFERED
    schedule = ScheduledCallbacks(site.center, site.backend.context.callbacks)
    callbacks = site.backend.context.callbacks
    started = datetime.fromtimestamp(host.now(), UTC)
    await callbacks.start_attempt(request.id, agent="agent1", at=started)

    site.advance(timedelta(hours=1, seconds=1).total_seconds())
    await schedule.check()
    still = await callbacks.get(request.id)
    assert still is not None
    assert str(still.status) == "pending"  # ringing: left to its attempt
    done = await callbacks.record_attempt(
        request.id, reached=True, now=started, agent="agent1", result="reached"
    )

    assert (str(done.status), done.reason) == ("done", None)


async def test_given_a_window_that_ends_while_the_queue_is_closed_then_it_moves_to_the_opening(
    login: Login, site: Site
) -> None:
    host = site.center.host
    monday_3pm = datetime(2030, 5, 20, 15, 0, tzinfo=UTC)
    site.advance(monday_3pm.timestamp() - host.now())
    office = Calendar.model_validate(
        {"weekly": {"mon": ["08:00-16:00"], "tue": ["08:00-16:00"]}, "timezone": "UTC"}
    )
    hours = QueueHours(host, ZoneInfo("UTC"))
    hours.use({"general": office})
    await hours.check()
    schedule = ScheduledCallbacks(site.center, site.backend.context.callbacks, hours=hours)
    # Asked at 15:00: one for "until 17:00" (the line closes at 16:00), one for "until 15:30".
    parked = await _in_line(site, hours=2)
    missed = await _in_line(site, hours=0.5)

    site.advance(timedelta(minutes=30).total_seconds())  # 15:30, still open
    await schedule.check()
    site.advance(timedelta(minutes=31).total_seconds())  # 16:01, closed
    await hours.check()
    await schedule.check()
    site.advance(timedelta(hours=1).total_seconds())  # 17:01: the long window is over too
    await schedule.check()
    await host.drain()

    supervisor = await login(*SUPERVISOR)
    [pending] = await supervisor.json("GET", "/api/callbacks")
    [failed] = await supervisor.json("GET", "/api/callbacks?status=failed")
    # Over while open: missed. Over while closed: a window as long from the opening, and
    # it keeps its place in line (parked until then).
    assert (failed["id"], failed["reason"]) == (missed.id, "window missed")
    assert pending["id"] == parked.id
    assert datetime.fromisoformat(pending["window_start"]) == datetime(
        2030, 5, 21, 8, 0, tzinfo=UTC
    )
    assert datetime.fromisoformat(pending["window_end"]) == datetime(2030, 5, 21, 10, 0, tzinfo=UTC)
    assert host.acd.call_view(f"cb-{parked.id}", host.now()) is not None
    assert host.acd.call_view(f"cb-{missed.id}", host.now()) is None
