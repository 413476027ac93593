"""Interactions, customers, tickets and callbacks over the API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from tests.integration.web.conftest import User
from tests.web_site import AGENT, AGENT2, SCOPED_SUPERVISOR, SUPERVISOR, Site, open_site

Login = Callable[[str, str], Awaitable[User]]


async def _answered_call(agent: User, site: Site, agent_id: str = "agent1") -> str:
    await agent.json("POST", f"/api/agents/{agent_id}/state", json={"state": "logged_in"})
    await agent.json("POST", f"/api/agents/{agent_id}/state", json={"state": "ready"})
    call_id = await site.queue_call(ivr_answers={"reason": "order"})
    await site.answer(call_id)
    await site.flush()
    return call_id


async def test_an_agent_writes_notes_and_a_disposition_on_their_call(
    login: Login, site: Site
) -> None:
    agent = await login(*AGENT)
    call_id = await _answered_call(agent, site)
    body = await agent.json(
        "PATCH",
        f"/api/interactions/{call_id}",
        json={"notes": "wants a refund", "disposition": "order"},
    )
    assert (body["notes"], body["disposition"], body["agent"]) == (
        "wants a refund",
        "order",
        "agent1",
    )
    await site.hang_up(call_id)  # the call path writes the interaction again: notes stay
    body = await agent.json("GET", f"/api/interactions/{call_id}")
    assert (body["notes"], body["disposition"], body["outcome"]) == (
        "wants a refund",
        "order",
        "answered",
    )
    assert body["ended_at"] is not None
    assert body["customer_name"] == "Erika Mustermann"
    found = await agent.json("GET", "/api/interactions?q=refund")
    assert [i["uniqueid"] for i in found] == [call_id]


async def test_notes_saved_as_the_call_connects_wait_for_its_record_not_a_404(
    tmp_path: Path,
) -> None:
    # The writer lets a small batch wait 5 s here: the call's record is not in the database
    # when the agent saves, and the save waits for that batch instead of failing.
    async with open_site(tmp_path, serve=False, write_interval_s=5.0) as site:
        client: TestClient[Any, Any] = TestClient(TestServer(site.backend.app))
        await client.start_server()
        try:
            response = await client.post(
                "/api/login", json={"username": AGENT[0], "password": AGENT[1]}
            )
            agent = User(client, (await response.json())["csrf_token"])
            await agent.json("POST", "/api/agents/agent1/state", json={"state": "logged_in"})
            await agent.json("POST", "/api/agents/agent1/state", json={"state": "ready"})
            call_id = await site.queue_call()
            await site.answer(call_id)
            assert site.writer.pending > 0, "the record is still queued"
            body = await agent.json(
                "PATCH", f"/api/interactions/{call_id}", json={"notes": "asked at once"}
            )
            assert (body["notes"], body["agent"]) == ("asked at once", "agent1")
            assert (await agent.json("GET", f"/api/interactions/{call_id}"))["notes"] == (
                "asked at once"
            )
            await agent.json("GET", "/api/interactions/1732280000.999", 404)
        finally:
            await client.close()


async def test_a_disposition_outside_the_configured_list_is_refused(
    login: Login, site: Site
) -> None:
    agent = await login(*AGENT)
    call_id = await _answered_call(agent, site)
    body = await agent.json(
        "PATCH", f"/api/interactions/{call_id}", 422, json={"disposition": "meh"}
    )
    assert "unknown disposition 'meh'" in body["error"]["message"]
    assert (await agent.json("GET", f"/api/interactions/{call_id}"))["disposition"] is None


async def test_an_agent_cannot_read_or_annotate_another_agents_call(
    login: Login, site: Site
) -> None:
    agent1, agent2 = await login(*AGENT), await login(*AGENT2)
    call_id = await _answered_call(agent1, site)
    assert (await agent2.call("GET", f"/api/interactions/{call_id}")).status == 403
    response = await agent2.call("PATCH", f"/api/interactions/{call_id}", json={"notes": "x"})
    assert response.status == 403
    assert await agent2.json("GET", "/api/interactions") == []
    assert (await agent1.call("GET", "/api/interactions/unknown")).status == 404


async def test_customers_are_looked_up_created_and_edited_with_clear_errors(login: Login) -> None:
    agent = await login(*AGENT)
    [found] = await agent.json("GET", "/api/customers?phone=030 123456")
    assert found["name"] == "Erika Mustermann"
    created = await agent.json(
        "POST",
        "/api/customers",
        201,
        json={
            "name": "Max Muster",
            "account": "9001",
            "phones": ["+49 30 555 0101"],
            "tier": "vip",
        },
    )
    assert created["phones"] == ["+49305550101"]
    body = await agent.json(
        "POST", "/api/customers", 409, json={"name": "Dup", "account": "9001", "phones": []}
    )
    assert "9001" in body["error"]["message"]
    body = await agent.json(
        "POST", "/api/customers", 422, json={"name": "Bad", "account": "9002", "phones": ["12"]}
    )
    assert body["error"]["code"] == "invalid_request"
    edited = await agent.json(
        "PATCH", f"/api/customers/{created['id']}", json={"notes": "call after 5", "tier": "gold"}
    )
    assert (edited["notes"], edited["tier"], edited["name"]) == (
        "call after 5",
        "gold",
        "Max Muster",
    )
    assert [c["account"] for c in await agent.json("GET", "/api/customers?q=muster")] == [
        "4711",
        "9001",
    ]
    assert (await agent.call("GET", "/api/customers/abc")).status == 422
    assert (await agent.call("PATCH", "/api/customers/999", json={"notes": "x"})).status == 404


async def test_a_ticket_opened_during_a_call_is_linked_to_it_and_moves_along(
    login: Login, site: Site
) -> None:
    agent = await login(*AGENT)
    call_id = await _answered_call(agent, site)
    ticket = await agent.json(
        "POST",
        "/api/tickets",
        201,
        json={
            "customer_id": site.customer_id,
            "category": "complaint",
            "subject": "late parcel",
            "interaction_uniqueid": call_id,
        },
    )
    assert (ticket["status"], ticket["owner"], ticket["overdue"]) == ("open", "agent1", False)
    assert (await agent.json("GET", f"/api/interactions/{call_id}"))["ticket_ids"] == [ticket["id"]]
    moved = await agent.json(
        "PATCH", f"/api/tickets/{ticket['id']}", json={"status": "resolved", "note": "refunded"}
    )
    assert moved["status"] == "resolved"
    body = await agent.json(
        "PATCH", f"/api/tickets/{ticket['id']}", 409, json={"status": "in_progress"}
    )
    assert body["error"]["code"] == "illegal_transition"
    full = await agent.json("GET", f"/api/tickets/{ticket['id']}")
    assert [h["to_status"] for h in full["history"]] == ["open", "resolved"]
    listed = await agent.json("GET", f"/api/tickets?customer_id={site.customer_id}")
    assert [t["id"] for t in listed] == [ticket["id"]]
    body = await agent.json(
        "POST",
        "/api/tickets",
        422,
        json={"customer_id": site.customer_id, "category": "gossip", "subject": "x"},
    )
    assert "gossip" in body["error"]["message"]


async def test_the_callback_list_shows_pending_requests_of_the_users_queues(
    login: Login, site: Site
) -> None:
    repo = site.backend.context.callbacks
    now = datetime.now(UTC)
    for queue in ("general", "billing"):
        await repo.request(
            number="+4930999000",
            queue=queue,
            customer_id=None,
            window_start=now,
            window_end=now + timedelta(hours=2),
            now=now,
        )
    supervisor = await login(*SUPERVISOR)
    assert {c["queue"] for c in await supervisor.json("GET", "/api/callbacks")} == {
        "general",
        "billing",
    }
    scoped = await login(*SCOPED_SUPERVISOR)
    assert [c["queue"] for c in await scoped.json("GET", "/api/callbacks")] == ["billing"]
    assert await supervisor.json("GET", "/api/callbacks?status=done") == []
    body = await supervisor.json("GET", "/api/callbacks?status=lost", 422)
    assert body["error"]["details"][0]["field"] == "status"


async def test_the_callback_list_shows_each_attempt_and_where_the_request_stands(
    login: Login, site: Site
) -> None:
    repo = site.backend.context.callbacks
    now = datetime.now(UTC)
    request = await repo.request(
        number="+4930999001",
        queue="general",
        window_start=now,
        window_end=now + timedelta(hours=2),
        now=now,
    )
    await repo.record_attempt(request.id, reached=False, now=now, agent="a1", result="busy")
    later = now + timedelta(minutes=5)
    await repo.record_attempt(request.id, reached=True, now=later, agent="a2", result="reached")

    supervisor = await login(*SUPERVISOR)
    [listed] = await supervisor.json("GET", "/api/callbacks?status=done")

    assert (listed["status"], listed["attempts"]) == ("done", 2)
    assert datetime.fromisoformat(listed["last_attempt_at"]) == later
    assert [(a["agent"], a["result"]) for a in listed["history"]] == [
        ("a1", "busy"),
        ("a2", "reached"),
    ]
    assert datetime.fromisoformat(listed["history"][0]["at"]) == now
    assert await supervisor.json("GET", "/api/callbacks?status=pending") == []
