"""Callbacks called off or moved from the desk or the worklist (issue 17): the request and
the ACD's line change together; what is being dialled cannot be changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from acd import AgentLoggedIn, AgentReady
from callcenter.db import Callback
from callcenter.live.callback_schedule import ScheduledCallbacks, enqueue_callback
from tests.integration.web.conftest import User
from tests.web_site import AGENT, SCOPED_SUPERVISOR, SUPERVISOR, Site

Login = Callable[[str, str], Awaitable[User]]


async def _in_line(site: Site, queue: str = "general", hours: float = 2) -> Callback:
    host = site.center.host
    now = datetime.fromtimestamp(host.now(), UTC)
    stored = await site.backend.context.callbacks.request(
        number="+4930555123", window_start=now, window_end=now + timedelta(hours=hours),
        now=now, queue=queue,
    )  # fmt: skip
    enqueue_callback(site.center, stored, queue=queue)
    await host.drain()
    return stored


def _waiting(site: Site, queue: str = "general") -> list[str]:
    host = site.center.host
    return [v.call_id for v in host.acd.waiting_calls(queue, host.now())]


async def test_given_a_callback_in_line_when_the_agent_cancels_it_then_it_leaves_the_line(
    login: Login, site: Site
) -> None:
    stored = await _in_line(site)
    assert _waiting(site) == [f"cb-{stored.id}"]
    agent = await login(*AGENT)

    cancelled = await agent.json(
        "POST", f"/api/callbacks/{stored.id}/cancel", json={"reason": "reached by mail"}
    )

    assert cancelled["status"] == "cancelled"
    assert _waiting(site) == []
    assert await agent.json("GET", "/api/callbacks") == []
    listed = await agent.json("GET", "/api/callbacks?status=cancelled")
    assert [c["id"] for c in listed] == [stored.id]
    again = await agent.json("POST", f"/api/callbacks/{stored.id}/cancel", status=409, json={})
    assert "cancelled" in again["error"]["message"]
    stats = site.center.host.acd.queue_stats("general", site.center.host.now())
    assert stats.abandoned == 0  # a callback called off is not an abandoned call


async def test_given_a_callback_moved_to_tomorrow_then_it_waits_and_joins_the_line_then(
    login: Login, site: Site
) -> None:
    stored = await _in_line(site)
    supervisor = await login(*SUPERVISOR)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    refused = await supervisor.json(
        "POST", f"/api/callbacks/{stored.id}/reschedule", status=422, json={"window_start": past}
    )
    assert refused["error"]["details"][0]["field"] == "window_start"
    naive = await supervisor.json(
        "POST",
        f"/api/callbacks/{stored.id}/reschedule",
        status=422,
        json={"window_start": "2030-01-01T09:00:00"},
    )
    assert "zone" in naive["error"]["message"]
    tomorrow = datetime.now(UTC) + timedelta(days=1)

    moved = await supervisor.json(
        "POST",
        f"/api/callbacks/{stored.id}/reschedule",
        json={"window_start": tomorrow.isoformat()},
    )

    assert (moved["scheduled"], moved["status"]) == (True, "pending")
    assert moved["window_end"] > moved["window_start"]
    assert _waiting(site) == []
    schedule = ScheduledCallbacks(site.center, site.backend.context.callbacks)
    assert await schedule.check() == []  # not yet
    site.advance(timedelta(days=1, minutes=1).total_seconds())
    assert await schedule.check() == [stored.id]
    await site.center.host.drain()
    assert _waiting(site) == [f"cb-{stored.id}"]
    listed = await supervisor.json("GET", "/api/callbacks")
    assert [c["scheduled"] for c in listed] == [False]  # in line: no longer waiting for its time


async def test_given_a_callback_ringing_an_agent_then_it_cannot_be_changed(
    login: Login, site: Site
) -> None:
    stored = await _in_line(site)
    host = site.center.host
    await host.request(lambda now: AgentLoggedIn(now, "agent1"))
    await host.request(lambda now: AgentReady(now, "agent1"))
    agent = await login(*AGENT)
    refused = await agent.json("POST", f"/api/callbacks/{stored.id}/cancel", status=409, json={})
    assert "being dialled now" in refused["error"]["message"]


async def test_a_supervisor_changes_only_their_queues_callbacks_and_overdue_ones_are_flagged(
    login: Login, site: Site
) -> None:
    general = await _in_line(site, "general", hours=0.001)
    billing = await _in_line(site, "billing")
    scoped = await login(*SCOPED_SUPERVISOR)  # billing only
    await scoped.json("POST", f"/api/callbacks/{general.id}/cancel", status=403, json={})
    assert [c["id"] for c in await scoped.json("GET", "/api/callbacks")] == [billing.id]
    site.advance(60)
    supervisor = await login(*SUPERVISOR)
    flags = {c["id"]: c["overdue"] for c in await supervisor.json("GET", "/api/callbacks")}
    assert flags == {general.id: True, billing.id: False}
    only_billing = await supervisor.json("GET", "/api/callbacks?queue=billing")
    assert [c["id"] for c in only_billing] == [billing.id]
