"""The callbacks report (issue 17): per queue, requests by channel, attempts, reached, failed,
cancelled, pending and overdue, the success rate and the time to callback."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from tests.integration.web.conftest import User
from tests.web_site import AGENT, SCOPED_SUPERVISOR, SUPERVISOR, Site

Login = Callable[[str, str], Awaitable[User]]


async def _day(site: Site) -> str:
    """Callbacks of yesterday: general 4 (reached after 30 min and 90 min, failed, cancelled),
    billing 1 from the web, still pending with its window over."""
    callbacks = site.backend.context.callbacks
    day = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=1)

    async def ask(queue: str, minutes: int, channel: str = "ivr") -> int:
        at = day + timedelta(minutes=minutes)
        stored = await callbacks.request(
            number="+4930555123", window_start=at, window_end=at + timedelta(hours=2), now=at,
            queue=queue, channel=channel,
        )  # fmt: skip
        return stored.id

    first = await ask("general", 0)
    await callbacks.record_attempt(
        first, reached=False, now=day + timedelta(minutes=10), result="busy"
    )
    await callbacks.record_attempt(
        first, reached=True, now=day + timedelta(minutes=30), result="reached"
    )
    second = await ask("general", 60, channel="web")
    await callbacks.record_attempt(second, reached=True, now=day + timedelta(minutes=150))
    failed = await ask("general", 120)
    for minutes in (125, 130, 135):
        await callbacks.record_attempt(failed, reached=False, now=day + timedelta(minutes=minutes))
    cancelled = await ask("general", 180)
    await callbacks.cancel(cancelled)
    await ask("billing", 200, channel="web")
    return day.date().isoformat()


async def test_given_a_day_of_callbacks_then_each_queue_is_counted_with_its_success_and_times(
    login: Login, site: Site
) -> None:
    day = await _day(site)
    supervisor = await login(*SUPERVISOR)
    report = await supervisor.json("GET", f"/api/reports/callbacks?since={day}&until={day}")
    rows = {row["queue"]: row for row in report["rows"]}
    general, billing = rows["general"], rows["billing"]
    assert (general["requests"], general["by_channel"]) == (4, {"ivr": 3, "web": 1})
    assert (general["reached"], general["failed"], general["cancelled"]) == (2, 1, 1)
    assert general["attempts"] == 6
    assert general["success_rate"] == 2 / 3
    assert general["avg_time_to_callback_s"] == (30 + 90) * 60 / 2
    assert general["max_time_to_callback_s"] == 90 * 60
    assert (billing["pending"], billing["overdue"], billing["success_rate"]) == (1, 1, None)

    text = await (
        await supervisor.call("GET", f"/api/reports/callbacks?since={day}&until={day}&format=csv")
    ).text()
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["queue"] for r in table] == ["billing", "general"]
    assert table[1]["by_channel"] == "ivr=3;web=1"


async def test_the_callbacks_report_is_scoped_to_the_supervisors_queues_and_refused_to_agents(
    login: Login, site: Site
) -> None:
    day = await _day(site)
    scoped = await login(*SCOPED_SUPERVISOR)  # billing only
    report = await scoped.json("GET", f"/api/reports/callbacks?since={day}&until={day}")
    assert [row["queue"] for row in report["rows"]] == ["billing"]
    await scoped.json(
        "GET", f"/api/reports/callbacks?since={day}&until={day}&queue=general", status=403
    )
    agent = await login(*AGENT)
    await agent.json("GET", f"/api/reports/callbacks?since={day}&until={day}", status=403)
    bad = await scoped.json(
        "GET", f"/api/reports/callbacks?since={day}&until=2020-01-01", status=422
    )
    assert "until" in bad["error"]["message"]
