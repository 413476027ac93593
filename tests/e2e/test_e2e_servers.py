"""Several Asterisk servers, end to end: two simulated Asterisks (east, the default, and
west), each with its own AMI link, phones and callers, driven by one service.

A caller can only be bridged to an agent on the caller's own Asterisk: each call is offered
to that server's agents only, each Originate goes to that server's AMI connection, and
when one server's AMI link is down its callers wait while the other server's are answered.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp

from acd import AcdSettings, AgentSettings, CallState, QueueSettings
from callcenter.sim import AgentPhone, CallerScript, Press
from tests.e2e.harness import KNOWN, STANDARD, running_servers

OPERATOR = (Press("0"),)
"""A known caller's keys to the operator queue (general)."""
SKILLS = {"lang-de": 3, "lang-en": 3}

ACD = AcdSettings(
    queues=(QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=0),),
    agents=(
        # No server named: the default server, east (the first configured).
        AgentSettings(id="east1", queues=("general",), skills=SKILLS),
        AgentSettings(id="west1", queues=("general",), skills=SKILLS, server="west"),
    ),
)
PHONES = {"east": [AgentPhone("east1", answer_after_s=0.2)], "west": [AgentPhone("west1")]}


async def test_given_agents_on_two_servers_when_a_call_arrives_on_each_then_each_is_answered_by_an_agent_there(  # noqa: E501
    tmp_path: Path,
) -> None:
    # west1 answers later than east1: a routing across servers would show up as east1
    # taking the west caller while west1 still rings.
    async with running_servers(tmp_path, ACD, PHONES, name_in_url=("west",)) as e2e:
        east, west = e2e.sims["east"], e2e.sims["west"]
        west_call = await west.place_call(CallerScript(KNOWN, steps=OPERATOR, talk_s=0.5))
        west_record = await west_call.done
        east_call = await east.place_call(CallerScript(STANDARD[0], steps=OPERATOR, talk_s=0.5))
        east_record = await east_call.done

        assert (west_record.agents_rung, east_record.agents_rung) == (["west1"], ["east1"])
        assert west_record.bridged_to is not None
        assert "west1" in west_record.bridged_to
        assert east_record.bridged_to is not None
        assert "east1" in east_record.bridged_to
        # Each Originate went out on the caller's server's AMI link, and only there.
        assert [ring.endpoint for ring in west.pbx.rings] == ["west1"]
        assert [ring.endpoint for ring in east.pbx.rings] == ["east1"]
        await e2e.flush()
        for call, server in ((west_call, "west"), (east_call, "east")):
            enqueue = (await e2e.events(call.uniqueid))[0]
            assert (enqueue.kind, enqueue.data["server"]) == ("enqueue", server)
            interaction = await e2e.service.backend.context.interactions.record(call.uniqueid)
            assert interaction is not None
            assert interaction.outcome == "answered"


async def test_given_only_the_east_agent_free_when_a_west_caller_waits_then_east_is_not_rung(
    tmp_path: Path,
) -> None:
    async with running_servers(tmp_path, ACD, PHONES, ready=("east1",)) as e2e:
        west = e2e.sims["west"]
        call = await west.place_call(CallerScript(KNOWN, steps=OPERATOR, talk_s=0.5))
        waiting = await e2e.until(lambda: e2e.acd.waiting_calls("general", e2e.now))
        assert [(view.call_id, view.server) for view in waiting] == [(call.uniqueid, "west")]
        assert e2e.acd.call_view(call.uniqueid, e2e.now).state is CallState.WAITING
        snapshot = e2e.service.backend.center.wallboard.snapshot(None)
        assert [(c["call_id"], c["server"]) for c in snapshot["calls"]] == [(call.uniqueid, "west")]
        servers = {a["agent_id"]: a["server"] for a in snapshot["agents"]}
        assert servers == {"east1": "east", "west1": "west"}

        # East's link drops and comes back: its resync compares east's channels with
        # east's calls only, so the west caller is not taken for gone.
        facts = e2e.service.telephony.facts
        resyncs = facts.resyncs
        assert await e2e.sims["east"].drop_ami() == 1
        await e2e.until(lambda: facts.resyncs > resyncs)
        view = e2e.acd.call_view(call.uniqueid, e2e.now)
        assert view is not None
        assert view.state is CallState.WAITING

        await e2e.log_in("west1", ready=True)
        record = await call.done

        assert record.agents_rung == ["west1"]
        assert e2e.sims["east"].pbx.rings == []


async def test_given_the_west_link_down_when_callers_arrive_on_both_then_west_waits_and_east_is_answered(  # noqa: E501
    tmp_path: Path,
) -> None:
    # The offers the down link cannot send come back at once; retried at most every 2 s.
    acd = ACD.model_copy(update={"pbx_retry_max_seconds": 2.0})
    async with running_servers(tmp_path, acd, PHONES) as e2e:
        east, west = e2e.sims["east"], e2e.sims["west"]
        west_link = next(c for c in e2e.service.ami if c.server.name == "west")
        west.refuse_ami(3600)
        await west.drop_ami()  # west's AMI link goes down; its calls and phones go on
        await e2e.until(lambda: not west_link.connected)

        west_call = await west.place_call(CallerScript(KNOWN, steps=OPERATOR, talk_s=0.5))
        await e2e.until(lambda: e2e.acd.call_view(west_call.uniqueid, e2e.now))
        east_call = await east.place_call(CallerScript(STANDARD[0], steps=OPERATOR, talk_s=0.5))
        east_record = await east_call.done

        assert east_record.bridged_to is not None
        assert "east1" in east_record.bridged_to
        assert west.pbx.rings == []
        assert not west_call.done.done()
        view = e2e.acd.call_view(west_call.uniqueid, e2e.now)
        assert view is not None
        assert view.state is not CallState.CONNECTED
        alerts = e2e.service.backend.center.wallboard.snapshot(None)["alerts"]
        down = [a for a in alerts if a["kind"] == "asterisk_down"]
        assert [(a["server"], "1 caller waits there" in a["message"]) for a in down] == [
            ("west", True)
        ]

        west.ami.refuse_for(0)  # the link comes back: the west caller is answered there
        west_record = await e2e.until(lambda: west_call.done.done() and west_call.done.result(), 20)

        assert west_record.agents_rung == ["west1"]
        assert [ring.endpoint for ring in east.pbx.rings] == ["east1"]


async def test_given_a_server_without_its_own_systemname_then_readyz_names_it_and_the_fix(
    tmp_path: Path,
) -> None:
    # Two Asterisks started alike give their first callers the same Uniqueid unless each
    # has a systemname: the operator is told before the first collision.
    for name in ("none", "shared", "own"):
        (tmp_path / name).mkdir()
    async with running_servers(tmp_path / "none", ACD, PHONES, system_names={"west": ""}) as e2e:
        url = f"http://127.0.0.1:{e2e.service.backend.server.port}/readyz"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            body = await response.json()
        assert response.status == 503
        assert body["problems"] == {
            "asterisk": "Asterisk server west has no systemname: its Uniqueids can equal "
            "another server's"
        }
    async with running_servers(
        tmp_path / "shared", ACD, PHONES, system_names={"east": "pbx", "west": "pbx"}
    ) as e2e:
        url = f"http://127.0.0.1:{e2e.service.backend.server.port}/readyz"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            body = await response.json()
        assert body["problems"] == {
            "asterisk": "Asterisk servers east and west share the systemname 'pbx': their "
            "Uniqueids can meet"
        }
    async with running_servers(tmp_path / "own", ACD, PHONES) as e2e:  # each its own: ready
        url = f"http://127.0.0.1:{e2e.service.backend.server.port}/readyz"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            assert response.status == 200, await response.text()
