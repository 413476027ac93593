"""The worklist API: tickets worked without a call, steps, assignment, follow-up calls,
overdue promises and the tickets report; the clock is the repository's, moved by tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from callcenter.db import TicketRepository
from tests.integration.web.conftest import User
from tests.web_site import AGENT, AGENT2, SCOPED_SUPERVISOR, SUPERVISOR, Site

Login = Callable[[str, str], Awaitable[User]]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """The time the ticket routes read, moved by the test."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(site: Site) -> Clock:
    clock = Clock()
    site.backend.context.tickets.clock = clock
    return clock


def _tickets(site: Site) -> TicketRepository:
    return site.backend.context.tickets


async def _open(site: Site, queue: str | None = "general", subject: str = "late parcel") -> int:
    ticket = await _tickets(site).open(
        customer_id=site.customer_id, category="complaint", subject=subject, now=T0, queue=queue
    )
    return ticket.id


async def test_an_agent_takes_a_ticket_and_moves_it_through_all_six_steps_without_a_call(
    login: Login, site: Site, clock: Clock
) -> None:
    ticket_id = await _open(site)
    agent = await login(*AGENT)
    [queued] = await agent.json("GET", "/api/worklist?view=queue")
    assert (queued["id"], queued["owner"], queued["next_steps"]) == (
        ticket_id,
        None,
        ["acknowledged"],
    )
    assert queued["customer_name"] == "Erika Mustermann"
    for step in ("acknowledged", "investigated", "proposed", "checked", "confirmed"):
        clock.now += timedelta(hours=1)
        body = await agent.json(
            "POST", f"/api/worklist/{ticket_id}/step", json={"step": step, "note": f"{step}!"}
        )
        assert body["step"] == step
    assert (body["status"], body["owner"], body["overdue"]) == ("confirmed", "agent1", False)
    assert [(h["step"], h["actor"], h["promise_kept"]) for h in body["history"]] == [
        ("received", None, None),
        ("acknowledged", "agent1", True),
        ("investigated", "agent1", True),
        ("proposed", "agent1", True),
        ("checked", "agent1", True),
        ("confirmed", "agent1", True),
    ]
    assert await agent.json("GET", "/api/worklist?view=mine") == []
    mine = await agent.json("GET", "/api/worklist?view=mine&closed=true")
    assert [t["id"] for t in mine] == [ticket_id]


async def test_a_skipped_step_is_refused_on_the_step_field_and_nothing_changes(
    login: Login, site: Site, clock: Clock
) -> None:
    ticket_id = await _open(site)
    agent = await login(*AGENT)
    body = await agent.json(
        "POST", f"/api/worklist/{ticket_id}/step", 409, json={"step": "proposed"}
    )
    assert body["error"]["details"][0]["field"] == "step"
    assert "from received it may go to acknowledged" in body["error"]["message"]
    assert (await agent.json("GET", f"/api/worklist/{ticket_id}"))["step"] == "received"


async def test_only_a_supervisor_reassigns_and_an_unknown_agent_is_named(
    login: Login, site: Site, clock: Clock
) -> None:
    ticket_id = await _open(site)
    agent1, agent2 = await login(*AGENT), await login(*AGENT2)
    await agent1.json("POST", f"/api/worklist/{ticket_id}/assign", json={"owner": "agent1"})
    await agent2.json("POST", f"/api/worklist/{ticket_id}/step", 403, json={"step": "acknowledged"})
    await agent2.json("POST", f"/api/worklist/{ticket_id}/assign", 403, json={"owner": "agent2"})
    supervisor = await login(*SUPERVISOR)
    body = await supervisor.json(
        "POST", f"/api/worklist/{ticket_id}/assign", 422, json={"owner": "nobody"}
    )
    assert body["error"]["details"][0]["field"] == "owner"
    body = await supervisor.json(
        "POST", f"/api/worklist/{ticket_id}/assign", json={"owner": "agent2", "note": "cover"}
    )
    assert body["owner"] == "agent2"
    assert body["history"][-1]["note"] == "assigned to agent2: cover"
    assert [t["id"] for t in await agent2.json("GET", "/api/worklist?view=mine")] == [ticket_id]


async def test_a_ticket_of_another_queue_is_not_found_for_a_scoped_supervisor(
    login: Login, site: Site, clock: Clock
) -> None:
    general = await _open(site, "general")
    billing = await _open(site, "billing")
    scoped = await login(*SCOPED_SUPERVISOR)
    assert [t["id"] for t in await scoped.json("GET", "/api/worklist?view=all")] == [billing]
    await scoped.json("GET", f"/api/worklist/{general}", 404)
    await scoped.json("POST", f"/api/worklist/{general}/step", 404, json={"step": "acknowledged"})


async def test_an_overdue_promise_shows_in_the_overdue_view_once_its_time_has_passed(
    login: Login, site: Site, clock: Clock
) -> None:
    ticket_id = await _open(site)
    supervisor = await login(*SUPERVISOR)
    assert await supervisor.json("GET", "/api/worklist?view=overdue") == []
    clock.now = T0 + timedelta(hours=5)  # acknowledge was promised within 4 hours
    [late] = await supervisor.json("GET", "/api/worklist?view=overdue")
    assert (late["id"], late["overdue"]) == (ticket_id, True)


async def test_a_not_satisfied_follow_up_reopens_the_ticket_and_the_report_counts_it(
    login: Login, site: Site, clock: Clock
) -> None:
    ticket_id = await _open(site)
    agent = await login(*AGENT)
    for step in ("acknowledged", "investigated", "proposed"):
        await agent.json("POST", f"/api/worklist/{ticket_id}/step", json={"step": step})
    [followup] = await agent.json("GET", "/api/followups")
    assert (followup["ticket_id"], followup["overdue"]) == (ticket_id, False)
    clock.now += timedelta(hours=1)
    body = await agent.json(
        "POST",
        f"/api/followups/{followup['id']}/answer",
        json={"satisfied": False, "note": "still broken"},
    )
    assert (body["status"], body["step"]) == ("reopened", "reopened")
    assert body["followups"][0]["satisfied"] is False
    assert await agent.json("GET", "/api/followups") == []
    await agent.json(
        "POST", f"/api/followups/{followup['id']}/answer", 404, json={"satisfied": True}
    )
    supervisor = await login(*SUPERVISOR)
    clock.now += timedelta(minutes=1)
    report = await supervisor.json("GET", "/api/reports/tickets")
    assert (report["resolved"], report["reopened"], report["reopen_rate"]) == (1, 1, 1.0)
    assert report["steps"][0] == {"step": "acknowledged", "due": 1, "kept": 1}
    await agent.json("GET", "/api/reports/tickets", 403)


async def test_a_ticket_opened_on_a_call_belongs_to_the_calls_queue(
    login: Login, site: Site, clock: Clock
) -> None:
    agent = await login(*AGENT)
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "logged_in"})
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "ready"})
    call_id = await site.queue_call()
    await site.answer(call_id)
    await site.flush()
    ticket = await agent.json(
        "POST",
        "/api/tickets",
        201,
        json={
            "customer_id": site.customer_id,
            "category": "complaint",
            "subject": "broken",
            "interaction_uniqueid": call_id,
        },
    )
    body = await agent.json("GET", f"/api/worklist/{ticket['id']}")
    assert (body["queue"], body["owner"]) == ("general", "agent1")


async def test_a_follow_up_call_is_put_in_line_agent_first_with_the_customers_number(
    login: Login, site: Site, clock: Clock
) -> None:
    ticket_id = await _open(site)
    agent = await login(*AGENT)
    for step in ("acknowledged", "investigated", "proposed"):
        await agent.json("POST", f"/api/worklist/{ticket_id}/step", json={"step": step})
    [followup] = await agent.json("GET", "/api/followups")
    queued = await agent.json("POST", f"/api/followups/{followup['id']}/call", 201)
    assert (queued["ticket_id"], queued["queue"], queued["number"]) == (
        ticket_id,
        "general",
        "+4930123456",
    )
    await site.center.host.drain()
    acd = site.center.host.acd
    waiting = acd.waiting_calls("general", site.center.host.now())
    assert [c.call_id for c in waiting] == [f"cb-{queued['callback_id']}"]
    info = site.center.calls.get(f"cb-{queued['callback_id']}")
    assert info.ivr_answers == {"reason": "follow-up", "ticket": str(ticket_id)}
    body = await agent.json("GET", f"/api/worklist/{ticket_id}")
    assert body["history"][-1]["note"] == (
        f"follow-up call put in line in general (callback {queued['callback_id']})"
    )
    # Answered on the call: the follow-up leaves the list; no second call for it.
    await agent.json("POST", f"/api/followups/{followup['id']}/answer", json={"satisfied": True})
    await agent.json("POST", f"/api/followups/{followup['id']}/call", 404)


async def test_the_tickets_report_takes_the_reports_pages_days_and_queue(
    login: Login, site: Site, clock: Clock
) -> None:
    await _open(site, "general")
    await _open(site, "billing")
    await _open(site, None)
    clock.now = T0 + timedelta(days=3)
    supervisor = await login(*SUPERVISOR)
    day = "since_day=2026-03-02&until_day=2026-03-02"
    assert (await supervisor.json("GET", f"/api/reports/tickets?{day}"))["opened"] == 3
    billing = await supervisor.json("GET", f"/api/reports/tickets?{day}&queue=billing")
    assert billing["opened"] == 1
    next_day = "since_day=2026-03-03&until_day=2026-03-03"
    assert (await supervisor.json("GET", f"/api/reports/tickets?{next_day}"))["opened"] == 0
    await supervisor.json("GET", f"/api/reports/tickets?{day}&since=2026-03-02T00:00:00Z", 422)
    scoped = await login(*SCOPED_SUPERVISOR)
    await scoped.json("GET", f"/api/reports/tickets?{day}&queue=general", 403)
    assert (await scoped.json("GET", f"/api/reports/tickets?{day}"))["opened"] == 2
