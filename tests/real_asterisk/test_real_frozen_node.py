"""Callers on a frozen node are sent on by the new leader (issue 18), on the real Asterisk 22.

Two backend nodes on one PostgreSQL (tests/real_asterisk/harness.py `real_cluster`: node1 is
BACKEND1 of the product's dialplan, node2 BACKEND2). node1 leads; a caller waits in line on
its FastAGI (the agents are logged in, not ready). node1 is then frozen (SIGSTOP): the
kernel still accepts connections on its FastAGI port, so that caller, and a caller who
dials meanwhile (the dialplan tries BACKEND1 first), would wait in silence for as long as
node1 sleeps. node2 leads after the lease and finds both channels in AGI to node1's address
(callcenter/pbx/stuck_agi.py): it sends them to itself (Setvar CC_LEADER, Redirect to
[fastagi] `leader`). The first takes its place in line again, the second runs the IVR from
the start; both are answered by an agent and rate the call (their survey, also sent to
node1 first, is rescued the same way) while node1 is still frozen.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from acd import AcdSettings, AgentSettings, QueueSettings
from tests.cluster.harness import BackendNodes, Node
from tests.pg import PostgresServer
from tests.real_asterisk.harness import real_cluster
from tests.real_asterisk.sipp import Answer, Press, Step, Wait
from tests.real_asterisk.test_real_cluster import NUMBERS, logged, role_is

AGENTS = ("agent1", "agent2")
ACD = AcdSettings(
    queues=(QueueSettings(name="general", ring_timeout_seconds=8, wrap_up_seconds=1),),
    agents=tuple(
        AgentSettings(id=a, queues=("general",), skills={"lang-de": 3, "lang-en": 3})
        for a in AGENTS
    ),
)
PHONES = {agent: Answer(after_s=1.0, talk_s=3.0) for agent in AGENTS}


def caller_steps() -> list[Step]:
    """The operator ("0") every 1.5 s for 45 s (until the menu takes it, also when the flow
    starts over on node2; ignored on hold and in talk), then a 5 every second: the survey's
    ratings, after which Asterisk hangs up."""
    steps: list[Step] = [Wait(2.5), Press("0")]
    steps += [s for _ in range(30) for s in (Wait(1.5), Press("0"))]
    steps += [s for _ in range(60) for s in (Wait(1.0), Press("5"))]
    return steps


async def set_everyone(nodes: BackendNodes, leader: Node, state: str) -> None:
    csrf = await nodes.admin(leader)
    for agent in AGENTS:
        assert await nodes.set_state(leader, csrf, agent, state) == 200


def stamp(line: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(line["timestamp"])).timestamp()


def rescues(node: Node) -> list[dict[str, Any]]:
    return [line for line in node.lines() if line.get("event") == "pbx.stuck_agi_rescued"]


async def test_given_the_leader_frozen_then_its_callers_are_sent_to_the_new_leader_and_answered(
    tmp_path: Path, sounds: tuple[Path, Path], postgres: PostgresServer
) -> None:
    async with real_cluster(tmp_path, postgres, ACD, sounds=sounds, phones=PHONES) as c:
        nodes = c.backend
        first = await nodes.leader()
        assert first.name == "node1"
        await nodes.until(lambda: role_is(nodes, "node2", "standby"), 30)
        await set_everyone(nodes, first, "logged_in")  # in, not ready: callers wait in line
        queued = await c.call(NUMBERS[0], caller_steps(), timeout_s=150)

        async def in_line() -> bool:
            return any(e.kind == "enqueue" for e in await nodes.log())

        await nodes.until(in_line, 30)
        frozen = time.time()
        first.pause()  # SIGSTOP: its FastAGI port still accepts, nobody answers there
        try:
            second = await nodes.leader(timeout=30)
            assert second.name == "node2"
            late = await c.call(NUMBERS[1], caller_steps(), timeout_s=150)
            await nodes.until(lambda: len(rescues(second)) >= 2, 30)
            # What an operator sees on the new leader: the callers it took from node1.
            rescued = await nodes.metric(second, "callcenter_cluster_frozen_node_rescues_total")
            assert rescued[(("node", "node1"),)] >= 2
            await set_everyone(nodes, second, "ready")
            codes = await asyncio.gather(queued.finished(150), late.finished(150))
            assert list(codes) == [0, 0], [(x.name, x.events()[-3:]) for x in (queued, late)]
            # Both were served to the end while node1 slept: answered, rated, hung up.
            for caller in (queued, late):
                assert caller.did("remote_bye"), caller.name
                assert not caller.did("hangup"), f"{caller.name} gave up waiting"
            still_frozen = time.time()
        finally:
            first.resume()
        # Woken, node1 finds itself fenced and steps down: the calls' records stay as node2
        # wrote them (the sessions node2 took from it ended there as hung up).
        await nodes.until(lambda: logged(first, "cluster.stepped_down"), 20)
        await asyncio.sleep(1)
        rows = {row.caller_number: row for row in await nodes.interactions()}
        assert {n: rows[n].outcome for n in NUMBERS[:2]} == dict.fromkeys(NUMBERS[:2], "answered")
        answers = sum(len(phone.did("answer")) for phone in c.phones.values())
        assert answers == 2, "each caller was answered by one phone, once"
        sent_on = rescues(second)
        assert {line["dead_node"] for line in sent_on} == {"node1"}
        assert {line["call_id"] for line in sent_on} == {rows[n].uniqueid for n in NUMBERS[:2]}
        assert c.ami["node2"].sent("Redirect", frozen), "node2 sent no Redirect"
        # The caller who was in line kept their place: one enqueue per call, one connect.
        log = await nodes.log()
        enqueued = sorted(str(e.call_id) for e in log if e.kind == "enqueue")
        assert enqueued == sorted(rows[n].uniqueid for n in NUMBERS[:2])
        assert sorted(str(e.call_id) for e in log if e.kind == "connect") == enqueued
        took_over = next(
            stamp(line) - frozen
            for line in second.lines()
            if line.get("event") == "cluster.took_over" and stamp(line) >= frozen
        )
        assert c.ami["node1"].sent("Redirect") == [], "node1 was never the one to rescue"
        answered = sorted(
            at.timestamp() - frozen for n in NUMBERS[:2] if (at := rows[n].answered_at) is not None
        )
        sent_at = ", ".join(f"{stamp(x) - frozen:.1f}" for x in sent_on)
        print(
            f"SIGSTOP of the leader: node2 led {took_over:.1f} s after the freeze and sent "
            f"sessions on from node1 at {sent_at} s ({[x['showed'] for x in sent_on]}); the "
            f"callers answered {', '.join(f'{s:.1f} s' for s in answered)} after the freeze "
            "(the agents were made ready once both were sent on); all done "
            f"{still_frozen - frozen:.1f} s after it, node1 still frozen"
        )


async def test_given_a_standby_frozen_mid_ivr_then_the_leader_runs_the_flow_again_for_its_caller(
    tmp_path: Path, sounds: tuple[Path, Path], postgres: PostgresServer
) -> None:
    async with real_cluster(tmp_path, postgres, ACD, sounds=sounds, phones=PHONES) as c:
        nodes = c.backend
        node1 = await nodes.leader()
        node2 = c.node("node2")
        await nodes.until(lambda: role_is(nodes, "node2", "standby"), 30)
        # node2 takes the lead (node1 paused past its lease, then woken: a standby), so
        # BACKEND1 of the dialplan is a standby that runs the IVR itself.
        node1.pause()
        assert (await nodes.leader(timeout=30)).name == "node2"
        node1.resume()
        await nodes.until(lambda: role_is(nodes, "node1", "standby"), 30)
        await set_everyone(nodes, node2, "logged_in")
        await set_everyone(nodes, node2, "ready")
        caller = await c.call(NUMBERS[0], caller_steps(), timeout_s=150)
        on_node1 = f"!AGI!agi://127.0.0.1:{node1.agi_port}/ivr!"

        async def in_ivr_on_node1() -> bool:
            return any(on_node1 in line for line in await c.active_channels())

        await nodes.until(in_ivr_on_node1, 30)
        frozen = time.time()
        node1.pause()  # mid-IVR: the caller hears nothing more from node1
        try:
            await nodes.until(lambda: len(rescues(node2)) >= 1, 30)
            assert await caller.finished(150) == 0, caller.events()[-3:]
            assert caller.did("remote_bye"), "the caller was served to the end"
            assert not caller.did("hangup"), "the caller gave up"
            done = time.time()
        finally:
            node1.resume()
        rows = {row.caller_number: row for row in await nodes.interactions()}
        row = rows[NUMBERS[0]]
        assert row.outcome == "answered"
        assert row.answered_at is not None
        sent_on = rescues(node2)
        assert {line["dead_node"] for line in sent_on} == {"node1"}
        assert {line["call_id"] for line in sent_on} == {row.uniqueid}
        print(
            f"SIGSTOP of a standby mid-IVR: node2 sent the caller on after "
            f"{stamp(sent_on[0]) - frozen:.1f} s, the caller was answered "
            f"{row.answered_at.timestamp() - frozen:.1f} s after the freeze, all done after "
            f"{done - frozen:.1f} s ({len(sent_on)} sessions sent on: "
            f"{[x['showed'] for x in sent_on]})"
        )
        # Woken, node1 finds its IVR session ended as by a hang-up: it knows it stood still
        # and records nothing over what node2 recorded.
        await nodes.until(lambda: logged(node1, "ivr.ending_not_recorded"), 20)
        await asyncio.sleep(1)
        after = {r.caller_number: r for r in await nodes.interactions()}[NUMBERS[0]]
        assert after.outcome == "answered"
