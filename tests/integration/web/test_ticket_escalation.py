"""An overdue ticket promise escalates to the supervisors' wallboard, scoped by the ticket's
queue, and leaves it once the step is done; time is the ticket clock, moved by the test."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from callcenter.web.routes_tickets import ESCALATION
from tests.integration.web.conftest import User
from tests.web_site import AGENT, Site

Login = Callable[[str, str], Awaitable[User]]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _ticket_alerts(site: Site, scope: frozenset[str] | None) -> list[dict[str, Any]]:
    alerts = site.center.wallboard.snapshot(scope)["alerts"]
    return [a for a in alerts if a["kind"].startswith("tickets_overdue")]


async def test_an_overdue_promise_raises_an_alert_on_the_wallboards_of_its_queue_until_done(
    login: Login, site: Site
) -> None:
    now = [T0]
    tickets = site.backend.context.tickets
    tickets.clock = lambda: now[0]
    escalation = site.backend.app[ESCALATION]
    general = await tickets.open(
        customer_id=site.customer_id,
        category="complaint",
        subject="late parcel",
        now=T0,
        queue="general",
    )
    await escalation.refresh()
    assert _ticket_alerts(site, None) == []

    now[0] = T0 + timedelta(hours=4, minutes=1)  # acknowledge was promised within 4 hours
    await escalation.refresh()
    [alert] = _ticket_alerts(site, None)
    assert alert["message"] == "1 ticket overdue in general: #1 acknowledged late (unassigned)"
    assert alert["tickets"] == [general.id]
    assert alert["since"] == (T0 + timedelta(hours=4)).timestamp()
    assert [a["tickets"] for a in _ticket_alerts(site, frozenset({"general"}))] == [[general.id]]
    assert _ticket_alerts(site, frozenset({"billing"})) == []

    agent = await login(*AGENT)
    moved = await agent.json(
        "POST", f"/api/worklist/{general.id}/step", json={"step": "acknowledged"}
    )
    assert moved["history"][-1]["promise_kept"] is False
    assert _ticket_alerts(site, None) == []  # the move reads the overdue list again


async def test_tickets_without_a_queue_escalate_on_every_wallboard(site: Site) -> None:
    tickets = site.backend.context.tickets
    tickets.clock = lambda: T0 + timedelta(days=1)
    for subject in ("a", "b", "c", "d"):
        await tickets.open(
            customer_id=site.customer_id, category="complaint", subject=subject, now=T0
        )
    await site.backend.app[ESCALATION].refresh()
    [alert] = _ticket_alerts(site, frozenset({"billing"}))
    assert alert["message"].startswith("4 tickets overdue: #1 acknowledged late")
    assert alert["message"].endswith("and 1 more")
