"""Two real Asterisk 22 servers, one service (README "Several Asterisk servers").

Each agent's phone registers at one server; a caller can be bridged only on the server
their channel is on, so each call is offered to that server's agents only and its Originate
goes out on that server's AMI link. Both Asterisks run on loopback, so their FastAGI URLs
name them (`?server=pbxA`, as the README tells operators of servers sharing an address).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp

from acd import AcdSettings, AgentSettings, AgentState, CallState, QueueSettings
from tests.e2e.harness import KNOWN, STANDARD
from tests.real_asterisk.harness import RealServers, two_servers
from tests.real_asterisk.sipp import Answer, Press, Step, Wait

SKILLS = {"lang-de": 3, "lang-en": 3}
ACD = AcdSettings(
    queues=(QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=0),),
    agents=(
        AgentSettings(id="agent1", queues=("general",), skills=SKILLS, server="pbxA"),
        AgentSettings(id="agent2", queues=("general",), skills=SKILLS, server="pbxB"),
    ),
)


def caller() -> list[Step]:
    """0 until the menu takes it (the operator queue, general), then a 5 every second:
    ignored while waiting and talking, they rate the survey once the agent hangs up."""
    menu = [Wait(1), Press("0"), Wait(2), Press("0"), Wait(2), Press("0")]
    return [*menu, *[step for _ in range(30) for step in (Wait(1), Press("5"))]]


async def bridged_channels(real: RealServers, server: str) -> list[str]:
    """The `concise` lines of `server`'s channels running Bridge (a caller with an agent)."""
    out = await real.servers[server].cli("core show channels concise")
    return [line for line in out.splitlines() if "!Bridge!" in line]


async def test_given_agents_on_two_asterisks_when_callers_dial_each_then_each_is_answered_on_its_own_server(  # noqa: E501
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    # Each agent hangs up after a short talk; the caller then rates the survey.
    phones = {"agent1": Answer(0.5, 1.5), "agent2": Answer(0.5, 1.5)}
    async with (
        two_servers(tmp_path, ACD, sounds=sounds, phones=phones, ready=()) as real,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        await real.add_user("sup", "supervisor")
        await real.web_login(http, "sup")
        started = time.time()
        caller_a = await real.call_on("pbxA", KNOWN, caller())
        caller_b = await real.call_on("pbxB", STANDARD[0], caller())

        # Nobody ready: both wait in the one queue; the wallboard shows them with their server.
        waiting = await real.until(
            lambda: len(w := real.acd.waiting_calls("general", real.now)) == 2 and w, 30
        )
        on = {view.server: view.call_id for view in waiting}
        assert set(on) == {"pbxA", "pbxB"}
        async with http.get(f"{real.web_url}/api/live/calls") as response:
            response.raise_for_status()
            calls = await response.json()
        assert sorted((c["call_id"], c["server"]) for c in calls) == sorted(
            (call_id, server) for server, call_id in on.items()
        )
        async with http.get(f"{real.web_url}/api/live/agents") as response:
            response.raise_for_status()
            agents = await response.json()
        assert {a["agent_id"]: a["server"] for a in agents} == {"agent1": "pbxA", "agent2": "pbxB"}

        # agent2 (pbxB) gets ready: only pbxB's caller is offered, on pbxB's AMI link.
        await real.log_in("agent2")
        await real.phones["agent2"].wait_for("answer", timeout=15)
        assert len(await bridged_channels(real, "pbxB")) == 1
        assert await bridged_channels(real, "pbxA") == []
        await real.until(lambda: real.state("agent2") is AgentState.READY, 15)

        # agent2 is free again, the pbxA caller still waits: no offer crosses servers.
        await real.flush()
        await asyncio.sleep(1)
        view = real.acd.call_view(on["pbxA"], real.now)
        assert view is not None
        assert view.state is CallState.WAITING
        assert len(real.phones["agent2"].did("invite")) == 1
        assert real.phones["agent1"].did("invite") == []
        assert len(real.ami["pbxB"].sent("Originate", after=started)) == 1
        assert real.ami["pbxA"].sent("Originate", after=started) == []

        # agent1 (pbxA) gets ready: the pbxA caller is answered there, on pbxA's link.
        await real.log_in("agent1")
        await real.phones["agent1"].wait_for("answer", timeout=15)
        assert len(await bridged_channels(real, "pbxA")) == 1
        assert await bridged_channels(real, "pbxB") == []
        assert len(real.ami["pbxA"].sent("Originate", after=started)) == 1
        assert len(real.ami["pbxB"].sent("Originate", after=started)) == 1
        assert len(real.phones["agent2"].did("invite")) == 1

        assert await caller_a.finished(60) == 0
        assert await caller_b.finished(60) == 0
        await real.until(real.acd_idle, 10)
        for server, agent in (("pbxA", "agent1"), ("pbxB", "agent2")):
            call_id = on[server]
            assert call_id.startswith(f"{server}-"), "each Asterisk's systemname in its Uniqueids"
            row = await real.interaction(call_id)
            assert (row.outcome, row.agent) == ("answered", agent)
            events = await real.events(call_id)
            assert (events[0].kind, events[0].data["server"]) == ("enqueue", server)
        for asterisk in real.servers.values():
            assert asterisk.errors() == []
