"""Reports (JSON and CSV), administration of users and config, and the OpenAPI document."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable

from aiohttp import web

from callcenter.web import endpoints
from tests.integration.web.conftest import User
from tests.web_site import ADMIN, AGENT, SCOPED_SUPERVISOR, SUPERVISOR, Site

Login = Callable[[str, str], Awaitable[User]]


async def test_a_queue_report_gives_hourly_rows_and_totals_that_add_up(
    login: Login, site: Site
) -> None:
    start = await site.seed_history()
    day = start.date().isoformat()
    supervisor = await login(*SUPERVISOR)
    report = await supervisor.json(
        "GET", f"/api/reports/queues?since={day}&until={day}&bucket=hour"
    )
    assert report["bucket"] == "hour"
    assert report["timezone"] == "UTC"
    totals = {row["queue"]: row for row in report["totals"]}
    assert totals["general"]["offered"] + totals["billing"]["offered"] == 40
    assert totals["general"]["abandoned"] + totals["billing"]["abandoned"] == 8
    for queue, total in totals.items():
        rows = [r for r in report["rows"] if r["queue"] == queue]
        assert sum(r["answered"] for r in rows) == total["answered"]


async def test_the_csv_download_has_a_header_and_one_line_per_row(login: Login, site: Site) -> None:
    start = await site.seed_history()
    day = start.date().isoformat()
    supervisor = await login(*SUPERVISOR)
    response = await supervisor.call(
        "GET", f"/api/reports/agents?since={day}&until={day}&bucket=day&format=csv"
    )
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert {r["agent"] for r in rows} == {"agent1", "agent2"}
    assert sum(int(r["handled"]) for r in rows) == 2 * 32  # day rows and the totals rows


async def test_report_requests_are_checked(login: Login, site: Site) -> None:
    supervisor = await login(*SUPERVISOR)
    body = await supervisor.json(
        "GET", "/api/reports/queues?since=2026-11-02&until=2026-11-01", 422
    )
    assert "until must come after since" in body["error"]["message"]
    body = await supervisor.json("GET", "/api/reports/queues?since=yesterday&until=2026-11-01", 422)
    assert body["error"]["details"][0]["field"] == "since"
    body = await supervisor.json(
        "GET", "/api/reports/queues?since=2026-11-01&until=2026-11-02&bucket=week", 422
    )
    assert body["error"]["details"][0]["field"] == "bucket"
    scoped = await login(*SCOPED_SUPERVISOR)
    response = await scoped.call(
        "GET", "/api/reports/queues?since=2026-11-01&until=2026-11-01&queue=general"
    )
    assert response.status == 403


async def test_an_admin_creates_and_deactivates_a_user_whose_sessions_end_at_once(
    login: Login, site: Site
) -> None:
    admin = await login(*ADMIN)
    body = await admin.json(
        "POST",
        "/api/users",
        409,
        json={"username": "agent1", "password": "long-password-1", "role": "agent"},
    )
    assert "taken" in body["error"]["message"]
    body = await admin.json(
        "POST",
        "/api/users",
        422,
        json={"username": "new one", "password": "long-password-1", "role": "agent"},
    )
    assert body["error"]["details"][0]["field"] == "username"
    created = await admin.json(
        "POST",
        "/api/users",
        201,
        json={
            "username": "temp",
            "password": "long-password-1",
            "role": "supervisor",
            "display_name": "Temp",
        },
    )
    assert created == {
        "username": "temp",
        "role": "supervisor",
        "display_name": "Temp",
        "active": True,
        "warning": None,  # a supervisor needs no configured agent
    }
    temp = await login("temp", "long-password-1")
    assert (await temp.call("GET", "/api/live/queues")).status == 200
    changed = await admin.json("PATCH", "/api/users/temp", json={"active": False})
    assert changed["active"] is False
    assert (await temp.call("GET", "/api/live/queues")).status == 401
    assert "temp" in [u["username"] for u in await admin.json("GET", "/api/users")]
    body = await admin.json("PATCH", "/api/users/admin", 409, json={"active": False})
    assert "yourself" in body["error"]["message"]


async def test_the_config_is_shown_to_admins_without_secrets_and_flows_reload(
    login: Login, site: Site
) -> None:
    admin = await login(*ADMIN)
    config = await admin.json("GET", "/api/admin/config")
    assert config["acd"]["queues"][0]["name"] == "general"
    assert "password" not in str(config["database"]) or "***" in str(config["database"])
    problems: list[str] = []
    site.backend.context.reload_flows = lambda: problems
    assert await admin.json("POST", "/api/admin/reload-flows") == {"reloaded": True, "problems": []}
    problems.append("main_hotline.yaml:3: node 'x': broken")
    body = await admin.json("POST", "/api/admin/reload-flows")
    assert body == {"reloaded": False, "problems": ["main_hotline.yaml:3: node 'x': broken"]}
    agent = await login(*AGENT)
    assert (await agent.call("POST", "/api/admin/reload-flows")).status == 403


async def test_the_openapi_document_lists_exactly_the_routes_the_server_has(
    login: Login, site: Site
) -> None:
    agent = await login(*AGENT)
    response = await agent.client.get("/api/openapi.json")
    document = await response.json()
    documented = {(m.upper(), path) for path, ops in document["paths"].items() for m in ops}
    app: web.Application = site.backend.app
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.method != "HEAD"
        and route.resource.canonical != "/api/openapi.json"
    }
    assert documented == served
    assert len(documented) == len(endpoints())
    state = document["paths"]["/api/agents/{agent_id}/state"]["post"]
    schema = state["requestBody"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/StateChangeIn")
    assert set(document["components"]["schemas"]["StateChangeIn"]["properties"]) == {
        "state",
        "reason",
    }
    assert "403" in state["responses"]
    assert "422" in state["responses"]
