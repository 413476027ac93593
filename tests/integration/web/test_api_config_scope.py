"""Changes of the configuration beyond the models: an agent's phone and server, and what a
supervisor may change (callcenter/web/config_scope.py, issue 16).

The test site: queues general and billing; agent1 serves both, agent2 general, agent3
billing; sup2 oversees billing only, sup1 every queue.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from callcenter.app.settings import TelephonySettings
from tests.integration.web.conftest import User
from tests.web_site import ADMIN, SCOPED_SUPERVISOR, SUPERVISOR, Site

Login = Callable[[str, str], Awaitable[User]]


async def _document(user: User) -> dict[str, Any]:
    current = await user.json("GET", "/api/config/acd")
    return copy.deepcopy(current["document"])


def _agent(document: dict[str, Any], agent_id: str) -> dict[str, Any]:
    return next(a for a in document["agents"] if a["id"] == agent_id)


def _queue(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(q for q in document["queues"] if q["name"] == name)


async def _versions(user: User) -> list[int]:
    return [v["version"] for v in await user.json("GET", "/api/config/versions")]


@pytest.mark.parametrize(
    "endpoint",
    [
        "PJSIP/agent2&PJSIP/agent3",  # Dial would ring both
        "PJSIP/agent2,30",  # an argument separator
        "PJSIP/agent2\r\nAction: Originate",  # an AMI header
        "agent2",  # no technology
        "PJSIP/agent2/n",
        "PJSIP/${AGENT}",
    ],
)
async def test_given_an_unsafe_phone_when_put_then_422_names_the_agents_endpoint_and_no_version(
    login: Login, site: Site, endpoint: str
) -> None:
    admin = await login(*ADMIN)
    document = await _document(admin)
    _agent(document, "agent2")["endpoint"] = endpoint
    refused = await admin.json("PUT", "/api/config/acd", status=422, json={"document": document})
    assert [d["field"] for d in refused["error"]["details"]] == ["document.agents[1].endpoint"]
    assert await _versions(admin) == [1]
    assert site.center.host.settings.agents[1].endpoint is None


async def test_given_a_phone_and_a_server_when_put_then_the_next_offer_rings_that_phone(
    login: Login, site: Site
) -> None:
    admin = await login(*ADMIN)
    document = await _document(admin)
    _agent(document, "agent2")["endpoint"] = "PJSIP/agent2002"
    _agent(document, "agent2")["server"] = "pbx1"
    refused = await admin.json("PUT", "/api/config/acd", status=422, json={"document": document})
    detail = refused["error"]["details"][0]
    assert detail["field"] == "document.agents[1].server"
    assert "'pbx1'" in detail["problem"]
    assert await _versions(admin) == [1]

    _agent(document, "agent2")["server"] = None
    stored = await admin.json("PUT", "/api/config/acd", json={"document": document})
    assert stored["summary"] == 'agents[agent2].endpoint: null -> "PJSIP/agent2002"'
    # What the executor asks when it offers a call: the phone of the version in force
    # first, then the settings file's mapping, then PJSIP/<id>.
    telephony = TelephonySettings(agent_endpoints={"agent2": "PJSIP/old", "agent1": "PJSIP/a1"})
    live = site.center.host.settings
    assert telephony.endpoint("agent2", live) == "PJSIP/agent2002"
    assert telephony.endpoint("agent1", live) == "PJSIP/a1"
    assert telephony.endpoint("agent3", live) == "PJSIP/agent3"


async def test_given_a_billing_supervisor_when_changing_billing_and_its_agents_then_stored(
    login: Login, site: Site
) -> None:
    supervisor = await login(*SCOPED_SUPERVISOR)
    document = await _document(supervisor)
    _queue(document, "billing")["ring_timeout_seconds"] = 25
    _queue(document, "billing")["overflow"] = {"kind": "callback", "name": None}
    _agent(document, "agent3")["skills"] = {"billing": 5}
    _agent(document, "agent1")["queues"] = ["general"]  # out of billing: theirs to decide
    stored = await supervisor.json("PUT", "/api/config/acd", json={"document": document})
    assert stored["version"] == 2
    assert stored["author"] == "sup2"
    billing = site.center.host.settings.queues[1]
    assert billing.ring_timeout_seconds == 25
    assert site.center.host.settings.agents[0].queues == ("general",)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: _queue(d, "general").update(wrap_up_seconds=5), "document.queues[0]"),
        (lambda d: _agent(d, "agent2").update(skills={"billing": 5}), "document.agents[1].skills"),
        (lambda d: _agent(d, "agent1").update(queues=["billing"]), "document.agents[0].queues"),
        (lambda d: _agent(d, "agent3").update(endpoint="PJSIP/x1"), "document.agents[2].endpoint"),
        (lambda d: _agent(d, "agent3").update(name="Someone"), "document.agents[2].name"),
        (lambda d: d["agents"].pop(), "document.agents"),
        (lambda d: d["queues"].append({"name": "vip"}), "document.queues"),
        (lambda d: d.update(pause_reasons=["break"]), "document.pause_reasons"),
        (lambda d: d["supervisors"].update(sup2=["billing", "general"]), "document.supervisors"),
    ],
    ids=[
        "another-queue",
        "skills-of-an-agent-not-theirs",
        "membership-of-another-queue",
        "a-phone",
        "a-name",
        "an-agent-removed",
        "a-queue-added",
        "pause-reasons",
        "their-own-scope",
    ],
)
async def test_given_a_billing_supervisor_when_changing_beyond_billing_then_403_names_the_key(
    login: Login, site: Site, change: Callable[[dict[str, Any]], Any], field: str
) -> None:
    supervisor = await login(*SCOPED_SUPERVISOR)
    document = await _document(supervisor)
    _queue(document, "billing")["wrap_up_seconds"] = 40  # theirs: not what is refused
    change(document)
    refused = await supervisor.json(
        "PUT", "/api/config/acd", status=403, json={"document": document}
    )
    assert [d["field"] for d in refused["error"]["details"]] == [field]
    assert refused["error"]["message"].startswith(field)
    assert await _versions(supervisor) == [1]
    assert site.center.host.settings.queues[1].wrap_up_seconds == 30


async def test_given_a_change_of_general_when_a_billing_supervisor_rolls_it_back_then_403(
    login: Login, site: Site
) -> None:
    admin = await login(*ADMIN)
    document = await _document(admin)
    _queue(document, "general")["wrap_up_seconds"] = 5
    await admin.json("PUT", "/api/config/acd", json={"document": document})
    scoped = await login(*SCOPED_SUPERVISOR)
    refused = await scoped.json("POST", "/api/config/versions/1/rollback", status=403, json={})
    assert refused["error"]["details"][0]["field"] == "document.queues[0]"
    assert await _versions(admin) == [2, 1]
    # A supervisor of every queue may: only queue settings differ.
    everyone = await login(*SUPERVISOR)
    restored = await everyone.json("POST", "/api/config/versions/1/rollback", json={})
    assert restored["version"] == 3
    assert site.center.host.settings.queues[0].wrap_up_seconds == 30
