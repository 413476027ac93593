"""The ACD configuration through the API: read, change live, refuse, roll back (issue 16)."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

from tests.integration.web.conftest import User
from tests.web_site import ADMIN, AGENT, SUPERVISOR, Site

Login = Callable[[str, str], Awaitable[User]]


async def _document(user: User) -> tuple[int, dict[str, Any]]:
    current = await user.json("GET", "/api/config/acd")
    return current["version"], copy.deepcopy(current["document"])


def _queue(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(q for q in document["queues"] if q["name"] == name)


async def _live_queues(user: User) -> dict[str, dict[str, Any]]:
    return {q["queue"]: q for q in await user.json("GET", "/api/live/queues")}


async def test_given_an_admin_when_a_ring_timeout_changes_then_a_version_shows_author_and_diff(
    login: Login, site: Site
) -> None:
    admin = await login(*ADMIN)
    version, document = await _document(admin)
    assert version == 1
    _queue(document, "general")["ring_timeout_seconds"] = 25
    stored = await admin.json(
        "PUT", "/api/config/acd", json={"document": document, "comment": "slow phones"}
    )
    assert stored["version"] == 2
    assert stored["summary"] == "queues[general].ring_timeout_seconds: 20 -> 25"

    supervisor = await login(*SUPERVISOR)
    listed = await supervisor.json("GET", "/api/config/versions")
    assert [(v["version"], v["author"], v["comment"]) for v in listed] == [
        (2, "admin", "slow phones"),
        (1, "seed", "from the settings file"),
    ]
    assert listed[0]["changes"] == [
        {"op": "changed", "path": "queues[general].ring_timeout_seconds", "old": 20.0, "new": 25}
    ]
    one = await supervisor.json("GET", "/api/config/versions/2")
    assert _queue(one["document"], "general")["ring_timeout_seconds"] == 25
    assert site.center.host.settings.queues[0].ring_timeout_seconds == 25


async def test_given_a_change_when_stored_then_the_live_queues_show_it_at_once(
    login: Login, site: Site
) -> None:
    admin = await login(*ADMIN)
    _, document = await _document(admin)
    _queue(document, "billing")["service_level_seconds"] = 45
    document["queues"].append({"name": "sales", "service_level_target": 0.9})
    await admin.json("PUT", "/api/config/acd", json={"document": document})
    live = await _live_queues(admin)
    assert live["billing"]["service_level_seconds"] == 45
    assert live["sales"]["service_level_target"] == 0.9
    public = await admin.json("GET", "/api/config/public")
    assert "sales" in public["queues"]


async def test_given_a_bad_value_when_put_then_422_names_each_field_and_nothing_changes(
    login: Login, site: Site
) -> None:
    admin = await login(*ADMIN)
    _, document = await _document(admin)
    _queue(document, "billing")["ring_timeout_seconds"] = 0
    document["agents"][0]["skills"] = {"billing": 9}
    refused = await admin.json("PUT", "/api/config/acd", status=422, json={"document": document})
    fields = [d["field"] for d in refused["error"]["details"]]
    assert fields == [
        "document.queues[1].ring_timeout_seconds",
        "document.agents[0].skills.billing",
    ]
    assert (
        "document.queues[1].ring_timeout_seconds: Input should be greater than 0"
        in (refused["error"]["message"])
    )
    assert [v["version"] for v in await admin.json("GET", "/api/config/versions")] == [1]
    assert site.center.host.settings.queues[1].ring_timeout_seconds == 15


async def test_given_two_changes_when_rolled_back_then_the_old_document_is_a_new_version_in_force(
    login: Login, site: Site
) -> None:
    admin = await login(*ADMIN)
    _, original = await _document(admin)
    changed = copy.deepcopy(original)
    _queue(changed, "general")["wrap_up_seconds"] = 5
    await admin.json("PUT", "/api/config/acd", json={"document": changed, "base_version": 1})
    restored = await admin.json(
        "POST", "/api/config/versions/1/rollback", json={"comment": "agents need the time"}
    )
    assert restored["version"] == 3
    assert restored["comment"] == "rollback to version 1: agents need the time"
    assert restored["document"] == original
    assert restored["summary"] == "queues[general].wrap_up_seconds: 5 -> 30"
    assert (await admin.json("GET", "/api/config/acd"))["version"] == 3
    assert site.center.host.settings.queues[0].wrap_up_seconds == 30
    history = await admin.json("GET", "/api/config/versions")
    assert [v["version"] for v in history] == [3, 2, 1]
    await admin.json("POST", "/api/config/versions/9/rollback", status=404, json={})


async def test_given_a_change_from_an_old_version_when_put_then_409_and_nothing_stored(
    login: Login, site: Site
) -> None:
    admin = await login(*ADMIN)
    _, document = await _document(admin)
    _queue(document, "general")["wrap_up_seconds"] = 5
    await admin.json("PUT", "/api/config/acd", json={"document": document, "base_version": 1})
    _queue(document, "general")["wrap_up_seconds"] = 6
    late = await admin.json(
        "PUT", "/api/config/acd", status=409, json={"document": document, "base_version": 1}
    )
    assert "version 2 is current now" in late["error"]["message"]
    assert len(await admin.json("GET", "/api/config/versions")) == 2


async def test_given_a_removed_queue_with_a_waiting_call_when_put_then_409_and_no_version(
    login: Login, site: Site
) -> None:
    await site.queue_call(queue="billing")
    admin = await login(*ADMIN)
    _, document = await _document(admin)
    document["queues"] = [q for q in document["queues"] if q["name"] != "billing"]
    for agent in document["agents"]:
        agent["queues"] = [q for q in agent["queues"] if q != "billing"]
    document["supervisors"] = {
        name: [q for q in queues if q != "billing"]
        for name, queues in document["supervisors"].items()
    }
    refused = await admin.json("PUT", "/api/config/acd", status=409, json={"document": document})
    assert "billing" in refused["error"]["message"]
    assert [v["version"] for v in await admin.json("GET", "/api/config/versions")] == [1]
    assert "billing" in await _live_queues(admin)
    assert [q.name for q in site.center.host.settings.queues] == ["general", "billing"]


async def test_given_an_agent_or_a_supervisor_when_changing_the_configuration_then_403(
    login: Login, site: Site
) -> None:
    # Supervisors may change their queues and their agents' skills (test_api_config_scope.py),
    # nothing else: not the pause reasons, nor roll back a change of them.
    admin = await login(*ADMIN)
    _, document = await _document(admin)
    agent = await login(*AGENT)
    await agent.json("GET", "/api/config/acd", status=403)
    await agent.json("PUT", "/api/config/acd", status=403, json={"document": document})
    supervisor = await login(*SUPERVISOR)
    await supervisor.json("GET", "/api/config/acd")
    changed = copy.deepcopy(document)
    changed["pause_reasons"] = ["break"]
    refused = await supervisor.json(
        "PUT", "/api/config/acd", status=403, json={"document": changed}
    )
    assert refused["error"]["details"][0]["field"] == "document.pause_reasons"
    await admin.json("PUT", "/api/config/acd", json={"document": changed})
    await supervisor.json("POST", "/api/config/versions/1/rollback", status=403, json={})
    assert len(await admin.json("GET", "/api/config/versions")) == 2


async def test_given_an_agent_logged_in_when_removed_from_a_queue_then_their_screens_drop_it(
    login: Login, site: Site
) -> None:
    agent = await login(*AGENT)
    assert set(await _live_queues(agent)) == {"general", "billing"}
    admin = await login(*ADMIN)
    _, document = await _document(admin)
    document["agents"][0]["queues"] = ["general"]
    await admin.json("PUT", "/api/config/acd", json={"document": document})
    assert set(await _live_queues(agent)) == {"general"}
    assert (await agent.json("GET", "/api/config/public"))["queues"] == ["general"]
