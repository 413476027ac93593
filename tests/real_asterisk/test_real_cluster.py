"""Two backend nodes on one PostgreSQL in front of the real Asterisk 22 (issue 18).

Asterisk runs the product's dialplan with its two backend nodes (BACKEND1 = node1's
FastAGI port, BACKEND2 = node2's); node1 and node2 are `callcenter serve` processes with
`cluster.enabled` on a throwaway PostgreSQL, each reaching Asterisk's AMI through a relay
that records the actions it sent. SIPp plays the agents' phones (answer after a moment,
talk a moment, hang up) and the callers (operator, then the survey).

The leader killed (kill -9) or paused past its lease (SIGSTOP) while calls wait, ring and
talk: node2 leads, every caller is answered by one phone exactly once and rates the call,
nothing stays up in Asterisk, the agents stay logged in; a paused leader that wakes up
sends Asterisk nothing more, says it was fenced and steps down to a standby. (Callers who
dial while the paused leader sleeps reach its FastAGI port, which the kernel still
accepts; node2, leading, finds them in AGI to a node silent past the lease and sends them
to itself (`callcenter.pbx.stuck_agi`), about lease + 2 s after the pause. Each test
prints how long the callers waited across the take-over.)
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from acd import AcdSettings, AgentSettings, QueueSettings
from callcenter.db.interactions import InteractionRecord
from tests.cluster.harness import BackendNodes, Node
from tests.e2e.harness import STANDARD
from tests.pg import PostgresServer
from tests.real_asterisk.harness import RealCluster, real_cluster
from tests.real_asterisk.sipp import Answer, Press, SippParty, Step, Wait

AGENTS = ("agent1", "agent2", "agent3")
SKILLS = {"lang-de": 3, "lang-en": 3}
ACD = AcdSettings(
    queues=(QueueSettings(name="general", ring_timeout_seconds=8, wrap_up_seconds=1),),
    agents=tuple(AgentSettings(id=a, queues=("general",), skills=SKILLS) for a in AGENTS),
)
PHONES = {agent: Answer(after_s=1.0, talk_s=3.0) for agent in AGENTS}
NUMBERS = STANDARD
"""Known callers, one number each: a call's record is found by its caller's number."""


def caller_steps() -> list[Step]:
    """The operator ("0") every 1.5 s for 12 s (until the menu takes it, also from a flow
    started over on the second node; ignored on hold and in talk), then a 5 every second:
    the survey's ratings, after which Asterisk hangs up."""
    steps: list[Step] = [Wait(2.5), Press("0")]
    steps += [s for _ in range(6) for s in (Wait(1.5), Press("0"))]
    steps += [s for _ in range(60) for s in (Wait(1.0), Press("5"))]
    return steps


async def ready_everyone(nodes: BackendNodes) -> None:
    leader = await nodes.leader()
    csrf = await nodes.admin(leader)
    for agent in AGENTS:
        assert await nodes.set_state(leader, csrf, agent, "logged_in") == 200
        assert await nodes.set_state(leader, csrf, agent, "ready") == 200


async def call(c: RealCluster, callers: list[SippParty], gap_s: float) -> None:
    """The next caller of NUMBERS dials the hotline; then `gap_s` passes."""
    callers.append(await c.call(NUMBERS[len(callers)], caller_steps(), timeout_s=150))
    await asyncio.sleep(gap_s)


async def busy_floor(nodes: BackendNodes, calls: int) -> bool:
    """All `calls` are in line and some are talking while others wait or ring."""
    kinds = Counter(e.kind for e in await nodes.log())
    return kinds["enqueue"] >= calls and 0 < kinds["connect"] < calls


async def role_is(nodes: BackendNodes, name: str, role: str) -> bool:
    return (await nodes.roles()).get(name) == role


def logged(node: Node, event: str) -> bool:
    return any(line.get("event") == event for line in node.lines())


def talks(phone: SippParty) -> list[tuple[float, float]]:
    """(answered, ended) of each call the phone answered, in order of answer."""
    ends = {e.call_id: e.at for e in phone.events() if e.what in ("hangup", "remote_bye")}
    return sorted((e.at, ends.get(e.call_id, float("inf"))) for e in phone.did("answer"))


async def assert_each_caller_answered_once(
    c: RealCluster, callers: list[SippParty]
) -> dict[str, InteractionRecord]:
    """Every caller was answered by one phone, once, rated the call and was hung up by
    Asterisk; nothing stays up; each phone had one caller at a time. The calls' records
    by caller number."""
    codes = await asyncio.gather(*(caller.finished(150) for caller in callers))
    assert codes == [0] * len(callers), [(x.name, x.events()[-3:]) for x in callers]
    gave_up = [x.name for x in callers if x.did("hangup") or not x.did("remote_bye")]
    assert gave_up == [], f"callers who were not served to the end: {gave_up}"
    await c.backend.until(lambda: _no_channels(c), timeout=15)
    numbers = NUMBERS[: len(callers)]
    rows = {row.caller_number: row for row in await c.backend.interactions()}
    outcomes = {number: rows[number].outcome if number in rows else None for number in numbers}
    assert outcomes == dict.fromkeys(numbers, "answered")
    log = await c.backend.log()
    connects = Counter(e.call_id for e in log if e.kind == "connect")
    enqueued = [e.call_id for e in log if e.kind == "enqueue"]
    assert len(enqueued) == len(set(enqueued)) == len(callers), "each call in line once"
    if doubled := {call_id for call_id in enqueued if connects[call_id] != 1}:
        terms = await c.backend.terms()
        story = [
            (term, e.call_id, e.kind, e.agent, e.at.strftime("%H:%M:%S.%f")[:-3])
            for e, term in zip(log, terms, strict=False)
            if e.call_id in doubled
        ]
        raise AssertionError(f"calls not connected exactly once: {connects}; their log: {story}")
    answers = {agent: len(phone.did("answer")) for agent, phone in c.phones.items()}
    assert sum(answers.values()) == len(callers), f"phones answered {answers}"
    for agent, phone in c.phones.items():
        spans = talks(phone)
        overlaps = [(a, b) for a, b in itertools.pairwise(spans) if b[0] < a[1]]
        assert overlaps == [], f"{agent}'s phone had two callers at once"
    return rows


async def in_traffic(c: RealCluster) -> tuple[BackendNodes, Node, list[SippParty]]:
    """node1 leads, node2 stands by, the agents are ready, and 5 callers for 3 agents:
    some talk, the others ring or wait in line; (the nodes, the leader, the callers)."""
    nodes = c.backend
    first = await nodes.leader()
    assert first.name == "node1"
    await nodes.until(lambda: role_is(nodes, "node2", "standby"), 30)
    await ready_everyone(nodes)
    callers: list[SippParty] = []
    for _ in range(5):
        await call(c, callers, 0.7)
    await nodes.until(lambda: busy_floor(nodes, 5), 40)
    return nodes, first, callers


async def test_given_the_leader_killed_in_traffic_then_node2_leads_and_each_caller_is_answered_once(
    tmp_path: Path, sounds: tuple[Path, Path], postgres: PostgresServer
) -> None:
    async with real_cluster(tmp_path, postgres, ACD, sounds=sounds, phones=PHONES) as c:
        nodes, first, callers = await in_traffic(c)
        killed = time.time()
        first.kill()
        for _ in range(3):  # callers who dial while no node leads
            await call(c, callers, 0.5)
        second = await nodes.leader(timeout=30)
        assert second.name == "node2"
        led = _took_over(second, killed)
        rows = await assert_each_caller_answered_once(c, callers)
        # Agents stayed logged in: the new leader has them, and answers the same login.
        csrf = await nodes.admin(second)
        for agent in AGENTS:
            async with nodes.http.get(f"{second.url}/api/agents/{agent}", headers=csrf) as r:
                assert r.status == 200
                assert (await r.json())["state"] != "logged_out", agent
        terms = await nodes.terms()
        assert set(terms) == {1, 2}
        assert terms == sorted(terms), "an entry of the old term was written after the new one's"
        originated = c.ami["node2"].sent("Originate", killed)
        assert originated, "the new leader offered no call"
        print(
            f"kill -9: node2 took over {led:.1f} s after the kill, its first Originate "
            f"after {originated[0] - killed:.1f} s; {_waits(callers, rows, killed)}"
        )


async def test_given_the_leader_paused_past_its_lease_then_it_is_fenced_and_sends_asterisk_nothing(
    tmp_path: Path, sounds: tuple[Path, Path], postgres: PostgresServer
) -> None:
    async with real_cluster(tmp_path, postgres, ACD, sounds=sounds, phones=PHONES) as c:
        nodes, first, callers = await in_traffic(c)
        paused = time.time()
        first.pause()  # SIGSTOP: its sockets stay open, it just stops answering
        second = await nodes.leader(timeout=30)
        assert second.name == "node2"
        led = _took_over(second, paused)
        for _ in range(2):  # callers who dial while the old leader sleeps
            await call(c, callers, 0.5)
        await asyncio.sleep(4)  # the new leader goes on with the calls
        woke = time.time()
        first.resume()
        # The old leader notices by its own clock, acts no more, and starts over as a standby.
        await nodes.until(lambda: logged(first, "cluster.stepped_down"), 20)
        await nodes.until(lambda: role_is(nodes, first.name, "standby"), 20)
        assert logged(first, "cluster.fenced"), "the paused leader logged that it lost the lead"
        rows = await assert_each_caller_answered_once(c, callers)
        # Asterisk's view: node1's AMI session sent no Originate (nor anything else that
        # acts on a call) after it woke up.
        acted = [
            (round(at - woke, 2), name)
            for at, name in c.ami["node1"].actions
            if at >= woke and name.lower() in {"originate", "redirect", "hangup", "setvar"}
        ]
        assert acted == [], f"the fenced node acted on Asterisk after waking: {acted}"
        assert c.ami["node2"].sent("Originate", paused), "the new leader offered no call"
        # (More terms than 2 are allowed here: a new leader starved of CPU past its lease
        # steps down as well, and one of the two leads again.)
        terms = await nodes.terms()
        assert terms == sorted(terms), "an entry of the old term was written after the new one's"
        print(f"terms in the log: {sorted(set(terms))}")
        print(
            f"SIGSTOP: node2 took over {led:.1f} s after the pause; "
            f"woken after {woke - paused:.1f} s, then node1 sent AMI "
            f"{[name for at, name in c.ami['node1'].actions if at >= woke] or 'nothing'}; "
            f"{_waits(callers, rows, paused)}"
        )


def _took_over(node: Node, since: float) -> float:
    """Seconds from `since` to the node's first `cluster.took_over` after it (its log)."""
    for line in node.lines():
        if line.get("event") == "cluster.took_over":
            at = datetime.fromisoformat(line["timestamp"]).timestamp()
            if at >= since:
                return at - since
    raise AssertionError(f"{node.name} logged no cluster.took_over")


async def _no_channels(c: RealCluster) -> bool:
    if await c.active_channels():
        await asyncio.sleep(0.45)  # asked twice a second: a CLI run each
        return False
    return True


def _waits(callers: list[SippParty], rows: dict[str, InteractionRecord], since: float) -> str:
    """Each caller answered after `since`: when they dialled (from `since`) and how long
    they waited for an agent, from the dial to the agent's answer."""
    waits = []
    for caller, number in zip(callers, NUMBERS, strict=False):
        answered = rows[number].answered_at
        if answered is None or answered.timestamp() < since:
            continue
        dialled = caller.did("dial")[0].at
        waits.append(f"{dialled - since:+.1f} s: {answered.timestamp() - dialled:.1f} s")
    return "callers answered after it (dialled at, waited): " + ", ".join(waits)
