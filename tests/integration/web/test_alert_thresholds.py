"""The wallboard's alert thresholds are part of the configuration and change live (issue 16)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSMsgType

from tests.integration.web.conftest import User
from tests.web_site import ADMIN, SUPERVISOR, Site

Login = Callable[[str, str], Awaitable[User]]


async def _alerts(ws: Any) -> set[tuple[str, str]]:
    """The alerts of the next wallboard message."""
    while True:
        msg = await ws.receive(timeout=5)
        assert msg.type is WSMsgType.TEXT, msg
        data: dict[str, Any] = json.loads(msg.data)
        if "alerts" in data:
            return {(a["queue"], a["kind"]) for a in data["alerts"]}


async def _set_alerts(admin: User, alerts: dict[str, Any]) -> dict[str, Any]:
    current = await admin.json("GET", "/api/config/acd")
    document = {**current["document"], "alerts": alerts}
    body: dict[str, Any] = await admin.json(
        "PUT", "/api/config/acd", json={"document": document, "base_version": current["version"]}
    )
    return body


async def test_given_alert_thresholds_changed_when_callers_wait_then_the_wallboard_alerts_by_them(
    login: Login, site: Site
) -> None:
    supervisor = await login(*SUPERVISOR)
    admin = await login(*ADMIN)
    ws = await supervisor.client.ws_connect("/ws/wallboard")
    assert await _alerts(ws) == set()
    await site.queue_call(queue="billing")
    site.advance(10)  # within the 20 s answer target: no waiting alert yet
    kinds = await _alerts(ws)
    assert ("billing", "longest_wait") not in kinds
    assert ("billing", "calls_waiting") not in kinds

    stored = await _set_alerts(
        admin,
        {
            "default": {},
            "queues": {"billing": {"longest_wait_seconds": 5, "calls_waiting_above": 0}},
        },
    )
    assert stored["summary"].startswith("alerts.queues.billing")
    site.advance(1)
    while ("billing", "longest_wait") not in (kinds := await _alerts(ws)):
        pass
    assert ("billing", "calls_waiting") in kinds

    # Back to the queue's own target: the waiting alert is gone again.
    await _set_alerts(admin, {"default": {}, "queues": {}})
    site.advance(1)
    while ("billing", "calls_waiting") in (kinds := await _alerts(ws)):
        pass
    assert ("billing", "longest_wait") not in kinds
