"""FastAGI fail-over on a real Asterisk 22: the dialplan's second backend node (issue 18).

config/asterisk/extensions.conf sends every FastAGI call to BACKEND1, then BACKEND2
([fastagi]); a queued caller whose node goes away is held in their place by the next one.
"""

from __future__ import annotations

import time
from pathlib import Path

from structlog.testing import capture_logs

from acd import AcdSettings, AgentSettings, QueueSettings
from tests.e2e.harness import STANDARD
from tests.real_asterisk.harness import center
from tests.real_asterisk.sipp import Answer, Press, Wait

SKILLS = {"lang-de": 3, "lang-en": 3}


def one_agent() -> AcdSettings:
    queue = QueueSettings(name="general", ring_timeout_seconds=10, wrap_up_seconds=1)
    agent = AgentSettings(id="agent1", queues=("general",), skills=SKILLS)
    return AcdSettings(queues=(queue,), agents=(agent,))


def operator(*then: Wait | Press) -> list[Wait | Press]:
    """Press 0 (the operator) until the menu takes it, then `then`."""
    return [Wait(1), Press("0"), Wait(2), Press("0"), Wait(2), Press("0"), *then]


async def test_given_the_first_backend_node_down_when_a_customer_calls_then_the_second_answers(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    phones = {"agent1": Answer(0.5, 1.5)}
    async with center(
        tmp_path, one_agent(), sounds=sounds, phones=phones, first_backend_down=True
    ) as pbx:
        caller = await pbx.call(STANDARD[0], operator(Wait(40)))
        await pbx.phones["agent1"].wait_for("answer", timeout=40)
        await pbx.phones["agent1"].wait_for("hangup", timeout=10)
        await pbx.until(pbx.acd_idle, timeout=10)
        [row] = await pbx.interactions()
        assert (row.outcome, row.agent) == ("answered", "agent1")
        # The first node was tried and refused: Asterisk went on to the second.
        first = f"127.0.0.1:{pbx.asterisk.agi_port}"
        assert "Connection refused" in pbx.asterisk.console()
        assert first in pbx.asterisk.console()
        await caller.stop()


async def test_given_a_queued_caller_when_their_node_dies_then_the_second_node_connects_them(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    phones = {"agent1": Answer(0.5, 1.5)}
    async with center(
        tmp_path, one_agent(), sounds=sounds, phones=phones, ready=(), agi_cutter=True
    ) as pbx:
        caller = await pbx.call(STANDARD[0], operator(Wait(60)))
        [call_id] = await pbx.until(lambda: list(pbx.acd._floor.calls), timeout=30)

        def holding() -> bool:
            held = pbx.service.telephony.calls.get(call_id)
            return held is not None and held.holding

        await pbx.until(holding, timeout=10)
        assert pbx.standby_port is not None
        second = f"agi://127.0.0.1:{pbx.standby_port}/ivr"
        died = time.monotonic()
        await pbx.kill_service()
        # No node at all for a while: the dialplan tried both and waits to try again.
        await pbx.until(lambda: second in pbx.asterisk.console(), timeout=10)
        with capture_logs() as logs:
            await pbx.start_standby()
            await pbx.until(holding, timeout=30)
        waited = time.monotonic() - died
        print(f"fail-over: the caller was held by the second node {waited:.1f} s after the cut")
        assert any(e["event"] == "pbx.call_rejoined" for e in logs), logs
        # The new node rebuilt the line from the event log: the caller kept their place.
        assert list(pbx.acd._floor.calls) == [call_id]
        await pbx.log_in("agent1")
        [answer] = await pbx.phones["agent1"].wait_for("answer", timeout=30)
        await pbx.phones["agent1"].wait_for("hangup", timeout=10)
        await pbx.until(pbx.acd_idle, timeout=10)
        # Never hung up on: Asterisk's only BYE to the caller (if any) ends the survey.
        assert all(bye.at > answer.at for bye in caller.did("remote_bye"))
        assert not caller.did("hangup")
        [row] = await pbx.interactions()
        assert (row.uniqueid, row.outcome, row.agent) == (call_id, "answered", "agent1")
        kinds = [event.kind for event in await pbx.events(call_id)]
        assert kinds.count("enqueue") == 1, kinds
        assert "abandon" not in kinds, kinds
        await caller.stop()


async def test_given_no_backend_node_when_a_customer_calls_then_music_and_bounded_retries(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    async with center(tmp_path, one_agent(), sounds=sounds, agi_cutter=True) as pbx:
        await pbx.kill_service()  # the only node is gone, the second never came
        caller = await pbx.call(STANDARD[0], [Wait(60)])
        # Between rounds the caller hears music, not silence.
        await pbx.channel_running("MusicOnHold", timeout=10)
        # Every round tried both nodes (BACKEND_ROUNDS = 8), then the dialplan gave up.
        await caller.wait_for("remote_bye", timeout=40)
        console = pbx.asterisk.console()
        for port in (pbx.asterisk.agi_port, pbx.asterisk.agi_port2):
            url = f"agi://127.0.0.1:{port}/ivr"
            assert console.count(f"failed for url '{url}': Connection refused") == 8, url
        assert not caller.did("hangup")
