"""FastAGI on a standby in front of the real Asterisk 22 (issue 18).

The dialplan names only the standby (BACKEND1 = node2, BACKEND2 empty), so the leader
(node1) is reached only through `CC_LEADER`: a SIPp caller runs the IVR on the standby,
which hands the queued call to the leader through PostgreSQL and sends the caller there;
the leader holds them in line, its SIPp agent phone answers, and after the agent hangs up
the caller rates the call on the standby (the survey runs where the dialplan sends it).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from acd import AcdSettings, AgentSettings, QueueSettings
from tests.cluster.harness import Node
from tests.e2e.harness import STANDARD
from tests.pg import PostgresServer
from tests.real_asterisk.harness import real_cluster
from tests.real_asterisk.sipp import Answer, Press, Step, Wait

SKILLS = {"lang-de": 3, "lang-en": 3}
ACD = AcdSettings(
    queues=(QueueSettings(name="general", ring_timeout_seconds=10, wrap_up_seconds=1),),
    agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
)
PHONES = {"agent1": Answer(after_s=1.0, talk_s=2.0)}


def caller_steps() -> list[Step]:
    """The operator ("0") until the menu takes it (ignored on hold and in talk), then a 5
    every second: the survey's ratings, after which Asterisk hangs up."""
    steps: list[Step] = [Wait(2.5), Press("0")]
    steps += [s for _ in range(4) for s in (Wait(1.5), Press("0"))]
    steps += [s for _ in range(40) for s in (Wait(1.0), Press("5"))]
    return steps


async def test_given_only_the_standby_in_the_dialplan_when_a_caller_queues_then_the_leader_holds_them_via_cc_leader_and_its_agent_answers(  # noqa: E501
    tmp_path: Path, sounds: tuple[Path, Path], postgres: PostgresServer
) -> None:
    async with real_cluster(
        tmp_path, postgres, ACD, sounds=sounds, phones=PHONES, backends=(2,)
    ) as c:
        nodes = c.backend
        leader = await nodes.leader()
        assert leader.name == "node1"
        standby = c.node("node2")

        async def knows_leader() -> bool:
            body = await standby.readyz(nodes.http)
            return body is not None and body["cluster"].get("leader") == leader.name

        await nodes.until(knows_leader, 30)
        csrf = await nodes.admin(leader)
        for state in ("logged_in", "ready"):
            assert await nodes.set_state(leader, csrf, "agent1", state) == 200

        caller = await c.call(STANDARD[0], caller_steps(), timeout_s=120)
        assert await caller.finished(120) == 0, caller.events()[-5:]
        assert caller.did("remote_bye"), "Asterisk ended the call"
        assert not caller.did("hangup"), "the caller did not give up"
        assert len(c.phones["agent1"].did("answer")) == 1

        # The IVR ran on the standby, which sent the caller to the leader's address.
        [sent] = _logged(standby, "pbx.call_sent_to_leader")
        call_id = sent["call_id"]
        assert sent["to"] == f"127.0.0.1:{leader.agi_port}"
        assert [line["call_id"] for line in _logged(leader, "pbx.call_handed_over")] == [call_id]
        # The leader got the caller's session (only CC_LEADER names it) and held them.
        [arrived] = _logged(leader, "pbx.call_arrived_from_standby")
        assert arrived["call_id"] == call_id
        assert not _logged(leader, "ivr.finished"), "the IVR ran on the leader too"
        ivr_runs = [line["flow"] for line in _logged(standby, "ivr.finished")]
        assert ivr_runs.count("main_hotline") == 1, ivr_runs
        # One place in line, one connect, answered by the leader's agent.
        log = await nodes.log()
        kinds = Counter((e.call_id, e.kind) for e in log)
        assert kinds[(call_id, "enqueue")] == 1
        assert kinds[(call_id, "connect")] == 1
        [row] = [r for r in await nodes.interactions() if r.uniqueid == call_id]
        assert (row.outcome, row.agent) == ("answered", "agent1")
        assert c.ami["node1"].sent("Originate", 0), "the leader offered the call"
        assert not c.ami["node2"].sent("Originate", 0), "the standby acted on Asterisk"
        transit = (_at(arrived) - _at(sent)).total_seconds()
        print(
            f"hand-off: standby IVR end -> leader queued it {float(sent['took_s']):.4f} s "
            f"(relay round trip); standby session sent on -> held on the leader "
            f"{transit:.3f} s (Asterisk's dialplan between)"
        )


def _logged(node: Node, event: str) -> list[dict[str, Any]]:
    return [line for line in node.lines() if line.get("event") == event]


def _at(line: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(line["timestamp"]))
