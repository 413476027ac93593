"""The service against a hostile Asterisk: what it sends cannot make the service deaf.

The whole service runs against the PBX simulator behind `HostileLink`, a proxy that
attacks the AMI link between whole messages: events with fields missing or malformed for
every event type the service follows, a flood of 50,000 events while one consumer has
stopped reading, a message cut off by a close, a line that is not AMI, Pings never
answered, and the bug of issue 14 itself (the logging call in the handler's `except`
raising). After each attack a normal call (IVR, queue, offer, answer, talk) still
reaches the agent, `/readyz` and `/metrics` told the truth meanwhile, and the logged
cause is asserted with `structlog.testing.capture_logs`. Two client-level cases use the
recorded sessions of `fake_asterisk.FakeAsterisk`, and the last test stops a service
whose parts fail to stop and finds the AMI link closed and every write in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs

from acd import (
    AcdSettings,
    AgentLoggedIn,
    AgentSettings,
    AgentState,
    CallerHungUp,
    QueueSettings,
)
from callcenter.ami import (
    AMIClient,
    AMIClientOptions,
    AMIServer,
    Event,
    EventsLost,
    EventSubscription,
    OverflowPolicy,
)
from callcenter.ami import Event as AmiEvent
from callcenter.app.service import Service
from callcenter.db import InteractionRepository, make_engine, make_sessions
from callcenter.db.interactions import InteractionData, SaveInteraction
from callcenter.live.host import AcdHost
from callcenter.pbx.callback_attempts import CallbackAttempts
from callcenter.pbx.calls import AgentLeg, PbxCall
from callcenter.pbx.fact_errors import DroppedFacts
from callcenter.pbx.telephony import Telephony
from callcenter.sim import AgentPhone, CallerScript, PbxSimulator, Press, SimOptions
from tests.e2e.harness import (
    E2E,
    KNOWN,
    SECRET,
    e2e_settings,
    free_port,
    seed_customers,
    start_service,
)
from tests.integration.fake_asterisk import FakeAsterisk, Recording
from tests.integration.hostile_ami import HostileLink, event

GENERAL = QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=1)
ACD = AcdSettings(
    queues=(GENERAL,),
    agents=(AgentSettings(id="agent1", queues=("general",), skills={"lang-de": 3, "lang-en": 3}),),
)
PHONE = AgentPhone("agent1", answer_after_s=0.2)
LEG = "cc-hostile0000000"
"""An agent leg the service follows (seeded), so every handler reads the fields it needs."""
CALL = "hostile.1"
SERVER = "sim"

AGENT_CHANNEL = "PJSIP/agent1001-00000001"
MALFORMED: list[tuple[str, dict[str, str]]] = [
    ("Newchannel", {"Uniqueid": LEG, "ChannelState": "0"}),  # no Channel
    ("Newchannel", {"Channel": AGENT_CHANNEL, "ChannelState": "up", "Uniqueid": LEG}),
    ("Newchannel", {}),
    ("OriginateResponse", {"Response": "Failure", "Reason": "busy", "Uniqueid": LEG}),
    ("OriginateResponse", {"Response": "Failure", "Reason": "x", "Uniqueid": LEG, "Channel": ""}),
    ("BridgeEnter", {"Uniqueid": LEG, "BridgeUniqueid": "b-1", "BridgeNumChannels": "two"}),
    ("BridgeEnter", {"Uniqueid": LEG}),  # no Channel, no bridge
    ("Hangup", {"Channel": AGENT_CHANNEL, "Uniqueid": LEG, "Cause": "normal"}),
    ("Hangup", {"Uniqueid": LEG, "Cause": "16"}),  # no Channel
    ("Hangup", {}),
    ("FullyBooted", {"Status": "Fully Booted", "Uptime": "long"}),
]
"""Fields missing or malformed for every event type the service follows: ami_facts and
callback_attempts take Newchannel, OriginateResponse, BridgeEnter and Hangup; the link's
watcher FullyBooted."""


@dataclasses.dataclass
class Hostile:
    """The running simulator, service and hostile link."""

    e2e: E2E
    link: HostileLink

    @property
    def service(self) -> Service:
        return self.e2e.service

    @property
    def client(self) -> AMIClient:
        return self.service.ami[0]

    async def readyz(self) -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{self.e2e.web_url}/readyz") as response,
        ):
            return response.status, await response.json()

    async def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{self.e2e.web_url}/metrics") as response,
        ):
            text = await response.text()
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    async def ami_metric(self) -> float:
        return (await self.metrics())[("callcenter_ami_connected", (("server", SERVER),))]

    def seed_leg(self) -> None:
        """A call ringing an agent, as the service tracks it, so that events naming its leg
        reach the code that reads their fields (the ACD does not know the call)."""
        calls = self.service.telephony.calls
        call = PbxCall(CALL, "PJSIP/caller-hostile", None, "general")
        calls.add(call)
        calls.start_leg(call, AgentLeg("agent1", "PJSIP/agent1001", uniqueid=LEG))

    async def normal_call_is_answered(self) -> None:
        """A caller dials in, picks the operator, agent1's phone answers, they talk."""
        e2e = self.e2e
        await e2e.until(lambda: e2e.state("agent1") is AgentState.READY, timeout=15)
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Press("0"),), talk_s=0.3))
        async with asyncio.timeout(20):
            record = await call.done
        assert record.bridged_to is not None
        assert "agent1" in record.bridged_to
        await e2e.until(lambda: e2e.state("agent1") in (AgentState.WRAP_UP, AgentState.READY))
        await e2e.flush()
        interaction = await self.service.backend.context.interactions.record(call.uniqueid)
        assert interaction is not None
        assert (interaction.outcome, interaction.agent) == ("answered", "agent1")


@contextlib.asynccontextmanager
async def hostile(tmp_path: Path, **asterisk: Any) -> AsyncIterator[Hostile]:
    """The simulator, the hostile link in front of its AMI, the service behind the link,
    agent1 logged in and ready. `asterisk` overrides AMI settings (ping timing)."""
    agi_port = await free_port()
    options = SimOptions(prompt_s=0.05, agi_close_timeout_s=5.0)
    sim = PbxSimulator(agi_port=agi_port, secret=SECRET, options=options)
    await sim.start()
    sim.add_phone(PHONE)
    try:
        async with HostileLink(sim.ami_port) as link:
            settings = e2e_settings(tmp_path, ACD, agi_port, link.port)
            if asterisk:
                ami = settings.asterisk.model_copy(update=asterisk)
                settings = settings.model_copy(update={"asterisk": ami})
            service = await start_service(settings)
            try:
                await seed_customers(service)
                await service.backend.center.host.request(
                    lambda now: AgentLoggedIn(now, "agent1", ready=True)
                )
                yield Hostile(E2E(sim, service, settings), link)
            finally:
                await service.stop()
    finally:
        await sim.close()


def dropped_logs(logs: list[dict[str, Any]], consumer: str) -> list[dict[str, Any]]:
    return [e for e in logs if e["event"] == "pbx.fact_dropped" and e["consumer"] == consumer]


async def test_given_malformed_events_of_every_type_then_each_is_dropped_and_calls_go_on(
    tmp_path: Path,
) -> None:
    async with hostile(tmp_path) as h:
        h.seed_leg()
        facts, attempts = h.service.telephony.facts.dropped, h.service.callback_attempts.dropped
        with capture_logs() as logs:
            await h.link.inject(event(name, fields) for name, fields in MALFORMED)
            # A well-formed event after them: once applied, everything before it was seen.
            fine = {"Channel": AGENT_CHANNEL, "ChannelState": "6", "Uniqueid": LEG, "Cause": "16"}
            await h.link.inject([event("Hangup", fine)])
            await h.e2e.until(lambda: h.service.telephony.calls.leg(LEG) is None)
            await h.e2e.until(lambda: attempts.dropped == 4)
        # Each event type the service follows, malformed, is dropped with its cause named.
        dropped = [*dropped_logs(logs, "ami-facts"), *dropped_logs(logs, "callback-attempts")]
        assert {e["ami_event"] for e in dropped} == {
            "Newchannel",
            "OriginateResponse",
            "BridgeEnter",
            "Hangup",
        }
        causes = {e["error"] for e in dropped}
        assert all(c.startswith("RemoteProtocolError: AMI event") for c in causes)
        for header in (
            "no Channel",
            "'ChannelState'",
            "'Reason'",
            "'BridgeNumChannels'",
            "'Cause'",
        ):
            assert any(header in c for c in causes), header
        assert (facts.dropped, attempts.dropped) == (6, 4)
        assert not [e for e in logs if e["event"] == "task.crashed"]
        assert h.service.supervisor.down() == []
        assert await h.readyz() == (200, {"ready": True, "problems": {}})
        metrics = await h.metrics()
        assert metrics[("callcenter_ami_events_dropped_total", (("where", "ami-facts"),))] == 6
        await h.normal_call_is_answered()


async def test_given_a_flood_of_50000_events_and_a_stuck_consumer_then_calls_go_on(
    tmp_path: Path,
) -> None:
    async with hostile(tmp_path) as h:
        h.seed_leg()
        # A consumer that takes nothing: before, the reader waited for it for ever.
        stuck = h.client.subscribe(
            ["Hangup"], maxsize=100, policy=OverflowPolicy.BLOCK, name="stuck"
        )
        bad = event("Newchannel", {"Uniqueid": LEG})  # no Channel: both consumers drop it
        unknown = event("Hangup", {"Channel": "PJSIP/x-1", "Uniqueid": "nobody.1", "Cause": "16"})
        with capture_logs() as logs:
            sent = await h.link.inject([bad, unknown] * 25_000)
            facts = h.service.telephony.facts.dropped
            attempts = h.service.callback_attempts.dropped
            await h.e2e.until(lambda: (facts.dropped, attempts.dropped) == (25_000, 25_000), 60)
        assert sent == 50_000
        # Logged with their cause, but not 50,000 times: a burst, then a count.
        assert len(dropped_logs(logs, "ami-facts")) == 20
        [stall] = [e for e in logs if e["event"] == "ami.consumer_stalled"]
        assert stall["consumer"] == "stuck"
        assert stuck.dropped > 20_000
        assert h.client.connected
        assert h.link.connections == 1  # the link never broke
        assert not [e for e in logs if e["event"] == "task.crashed"]
        assert (await h.readyz())[0] == 200
        metrics = await h.metrics()
        assert metrics[("callcenter_ami_events_dropped_total", (("where", "ami-facts"),))] == 25_000
        assert (
            metrics[("callcenter_ami_events_dropped_total", (("where", f"ami:{SERVER}"),))]
            == stuck.dropped
        )
        await h.normal_call_is_answered()
        h.client.unsubscribe(stuck)


@pytest.mark.parametrize(
    "attack",
    ["close-mid-message", "not-ami"],
)
async def test_given_a_broken_stream_then_readyz_says_so_and_after_the_reconnect_calls_go_on(
    tmp_path: Path, attack: str
) -> None:
    async with hostile(tmp_path) as h:
        h.link.refuse = True  # Asterisk stays away for a while: the truth must show
        with capture_logs() as logs:
            if attack == "close-mid-message":
                await h.link.cut_mid_message(
                    event("Hangup", {"Channel": "PJSIP/a-1", "Uniqueid": "u.1"})
                )
            else:
                await h.link.inject([b"Event: Hangup\r\nthis is not a header\r\n\r\n"])
            await h.e2e.until(lambda: not h.client.connected)
            status, body = await h.readyz()
            assert status == 503
            assert body["problems"]["ami"] == f"not connected: {SERVER}"
            assert await h.ami_metric() == 0
            h.link.refuse = False
            await h.client.wait_connected(timeout=10)
        if attack == "not-ami":
            assert any(e["event"] == "ami.protocol_error" for e in logs)
        assert h.link.connections >= 2
        assert h.service.telephony.facts.resyncs >= 2
        assert await h.readyz() == (200, {"ready": True, "problems": {}})
        assert await h.ami_metric() == 1
        await h.normal_call_is_answered()


async def test_given_pings_never_answered_then_the_link_is_recycled_and_readyz_says_so(
    tmp_path: Path,
) -> None:
    async with hostile(tmp_path, ping_interval_s=0.2, ping_timeout_s=0.2) as h:
        with capture_logs() as logs:
            h.link.swallow_pongs = True
            h.link.refuse = True
            await h.e2e.until(lambda: not h.client.connected)
            assert (await h.readyz())[0] == 503
            assert await h.ami_metric() == 0
            h.link.swallow_pongs = False
            h.link.refuse = False
            await h.client.wait_connected(timeout=10)
        [failed, *_] = [e for e in logs if e["event"] == "ami.ping_failed"]
        assert "Ping" in failed["error"]
        assert h.link.connections >= 2
        assert (await h.readyz())[0] == 200
        await h.normal_call_is_answered()


async def test_given_logging_in_except_raises_then_the_task_restarts_and_readyz_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bug of issue 14 put back: the handler of a failed event logs with `event=`,
    # structlog's own first argument, so the logging call in `except` raises TypeError.
    def buggy(self: DroppedFacts, event: AmiEvent, error: Exception) -> None:
        structlog.get_logger().exception("pbx.event_failed", event=event.name)

    async with hostile(tmp_path) as h:
        h.seed_leg()
        monkeypatch.setattr(DroppedFacts, "drop", buggy)
        with capture_logs() as logs:
            await h.link.inject([event("Newchannel", {"Uniqueid": LEG})] * 6)
            await h.e2e.until(h.service.supervisor.down)
            status, body = await h.readyz()
            metric = await h.ami_metric()
            monkeypatch.undo()  # the fix: what follows is dropped and logged
            await h.e2e.until(lambda: not h.service.supervisor.down(), timeout=15)
        assert status == 503
        assert "ami-facts:sim (TypeError" in body["problems"]["tasks"]
        assert metric == 0  # a link whose events nobody applies is down
        crashes = [e for e in logs if e["event"] == "task.crashed"]
        assert crashes
        assert crashes[0]["task"] in ("ami-facts:sim", "callback-attempts:sim")
        assert crashes[0]["error"].startswith("TypeError")
        assert "'event'" in crashes[0]["error"]
        assert any(e["event"] == "task.restarted" for e in logs)
        assert (await h.metrics())[
            ("callcenter_task_restarts_total", (("task", "ami-facts:sim"),))
        ] >= 1
        assert await h.readyz() == (200, {"ready": True, "problems": {}})
        assert await h.ami_metric() == 1
        await h.normal_call_is_answered()


async def test_given_the_acd_task_crashes_then_it_is_logged_restarted_and_calls_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bug outside the core's own try (the host hands the commands out): the one task that
    # owns the ACD dies. Before, the service went on answering /readyz with 200.
    original = AcdHost._dispatch

    def broken(self: AcdHost, event: Any, commands: Any) -> None:
        monkeypatch.undo()  # once
        raise RuntimeError("a bug while handing out commands")

    async with hostile(tmp_path) as h:
        host = h.service.backend.center.host
        monkeypatch.setattr(AcdHost, "_dispatch", broken)
        with capture_logs() as logs:
            host.submit(CallerHungUp(host.now(), "nobody.1"))  # a fact the core calls stale
            await h.e2e.until(lambda: any(e["event"] == "task.restarted" for e in logs))
        [crash] = [e for e in logs if e["event"] == "task.crashed"]
        assert (crash["task"], crash["error"]) == (
            "acd-host",
            "RuntimeError: a bug while handing out commands",
        )
        assert AcdHost._dispatch is original
        assert await h.readyz() == (200, {"ready": True, "problems": {}})
        metrics = await h.metrics()
        assert metrics[("callcenter_task_restarts_total", (("task", "acd-host"),))] == 1
        await h.normal_call_is_answered()


# -- the AMI client alone, against a recorded session --------------------------------------


def recorded_client(fake: FakeAsterisk, **options: Any) -> AMIClient:
    server = AMIServer("pbx1", "127.0.0.1", fake.port, "callcenter", "callcenter", "plain", "on")
    base = AMIClientOptions(
        connect_timeout=2.0, action_timeout=2.0, backoff_initial=0.001, backoff_max=0.005
    )
    return AMIClient(server, dataclasses.replace(base, **options))


async def test_given_a_stuck_consumer_and_no_pong_then_the_client_still_reconnects() -> None:
    rec = Recording.load("s5-originate-bridge-events")
    async with FakeAsterisk(rec, ignore_pings=1) as fake:
        # The reader waits for the stuck consumer far longer than the ping's deadline: the
        # failed ping must end the connection all the same (before, it only closed the
        # socket, which a reader that does not read never noticed).
        client = recorded_client(fake, ping_interval=0.05, ping_timeout=0.05, stall_timeout=60.0)
        stuck = client.subscribe(maxsize=2, policy=OverflowPolicy.BLOCK)
        try:
            with capture_logs() as logs:
                await client.connect(5)
                async with asyncio.timeout(5):
                    while client.connects < 2:  # noqa: ASYNC110  (polls the count)
                        await asyncio.sleep(0.01)
        finally:
            await client.close()
        assert fake.connections >= 2
        assert any(e["event"] == "ami.ping_failed" for e in logs)
        assert len(stuck) >= 2


async def test_given_a_stuck_consumer_then_the_others_get_every_event_in_order() -> None:
    rec = Recording.load("s5-originate-bridge-events")
    recorded = [r.decode().removesuffix("\r\n\r\n") for r in rec.events()]
    async with FakeAsterisk(rec) as fake:
        client = recorded_client(fake, stall_timeout=0.05, read_size=512)
        stuck = client.subscribe(maxsize=4, policy=OverflowPolicy.BLOCK, name="stuck")
        every = client.subscribe(maxsize=10_000, policy=OverflowPolicy.BLOCK)
        try:
            with capture_logs() as logs:
                await client.connect(5)
                got: list[str] = []
                async with asyncio.timeout(5):
                    while len(got) < len(recorded):
                        if isinstance(item := await every.get(), Event):
                            got.append(item.text)
        finally:
            await client.close()
    assert got == recorded
    assert client.events_dropped == stuck.dropped > 0
    assert [e["consumer"] for e in logs if e["event"] == "ami.consumer_stalled"] == ["stuck"]


def test_given_a_stalled_subscription_when_it_is_read_again_then_the_gap_is_told_first() -> None:
    sub = EventSubscription(None, 4, OverflowPolicy.BLOCK)
    events = [
        Event(f"Event: Hangup\r\nUniqueid: {n}", {"Uniqueid": str(n)}, "Hangup") for n in range(10)
    ]
    sub.deliver(events[:4])
    assert sub.full
    sub.stalled = True  # what the client does once `stall_timeout` passed
    sub.deliver(events[4:8])
    assert (sub.full, sub.dropped, len(sub)) == (False, 4, 4)
    taken = [sub._items.popleft() for _ in range(4)]
    sub._taken()
    assert not sub.stalled  # caught up: it blocks again
    sub.deliver(events[8:])
    assert [*taken, *sub._items] == [*events[:4], EventsLost(4), *events[8:]]


async def test_given_parts_that_fail_to_stop_then_ami_is_closed_and_every_write_flushed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fails(self: object) -> None:
        raise RuntimeError(f"{type(self).__name__} cannot stop")

    agi_port = await free_port()
    async with PbxSimulator(agi_port=agi_port, secret=SECRET) as sim:
        settings = e2e_settings(tmp_path, ACD, agi_port, sim.ami_port)
        # The writer waits 1 s for company: the write is still pending when stop() begins.
        database = settings.database.model_copy(update={"batch_interval_s": 1.0})
        grace = settings.service.model_copy(update={"shutdown_grace_s": 3.0})
        settings = settings.model_copy(update={"database": database, "service": grace})
        service = await start_service(settings)
        monkeypatch.setattr(Telephony, "close", fails)
        monkeypatch.setattr(CallbackAttempts, "close", fails)
        at = datetime.now(UTC)
        service.writer.submit(
            SaveInteraction(InteractionData("last-words.1", at, outcome="abandoned"))
        )
        with capture_logs() as logs:
            await service.stop()
        failed = {e["step"]: e["error"] for e in logs if e["event"] == "service.stop_step_failed"}
        assert failed == {
            "telephony": "RuntimeError: Telephony cannot stop",
            "callback_attempts": "RuntimeError: CallbackAttempts cannot stop",
        }
        assert service.ami[0].state == "closed"
        assert service.supervisor.states() == []
        assert service.writer.pending == 0
        engine = make_engine(settings.database.url)
        try:
            record = await InteractionRepository(make_sessions(engine)).record("last-words.1")
        finally:
            await engine.dispose()
        assert record is not None
        assert record.outcome == "abandoned"
