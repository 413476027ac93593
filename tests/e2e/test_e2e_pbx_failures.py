"""Asterisk that cannot place the offers: nobody is paused, the floor sees the alert, and
calls are answered again once it recovers. A phone that is not registered is its agent's
problem, not the PBX's.

The PBX's failure is the one seen on a real Asterisk 22: rtp.conf's ports all held by the
callers on hold, so every Originate's channel is hung up before the phone rings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from acd import AcdSettings, AgentSettings, AgentState, QueueSettings, RecordKind
from callcenter.sim import AgentPhone, CallerScript, Press, SimOptions
from tests.e2e.harness import E2E, STANDARD, running

GENERAL = QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=0.5)
AGENTS = ("agent1", "agent2", "agent3")
ACD = AcdSettings(
    queues=(GENERAL,),
    agents=tuple(AgentSettings(id=a, queues=("general",), skills={"lang-de": 3}) for a in AGENTS),
    pbx_retry_seconds=0.2,
    pbx_retry_max_seconds=1.0,
)
PHONES = [AgentPhone(a, answer_after_s=0.2, talk_s=0.3) for a in AGENTS]


async def _metrics(http: aiohttp.ClientSession, e2e: E2E) -> dict[tuple[str, str], float]:
    async with http.get(f"{e2e.web_url}/metrics") as response:
        text = await response.text()
    return {
        (sample.name, sample.labels.get("kind", "")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def _wallboard_alerts(http: aiohttp.ClientSession, e2e: E2E) -> list[dict[str, Any]]:
    async with http.ws_connect(f"{e2e.web_url}/ws/wallboard") as ws:
        snapshot = json.loads((await ws.receive(timeout=10)).data)
    assert snapshot["type"] == "snapshot"
    alerts: list[dict[str, Any]] = snapshot["alerts"]
    return [alert for alert in alerts if alert["queue"] is None]


async def test_given_asterisk_out_of_rtp_ports_then_nobody_is_paused_and_calls_flow_after(
    tmp_path: Path,
) -> None:
    options = SimOptions(prompt_s=0.05, agi_close_timeout_s=5.0)
    async with (
        running(tmp_path, ACD, PHONES, ready=(), sim_options=options) as e2e,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        await e2e.add_user("sup1", "supervisor")
        await e2e.web_login(http, "sup1")
        scripts = [CallerScript(number, steps=(Press("0"),)) for number in STANDARD[:3]]
        calls = [await e2e.sim.place_call(script) for script in scripts]
        await e2e.until(lambda: e2e.acd.queue_stats("general", e2e.now).calls_waiting == 3)
        e2e.sim.set_rtp_ports(6)  # the three callers hold them all: no agent leg gets one
        for agent_id in AGENTS:
            await e2e.log_in(agent_id, ready=True)

        health = e2e.service.telephony.health
        await e2e.until(lambda: health.failing)
        # Every agent is ready (or ringing again), none is paused; no call was lost.
        states = {a: e2e.state(a) for a in AGENTS}
        assert set(states.values()) <= {AgentState.READY, AgentState.RESERVED}, states
        assert all(e2e.reason(a) is None for a in AGENTS)
        assert all(e2e.acd.call_view(call.uniqueid, e2e.now) is not None for call in calls)
        alerts = await _wallboard_alerts(http, e2e)
        assert [a["kind"] for a in alerts] == ["pbx_failing"]
        assert "nobody is paused" in alerts[0]["message"]
        assert "never rang" in alerts[0]["message"]
        metrics = await _metrics(http, e2e)
        assert metrics[("callcenter_pbx_failing", "")] == 1
        assert metrics[("callcenter_originate_failures_total", "not-placed")] >= 3
        assert {r.outcome for r in e2e.sim.rings()} == {"failed"}

        e2e.sim.set_rtp_ports(None)  # Asterisk has ports again
        # Answered: bridged to an agent (each caller then rates the call, not waited for).
        await e2e.until(lambda: all(call.record.bridged_to for call in calls), timeout=20)
        assert not health.failing
        assert (await _metrics(http, e2e))[("callcenter_pbx_failing", "")] == 0
        assert await _wallboard_alerts(http, e2e) == []

        await e2e.flush()
        kinds = [event.kind for call in calls for event in await e2e.events(call.uniqueid)]
        assert RecordKind.OFFER_FAILED in kinds
        assert RecordKind.RING_NO_ANSWER not in kinds
        assert RecordKind.REJECT not in kinds
        assert kinds.count(RecordKind.CONNECT) == 3


async def test_given_a_phone_not_registered_then_its_agent_pauses_and_the_next_answers(
    tmp_path: Path,
) -> None:
    phones = [AgentPhone("agent1", registered=False), *PHONES[1:2]]
    acd = AcdSettings(queues=(GENERAL,), agents=ACD.agents[:2])
    async with running(tmp_path, acd, phones, ready=()) as e2e:
        await e2e.log_in("agent1", ready=True)  # idle longest: offered first
        await e2e.log_in("agent2", ready=True)
        call = await e2e.sim.place_call(CallerScript(STANDARD[0], steps=(Press("0"),)))
        assert await e2e.until(lambda: call.record.bridged_to, timeout=20) == "agent2"
        assert e2e.state("agent1") is AgentState.NOT_READY
        assert e2e.reason("agent1") == "rejected"
        assert not e2e.service.telephony.health.failing
        assert e2e.service.telephony.health.figures().by_kind == {}
