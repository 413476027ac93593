"""FastAGI on a standby (issue 18): the dialplan tries the STANDBY first. Callers run the IVR
there and are queued once on the leader, which holds them (the dialplan follows
`CC_LEADER`) and has its agents answer them; nobody hears the IVR twice. A message left
or a callback asked for in the standby's IVR becomes work in the leader's line. A script
only the leader runs (`followup`), and a caller already queued, are sent on without
running anything."""

from __future__ import annotations

import asyncio
import json
import statistics
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from acd import AcdSettings, AgentSettings, QueueSettings
from callcenter.sim import AgentPhone, CallerScript, Press, Silence
from tests.agi_fixtures import environment, recording
from tests.cluster.harness import Cluster, Node, cluster
from tests.cluster.test_cluster_failover import (
    ACD,
    AGENTS,
    PHONES,
    assert_each_call_answered_once,
    ready_everyone,
    traffic,
)
from tests.e2e.harness import STANDARD
from tests.pg import PostgresServer


async def _standby_serving(c: Cluster) -> tuple[Node, Node]:
    """The leader (node1) and the standby (node2), once the standby's FastAGI is open."""
    leader = await c.leader()
    assert leader.name == "node1"
    standby = c.nodes[1]
    await c.until(lambda: _knows_leader(c, standby, leader), 30)
    await c.until(lambda: _logged(standby, "fastagi.listening"), 30)
    return leader, standby


async def _knows_leader(c: Cluster, standby: Node, leader: Node) -> bool:
    # A standby that has not yet read who leads holds a caller a segment (tried again).
    body = await standby.readyz(c.http)
    cluster = {} if body is None else body["cluster"]
    return cluster.get("role") == "standby" and cluster.get("leader") == leader.name


async def test_given_the_standby_tried_first_when_callers_queue_then_the_ivr_runs_there_once_and_the_leader_answers_each(  # noqa: E501
    tmp_path: Path, postgres: PostgresServer
) -> None:
    async with cluster(tmp_path, postgres, ACD, PHONES, standby_first=True) as c:
        leader, standby = await _standby_serving(c)
        await ready_everyone(c)
        calls = await traffic(c, 6, 0.3)
        await assert_each_call_answered_once(c, calls)

        ids = [call.uniqueid for call in calls]
        log = await c.log()
        enqueues = Counter(e.call_id for e in log if e.kind == "enqueue")
        assert [enqueues[i] for i in ids] == [1] * len(ids), "each caller is queued once"
        leader_address = f"127.0.0.1:{leader.agi_port}"
        for call in calls:
            record = call.record
            greeting = record.prompts[0]
            assert record.prompts.count(greeting) == 1, f"the IVR ran twice: {record.prompts}"
            # The standby sent the caller on, and the dialplan followed: front, then leader.
            assert record.variables.get("CC_LEADER") == leader_address
            assert record.variables.get("CC_QUEUED") == "1"
            assert call.record.scripts[:2] == ["ivr", "ivr"]
        # Every IVR ran on the standby (the front tries it first), none on the leader.
        sent = _calls_logged(standby, "pbx.call_sent_to_leader")
        assert set(sent) == set(ids)
        assert set(_calls_logged(leader, "pbx.call_handed_over")) == set(ids)
        assert not set(_calls_logged(leader, "pbx.call_sent_to_leader"))
        assert c.front.relayed.get(leader.agi_port, 0) == 0
        # What an operator sees: the standby's hand-offs, and both nodes ready to serve.
        handed = await c.metric(standby, "callcenter_cluster_standby_handoffs_total")
        assert handed[(("kind", "queued"),)] == len(ids)
        for node in (leader, standby):
            body = await node.readyz(c.http)
            assert body is not None
            assert (body["ready"], body["problems"]) == (True, {})
        # The hand-off, measured (a figure for the report; not asserted).
        arrived = _calls_logged(leader, "pbx.call_arrived_from_standby")
        relay_s = [float(line["took_s"]) for line in sent.values()]
        transit_s = [(_at(arrived[i]) - _at(sent[i])).total_seconds() for i in ids if i in arrived]
        _report(
            "standby IVR end -> leader queued the call (relay round trip)",
            relay_s,
            "standby session sent on -> the caller's session held on the leader",
            transit_s,
        )


async def test_given_the_ivr_on_the_standby_when_a_caller_leaves_a_message_or_asks_for_a_callback_then_it_is_work_on_the_leader(  # noqa: E501
    tmp_path: Path, postgres: PostgresServer
) -> None:
    (tmp_path / "voicemail").mkdir()
    async with cluster(tmp_path, postgres, ACD, PHONES, standby_first=True) as c:
        leader, standby = await _standby_serving(c)
        csrf = await c.admin(leader)
        for agent in AGENTS:  # staffed, not ready: the work waits in line
            assert await c.set_state(leader, csrf, agent, "logged_in") == 200
        # After hours (DNIS 199): 1 leaves a message (# ends it), 2 asks for a callback.
        message = (Silence(), Silence(), Press("1"), Press("#", after_s=1.0))
        callback = (Silence(), Silence(), Press("2"), Press("1"))
        left = await c.sim.place_call(CallerScript(STANDARD[0], dialled="199", steps=message))
        asked = await c.sim.place_call(CallerScript(STANDARD[1], dialled="199", steps=callback))
        for call in (left, asked):
            record = await asyncio.wait_for(call.done, 60)
            assert record.hung_up_by == "agi"
            assert "CC_LEADER" not in record.variables  # ended on the standby
        assert "vm-msgsaved" in left.record.prompts
        assert "custom/callback-next-day" in asked.record.prompts

        async def work() -> set[str] | None:
            queued = {e.call_id for e in await c.log() if e.kind == "enqueue"}
            found = {i for i in queued if i == f"vm-{left.uniqueid}" or i.startswith("cb-")}
            return found if len(found) == 2 else None

        entries = await c.until(work, 30)
        records = {r.uniqueid: r for r in await c.interactions()}
        assert records[left.uniqueid].outcome == "voicemail"
        assert records[asked.uniqueid].outcome == "callback"
        callback_id = records[asked.uniqueid].ivr_data["callback.id"]
        assert entries == {f"vm-{left.uniqueid}", f"cb-{callback_id}"}
        assert set(_entries_logged(leader, "pbx.voicemail_handed_over")) == {f"vm-{left.uniqueid}"}
        assert set(_entries_logged(leader, "pbx.callback_handed_over")) == {f"cb-{callback_id}"}
        assert not _calls_logged(standby, "pbx.call_sent_to_leader")


async def test_given_a_followup_or_an_already_queued_caller_on_the_standby_then_it_is_sent_to_the_leader_untouched(  # noqa: E501
    tmp_path: Path, postgres: PostgresServer
) -> None:
    async with cluster(tmp_path, postgres, ACD, PHONES, standby_first=True) as c:
        leader, standby = await _standby_serving(c)
        to_leader = f"SET VARIABLE CC_LEADER 127.0.0.1:{leader.agi_port}"
        followup = await _agi_commands(standby.agi_port, "followup", {})
        assert followup == [to_leader]
        # A caller the dialplan brings back with CC_QUEUED=1 (their leader went away): read,
        # then sent on; no IVR, no CC_DONE.
        queued = await _agi_commands(standby.agi_port, "ivr", {"CC_QUEUED": "1"})
        assert queued == ["GET VARIABLE CC_QUEUED", to_leader]


async def test_given_a_flow_changed_on_the_leader_then_the_standby_runs_the_new_version(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    old_thanks, new_thanks = "custom/callback-next-day", "custom/callback-confirmed"
    callback = (Silence(), Silence(), Press("2"), Press("1"))
    async with cluster(tmp_path, postgres, ACD, PHONES, standby_first=True) as c:
        leader, standby = await _standby_serving(c)
        csrf = await c.admin(leader)
        base = f"{leader.url}/api/flows/after_hours"
        async with c.http.get(f"{base}/versions/1") as response:
            old = (await response.json())["text"]
        new = old.replace(f"prompts: {old_thanks}", f"prompts: {new_thanks}", 1)
        assert new != old
        before = await c.sim.place_call(CallerScript(STANDARD[0], dialled="199", steps=callback))
        assert old_thanks in (await asyncio.wait_for(before.done, 60)).prompts

        body = {"text": new, "comment": "a shorter thank-you", "base_version": 1}
        async with c.http.put(base, json=body, headers=csrf) as response:
            assert response.status == 200, await response.text()
        # The leader told the standby (cc_center), which loaded the new version.
        await c.until(lambda: _followed(standby, "after_hours", 2), 15)
        after = await c.sim.place_call(CallerScript(STANDARD[1], dialled="199", steps=callback))
        record = await asyncio.wait_for(after.done, 60)
        assert new_thanks in record.prompts
        assert old_thanks not in record.prompts
        assert c.front.relayed.get(leader.agi_port, 0) == 0  # both ran on the standby


async def test_given_a_long_wait_on_the_leader_then_the_standbys_ivr_offers_the_callback(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    billing = QueueSettings(
        name="billing", ring_timeout_seconds=5, wrap_up_seconds=0.5, default_handle_seconds=1000
    )
    skills = {"lang-de": 3, "lang-en": 3, "billing": 1}
    agent = AgentSettings(id="agent1", queues=("billing",), skills=skills)
    acd = AcdSettings(queues=(billing,), agents=(agent,))
    phones = [AgentPhone("agent1", answer_after_s=0.2, talk_s=120)]
    async with cluster(tmp_path, postgres, acd, phones, standby_first=True) as c:
        leader, _ = await _standby_serving(c)
        csrf = await c.admin(leader)
        for state in ("logged_in", "ready"):
            assert await c.set_state(leader, csrf, "agent1", state) == 200
        # The only agent takes a call: on the leader, a newcomer's estimated wait is 1000 s.
        busy = await c.sim.place_call(CallerScript(STANDARD[0], steps=(Press("2"),)))
        await c.until(lambda: busy.record.bridged_to is not None, 30)
        # The standby's own ACD runs nothing: only the leader's estimate offers the callback.
        unknown_to_billing = (Silence(), Press("1"), Press("#"), Press("#"), Press("2"))
        asked = await c.sim.place_call(
            CallerScript("0305551", steps=(*unknown_to_billing, Press("1")))
        )
        record = await asyncio.wait_for(asked.done, 60)
        assert "custom/callback-confirmed" in record.prompts
        assert record.bridged_to is None
        assert "CC_LEADER" not in record.variables  # the IVR ended on the standby
        queued = await c.until(lambda: _enqueued(c, lambda call_id: call_id.startswith("cb-")), 30)
        assert len(queued) == 1
        assert c.sim.hangup(busy.channel)


async def _enqueued(c: Cluster, which: Any) -> list[str] | None:
    found = [e.call_id for e in await c.log() if e.kind == "enqueue" and which(e.call_id)]
    return found or None


def _followed(node: Node, flow: str, version: int) -> bool:
    return any(
        line.get("event") == "cluster.center_followed"
        and line.get("flows", {}).get(flow) == version
        for line in node.lines()
    )


async def _agi_commands(port: int, script: str, variables: dict[str, str]) -> list[str]:
    """Play Asterisk for one FastAGI session of `script`: answer every command (`variables`
    for GET VARIABLE, 1 for the rest) until the node ends it; the commands sent."""
    env = environment(recording("agi-s1"), script=script)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(env)
    commands: list[str] = []
    async with asyncio.timeout(20):
        while line := await reader.readline():
            command = line.decode().strip()
            commands.append(command)
            if command.startswith("GET VARIABLE "):
                name = command.removeprefix("GET VARIABLE ")
                value = variables.get(name)
                writer.write(
                    b"200 result=0\n" if value is None else f"200 result=1 ({value})\n".encode()
                )
            else:
                writer.write(b"200 result=1\n")
            await writer.drain()
    writer.close()
    return commands


def _calls_logged(node: Node, event: str) -> dict[str, dict[str, Any]]:
    return {
        line["call_id"]: line
        for line in node.lines()
        if line.get("event") == event and "call_id" in line
    }


def _entries_logged(node: Node, event: str) -> list[str]:
    return [line["entry"] for line in node.lines() if line.get("event") == event]


def _at(line: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(line["timestamp"]))


def _report(*figures: Any) -> None:
    for label, values in zip(figures[::2], figures[1::2], strict=True):
        if values:
            shown = {
                "n": len(values),
                "median_s": round(statistics.median(values), 4),
                "max_s": round(max(values), 4),
            }
            print(f"hand-off: {label}: {json.dumps(shown)}")


def _logged(node: Node, event: str) -> bool:
    return any(line.get("event") == event for line in node.lines())
