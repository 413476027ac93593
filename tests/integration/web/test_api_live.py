"""Agent states, live views, screen pops and supervisor actions over the API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.integration.web.conftest import User
from tests.web_site import AGENT, AGENT2, SCOPED_SUPERVISOR, SUPERVISOR, Site

Login = Callable[[str, str], Awaitable[User]]


async def _ready(user: User, agent_id: str) -> None:
    await user.json("POST", f"/api/agents/{agent_id}/state", json={"state": "logged_in"})
    await user.json("POST", f"/api/agents/{agent_id}/state", json={"state": "ready"})


async def test_an_agent_logs_in_goes_ready_pauses_with_a_reason_and_logs_out(login: Login) -> None:
    agent = await login(*AGENT)
    body = await agent.json("POST", "/api/agents/agent1/state", json={"state": "logged_in"})
    assert (body["state"], body["reason"]) == ("not_ready", "logged-in")
    body = await agent.json("POST", "/api/agents/agent1/state", json={"state": "ready"})
    assert body["state"] == "ready"
    assert body["queues"] == ["general", "billing"]
    body = await agent.json(
        "POST", "/api/agents/agent1/state", json={"state": "not_ready", "reason": "lunch"}
    )
    assert (body["state"], body["reason"]) == ("not_ready", "lunch")
    body = await agent.json("POST", "/api/agents/agent1/state", json={"state": "logged_out"})
    assert body["state"] == "logged_out"


async def test_bad_state_requests_get_422_or_409_with_the_reason(login: Login) -> None:
    agent = await login(*AGENT)
    body = await agent.json("POST", "/api/agents/agent1/state", 422, json={"state": "dancing"})
    assert body["error"]["details"][0]["field"] == "state"
    body = await agent.json(
        "POST", "/api/agents/agent1/state", 422, json={"state": "logged_in", "colour": "red"}
    )
    assert "colour" in body["error"]["message"]
    body = await agent.json("POST", "/api/agents/agent1/state", 409, json={"state": "ready"})
    assert body["error"]["code"] == "illegal_transition"
    assert "cannot go ready while logged_out" in body["error"]["message"]
    await agent.json("POST", "/api/agents/agent1/state", json={"state": "logged_in"})
    body = await agent.json("POST", "/api/agents/agent1/state", 422, json={"state": "not_ready"})
    assert "needs a reason" in body["error"]["message"]
    body = await agent.json(
        "POST", "/api/agents/agent1/state", 422, json={"state": "not_ready", "reason": "nap"}
    )
    assert "unknown reason 'nap'" in body["error"]["message"]


async def test_an_agent_cannot_see_or_change_another_agent(login: Login, site: Site) -> None:
    agent = await login(*AGENT)
    assert (await agent.call("GET", "/api/agents/agent2")).status == 403
    response = await agent.call("POST", "/api/agents/agent2/state", json={"state": "logged_in"})
    assert response.status == 403
    assert site.center.agents.agent("agent2")["state"] == "logged_out"


async def test_a_supervisor_changes_the_state_of_agents_in_their_queues_only(
    login: Login, site: Site
) -> None:
    supervisor = await login(*SUPERVISOR)
    body = await supervisor.json("POST", "/api/agents/agent2/state", json={"state": "logged_in"})
    assert body["state"] == "not_ready"
    scoped = await login(*SCOPED_SUPERVISOR)  # oversees billing; agent2 works general only
    response = await scoped.call("POST", "/api/agents/agent2/state", json={"state": "ready"})
    assert response.status == 403
    body = await scoped.json("POST", "/api/agents/agent3/state", json={"state": "logged_in"})
    assert body["agent_id"] == "agent3"
    assert [q["queue"] for q in await scoped.json("GET", "/api/live/queues")] == ["billing"]
    assert {a["agent_id"] for a in await scoped.json("GET", "/api/live/agents")} == {
        "agent1",
        "agent3",
    }


async def test_the_pop_of_a_call_is_for_the_agent_it_rang_and_supervisors(
    login: Login, site: Site
) -> None:
    agent1, agent2 = await login(*AGENT), await login(*AGENT2)
    await _ready(agent1, "agent1")
    call_id = await site.queue_call(ivr_answers={"reason": "billing", "account": "4711"})
    pop = await agent1.json("GET", f"/api/pops/{call_id}")
    assert pop["customer"]["name"] == "Erika Mustermann"
    assert pop["customer"]["tier"] == "gold"
    assert pop["ivr_answers"] == {"reason": "billing", "account": "4711"}
    assert all(h["uniqueid"] != call_id for h in pop["history"])  # earlier calls only
    body = await agent2.json("GET", f"/api/pops/{call_id}", 403)
    assert body["error"]["message"] == f"call {call_id!r} was not offered to you"
    supervisor = await login(*SUPERVISOR)
    assert (await supervisor.json("GET", f"/api/pops/{call_id}"))["call_id"] == call_id
    assert (await supervisor.call("GET", "/api/pops/no-such-call")).status == 404


async def test_live_queues_and_calls_show_a_waiting_caller_with_the_number_masked(
    login: Login, site: Site
) -> None:
    supervisor = await login(*SUPERVISOR)
    call_id = await site.queue_call(queue="billing", priority=5)
    calls = await supervisor.json("GET", "/api/live/calls")
    assert [(c["call_id"], c["queue"], c["state"], c["position"]) for c in calls] == [
        (call_id, "billing", "waiting", 1)
    ]
    assert calls[0]["customer_name"] == "Erika Mustermann"
    assert calls[0]["caller"] == "+********56"
    queues = {q["queue"]: q for q in await supervisor.json("GET", "/api/live/queues")}
    assert queues["billing"]["calls_waiting"] == 1
    assert queues["general"]["calls_waiting"] == 0


async def test_a_supervisor_moves_a_waiting_call_and_it_rings_an_agent_of_the_new_queue(
    login: Login, site: Site
) -> None:
    agent2 = await login(*AGENT2)
    await _ready(agent2, "agent2")  # general only
    call_id = await site.queue_call(queue="billing")
    supervisor = await login(*SUPERVISOR)
    moved = await supervisor.json("POST", f"/api/calls/{call_id}/move", json={"queue": "general"})
    assert (moved["queue"], moved["state"], moved["agent_id"]) == ("general", "offered", "agent2")
    body = await supervisor.json(
        "POST", f"/api/calls/{call_id}/move", 409, json={"queue": "billing"}
    )
    assert "offered, not waiting" in body["error"]["message"]
    body = await supervisor.json("POST", "/api/calls/nope/move", 404, json={"queue": "general"})
    assert body["error"]["code"] == "not_found"
    assert (
        await agent2.call("POST", f"/api/calls/{call_id}/move", json={"queue": "general"})
    ).status == 403


async def test_a_scoped_supervisor_cannot_move_calls_into_or_out_of_other_queues(
    login: Login, site: Site
) -> None:
    call_id = await site.queue_call(queue="billing")
    scoped = await login(*SCOPED_SUPERVISOR)
    body = await scoped.json("POST", f"/api/calls/{call_id}/move", 403, json={"queue": "general"})
    assert "general" in body["error"]["message"]


async def test_spying_needs_a_connected_call_and_an_asterisk(login: Login, site: Site) -> None:
    agent = await login(*AGENT)
    await _ready(agent, "agent1")
    call_id = await site.queue_call()
    supervisor = await login(*SUPERVISOR)
    body = await supervisor.json("POST", f"/api/calls/{call_id}/spy", 409, json={"mode": "listen"})
    assert "not connected" in body["error"]["message"]
    await site.answer(call_id)
    body = await supervisor.json("POST", f"/api/calls/{call_id}/spy", 503, json={"mode": "barge"})
    assert body["error"]["code"] == "unavailable"
    body = await supervisor.json("POST", f"/api/calls/{call_id}/spy", 422, json={"mode": "shout"})
    assert body["error"]["details"][0]["field"] == "mode"


async def test_public_config_lists_the_choices_of_the_desktop(login: Login) -> None:
    agent = await login(*AGENT)
    config = await agent.json("GET", "/api/config/public")
    assert "lunch" in config["pause_reasons"]
    assert "billing" in config["dispositions"]
    assert config["queues"] == ["general", "billing"]
    assert config["ticket_categories"] == ["complaint", "inquiry", "request"]


async def test_live_calls_and_agents_say_which_asterisk_server_each_is_on(
    login: Login, site: Site
) -> None:
    # The wallboard's own feed had the server; the API's response models dropped it.
    supervisor = await login(*SUPERVISOR)
    site.center.agents.default_server = "pbx1"
    call_id = await site.queue_call(queue="billing", server="pbx2")
    calls = await supervisor.json("GET", "/api/live/calls")
    assert [(c["call_id"], c["server"]) for c in calls] == [(call_id, "pbx2")]
    agents = await supervisor.json("GET", "/api/live/agents")
    assert agents
    assert {a["server"] for a in agents} == {"pbx1"}
