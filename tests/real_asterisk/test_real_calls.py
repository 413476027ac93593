"""One call per path on a real Asterisk 22: SIPp callers and phones, the real service."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
from structlog.testing import capture_logs

from acd import AcdSettings, AgentSettings, AgentState, QueueSettings
from tests.e2e.harness import KNOWN, STANDARD
from tests.real_asterisk.harness import center
from tests.real_asterisk.sipp import Answer, Busy, Press, Ring, Step, Wait

GENERAL = QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=1)
SKILLS = {"lang-de": 3, "lang-en": 3}


def one_agent() -> AcdSettings:
    return AcdSettings(
        queues=(GENERAL,),
        agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
    )


async def test_given_a_known_caller_when_the_agent_answers_then_the_pop_rings_with_the_phone(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    async with (
        center(tmp_path, one_agent(), sounds=sounds, phones={"agent1": Answer(1.0, 2.0)}) as pbx,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        await pbx.add_user("agent1", "agent")
        await pbx.web_login(http, "agent1")
        ws = await http.ws_connect(f"{pbx.web_url}/ws/agent")
        assert json.loads((await ws.receive()).data)["type"] == "snapshot"
        # "0" at the menu (the operator queue), then a 5 every second: ignored on hold and
        # while talking, they rate the call once the agent has hung up (the survey).
        steps = [Wait(1), Press("0"), *[s for _ in range(25) for s in (Wait(1), Press("5"))]]
        caller = await pbx.call(KNOWN, steps)
        while (message := json.loads((await ws.receive(timeout=30)).data))["type"] != "offer":
            pass
        assert message["pop"]["customer"]["name"] == "Jonas Richter"
        phone = pbx.phones["agent1"]
        await phone.wait_for("answer")
        await phone.wait_for("hangup")
        await pbx.until(lambda: pbx.state("agent1") in (AgentState.WRAP_UP, AgentState.READY))
        assert await caller.finished(60) == 0
        assert caller.did("remote_bye"), "Asterisk, not the caller, ends the call after the survey"
        row = await pbx.interaction(message["call_id"])
        assert (row.outcome, row.agent, row.customer_name) == (
            "answered",
            "agent1",
            "Jonas Richter",
        )
        assert row.answered_at is not None
        assert row.ended_at is not None
        assert row.survey_scores == {"satisfaction": 5, "resolved": 5, "recommend": 5}
        kinds = [event.kind for event in await pbx.events(message["call_id"])]
        assert kinds[:1] == ["enqueue"]
        assert {"offer", "connect", "complete"} <= set(kinds)


def agents(*ids: str, ring_timeout: int = 4) -> AcdSettings:
    """`ids` in one queue `general` with a short ring timeout and wrap-up."""
    queue = QueueSettings(name="general", ring_timeout_seconds=ring_timeout, wrap_up_seconds=1)
    return AcdSettings(
        queues=(queue,),
        agents=tuple(AgentSettings(id=a, queues=("general",), skills=SKILLS) for a in ids),
    )


def operator(*then: Step) -> list[Step]:
    """A caller who presses 0 (the operator) until the menu takes it, then does `then`.

    The menu prompt is interruptible; a 0 pressed during the greeting is not heard, one
    pressed after the menu took it is ignored on hold.
    """
    return [Wait(1), Press("0"), Wait(2), Press("0"), Wait(2), Press("0"), *then]


async def test_given_no_free_agent_when_the_caller_hangs_up_waiting_then_an_abandon_is_recorded(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    async with center(tmp_path, agents("agent1"), sounds=sounds, ready=()) as pbx:
        caller = await pbx.call(STANDARD[0], operator(Wait(4)))
        assert await caller.finished(60) == 0
        assert caller.did("hangup"), "the caller hung up while waiting"
        await pbx.until(pbx.acd_idle, timeout=10)
        [row] = await pbx.interactions()
        assert row.outcome == "abandoned"
        assert row.agent is None
        assert row.ended_at is not None
        kinds = [event.kind for event in await pbx.events(row.uniqueid)]
        assert kinds == ["enqueue", "abandon"]
        assert not await pbx.active_channels()


async def test_given_a_phone_that_only_rings_when_offered_then_the_next_agent_answers(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    phones = {"agent1": Ring(), "agent2": Answer(0.5, 1.0)}
    async with center(
        tmp_path,
        agents("agent1", "agent2", ring_timeout=3),
        sounds=sounds,
        phones=phones,
        ready=("agent1",),
    ) as pbx:
        caller = await pbx.call(STANDARD[0], operator(*survey_presses()))
        await pbx.phones["agent1"].wait_for("invite")
        await pbx.log_in("agent2")
        await pbx.phones["agent1"].wait_for("cancel", timeout=10)
        await pbx.phones["agent2"].wait_for("answer", timeout=15)
        assert await caller.finished(90) == 0
        [row] = await pbx.interactions()
        assert (row.outcome, row.agent) == ("answered", "agent2")
        kinds = [event.kind for event in await pbx.events(row.uniqueid)]
        assert "ring-no-answer" in kinds
        assert pbx.state("agent1") is AgentState.NOT_READY  # ring-no-answer pauses the agent
        assert pbx.phones["agent2"].did("hangup")


async def test_given_a_busy_phone_when_offered_then_the_call_goes_to_the_next_agent(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    phones = {"agent1": Busy(), "agent2": Answer(0.5, 1.0)}
    async with center(
        tmp_path, agents("agent1", "agent2"), sounds=sounds, phones=phones, ready=("agent1",)
    ) as pbx:
        caller = await pbx.call(STANDARD[0], operator(*survey_presses()))
        await pbx.phones["agent1"].wait_for("busy", timeout=30)
        await pbx.log_in("agent2")
        await pbx.phones["agent2"].wait_for("answer", timeout=15)
        assert await caller.finished(90) == 0
        [row] = await pbx.interactions()
        assert (row.outcome, row.agent) == ("answered", "agent2")
        assert pbx.state("agent1") is not AgentState.READY  # busy: not offered again at once


async def test_given_an_unregistered_phone_when_offered_then_the_call_goes_to_the_next_agent(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    phones = {"agent2": Answer(0.5, 1.0)}  # agent1's phone never registered
    async with center(
        tmp_path, agents("agent1", "agent2"), sounds=sounds, phones=phones, ready=("agent1",)
    ) as pbx:
        caller = await pbx.call(STANDARD[0], operator(*survey_presses()))
        await pbx.until(lambda: pbx.state("agent1") is not AgentState.READY, timeout=30)
        await pbx.log_in("agent2")
        await pbx.phones["agent2"].wait_for("answer", timeout=15)
        assert await caller.finished(90) == 0
        [row] = await pbx.interactions()
        assert (row.outcome, row.agent) == ("answered", "agent2")


async def test_given_a_call_in_talk_when_the_caller_hangs_up_then_the_agent_wraps_up(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    phones = {"agent1": Answer(0.5, None)}  # talks until the caller hangs up
    async with center(tmp_path, agents("agent1"), sounds=sounds, phones=phones) as pbx:
        caller = await pbx.call(STANDARD[0], operator(Wait(12)))
        phone = pbx.phones["agent1"]
        await phone.wait_for("answer", timeout=30)
        assert await caller.finished(60) == 0
        assert caller.did("hangup")
        await phone.wait_for("remote_bye", timeout=5)
        await pbx.until(lambda: pbx.state("agent1") in (AgentState.WRAP_UP, AgentState.READY))
        [row] = await pbx.interactions()
        assert (row.outcome, row.agent) == ("answered", "agent1")
        assert row.survey_scores == {}
        await pbx.until(lambda: pbx.state("agent1") is AgentState.READY, timeout=10)
        assert not await pbx.active_channels()


def survey_presses() -> list[Step]:
    """A 5 every second for a while: ignored on hold and in talk, they rate the survey."""
    return [step for _ in range(25) for step in (Wait(1), Press("5"))]


async def test_given_a_call_in_talk_when_the_ami_link_is_cut_then_the_call_is_recorded_whole(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    phones = {"agent1": Answer(0.5, None)}  # talks until the caller hangs up
    async with center(tmp_path, agents("agent1"), sounds=sounds, phones=phones, cutter=True) as pbx:
        assert pbx.cutter is not None
        caller = await pbx.call(STANDARD[0], operator(Wait(14)))
        phone = pbx.phones["agent1"]
        await phone.wait_for("answer", timeout=30)
        await pbx.until(lambda: pbx.state("agent1") is AgentState.ON_CALL)
        assert pbx.cutter.cut() == 1
        # The caller hangs up while the link is down or being rebuilt; the resync after
        # the reconnect must find the call gone and close it.
        assert await caller.finished(60) == 0
        await pbx.until(lambda: pbx.cutter is not None and pbx.cutter.connections >= 2)
        await pbx.until(pbx.acd_idle, timeout=15)
        [row] = await pbx.interactions()
        assert (row.outcome, row.agent) == ("answered", "agent1")
        assert row.ended_at is not None
        await pbx.until(lambda: pbx.state("agent1") is AgentState.READY, timeout=15)
        kinds = [event.kind for event in await pbx.events(row.uniqueid)]
        assert kinds.count("complete") == 1


async def test_given_a_waiting_caller_when_the_ami_link_is_cut_then_the_call_is_still_offered(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    phones = {"agent1": Answer(0.5, 1.0)}
    async with center(
        tmp_path, agents("agent1"), sounds=sounds, phones=phones, ready=(), cutter=True
    ) as pbx:
        assert pbx.cutter is not None
        caller = await pbx.call(STANDARD[0], operator(*survey_presses()))
        await pbx.until(lambda: pbx.acd._floor.calls, timeout=30)
        assert pbx.cutter.cut() == 1
        await pbx.until(lambda: pbx.cutter is not None and pbx.cutter.connections >= 2)
        await pbx.log_in("agent1")
        await pbx.phones["agent1"].wait_for("answer", timeout=30)
        assert await caller.finished(90) == 0
        [row] = await pbx.interactions()
        assert (row.outcome, row.agent) == ("answered", "agent1")


async def test_given_a_waiting_caller_when_the_fastagi_link_is_cut_then_they_keep_their_place(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    # The caller's holding session (FastAGI) breaks without a hang-up: Asterisk's AGI()
    # returns, the dialplan's fail-over ([fastagi]) opens FastAGI again, and the service
    # recognises the waiting call and holds it in its place: no abandon, no second place
    # in line, the call is offered and bridged from there.
    phones = {"agent1": Answer(0.5, 1.0)}
    async with center(
        tmp_path, agents("agent1"), sounds=sounds, phones=phones, ready=(), agi_cutter=True
    ) as pbx:
        assert pbx.agi_cutter is not None
        caller = await pbx.call(STANDARD[0], operator(*survey_presses()))
        await pbx.until(lambda: pbx.acd._floor.calls, timeout=30)
        await asyncio.sleep(1)  # in the hold loop
        assert pbx.agi_cutter.cut() == 1
        with capture_logs() as logs:
            await pbx.until(lambda: any(e["event"] == "pbx.call_rejoined" for e in logs), 20)
        assert pbx.agi_cutter.connections == 2
        assert not caller.did("remote_bye"), "the caller is still there"
        await pbx.log_in("agent1")
        await pbx.phones["agent1"].wait_for("answer", timeout=30)
        assert await caller.finished(90) == 0
        [row] = await pbx.interactions()
        assert (row.outcome, row.agent) == ("answered", "agent1")
        kinds = [event.kind for event in await pbx.events(row.uniqueid)]
        assert "abandon" not in kinds
        assert kinds.count("connect") == 1
        assert kinds.count("enqueue") == 1


async def test_given_no_hold_music_when_a_caller_waits_then_they_wait_without_a_command_storm(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    no_music = tmp_path / "no-music"
    no_music.mkdir()
    async with center(tmp_path, agents("agent1"), sounds=(sounds[0], no_music), ready=()) as pbx:
        with capture_logs() as logs:
            caller = await pbx.call(STANDARD[0], operator(Wait(8)))
            assert await caller.finished(60) == 0
            await pbx.until(pbx.acd_idle, timeout=10)
        failed = [entry for entry in logs if entry["event"] == "pbx.hold_music_failed"]
        assert len(failed) == 1
        # Greeting, menu and a hold of some 8 s in 2 s segments: dozens of commands, where
        # a loop on the failing MusicOnHold sent thousands.
        assert pbx.service.agi.counters.commands < 60
        [row] = await pbx.interactions()
        assert row.outcome == "abandoned"
