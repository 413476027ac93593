"""The pop's history is as of the ring, not as of the moment the caller joined the queue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from acd import AgentLoggedIn
from tests.integration.web.conftest import User
from tests.web_site import AGENT, CALLER, SUPERVISOR, Site

Login = Callable[[str, str], Awaitable[User]]


async def _ready(site: Site, agent: str) -> None:
    await site.center.host.request(lambda now: AgentLoggedIn(now, agent, ready=True))
    await site.center.host.drain()


def _item(pop: dict[str, Any], call_id: str) -> dict[str, Any]:
    return next(item for item in pop["history"] if item["uniqueid"] == call_id)


async def test_given_the_callers_earlier_call_ends_while_they_wait_then_the_pop_shows_how(
    login: Login, site: Site
) -> None:
    earlier = await site.queue_call(caller_number=CALLER)
    waiting = await site.queue_call(caller_number=CALLER)
    supervisor = await login(*SUPERVISOR)
    # Gathered as the second call joined the queue: the first one is still going on.
    pop = await supervisor.json("GET", f"/api/pops/{waiting}")
    assert _item(pop, earlier)["outcome"] == "in_progress"
    assert _item(pop, earlier)["agent"] is None

    await _ready(site, "agent2")  # takes the earlier call, which waited longest
    await site.answer(earlier)
    await site.hang_up(earlier, by_caller=False)
    await _ready(site, "agent1")  # the waiting call rings at agent1's desk

    agent = await login(*AGENT)
    pop = await agent.json("GET", f"/api/pops/{waiting}")
    assert _item(pop, earlier)["agent"] == "agent2"
    assert _item(pop, earlier)["outcome"] == "answered"


async def test_given_notes_saved_on_the_earlier_call_then_the_waiting_calls_pop_shows_them(
    login: Login, site: Site
) -> None:
    await _ready(site, "agent2")
    earlier = await site.queue_call(caller_number=CALLER)
    await site.answer(earlier)
    await site.flush()  # the earlier call is on record before the caller calls again
    waiting = await site.queue_call(caller_number=CALLER)
    supervisor = await login(*SUPERVISOR)
    assert _item(await supervisor.json("GET", f"/api/pops/{waiting}"), earlier)["notes"] == ""

    agent2 = await login("agent2", "agent2-pass")
    await agent2.json(
        "PATCH", f"/api/interactions/{earlier}", json={"notes": "Invoice sent again."}
    )

    pop = await supervisor.json("GET", f"/api/pops/{waiting}")
    assert _item(pop, earlier)["notes"] == "Invoice sent again."
