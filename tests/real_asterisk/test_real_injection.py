"""A caller ID that tries to inject dialplan, on the real Asterisk 22 (issue 14, item 2).

A queue that overflows to a callback would call the caller back at the number their caller
ID gave, and the shipped dialplan dials `PJSIP/${EXTEN}@trunk`: a `,` in the number would
add Dial options (`U()` runs a gosub on the answered channel). Here the caller ID comes
through the real trunk as a SIP From user `123,U(evil)`, which Asterisk hands to the service
as the caller's number: the service must store no callback and nothing may reach the trunk.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from acd import (
    AcdSettings,
    AgentLoggedIn,
    AgentReady,
    AgentSettings,
    AgentState,
    QueueSettings,
)
from tests.real_asterisk.harness import center
from tests.real_asterisk.prompts import seconds
from tests.real_asterisk.sipp import Press, Wait

SKILLS = {"lang-de": 3, "lang-en": 3}
HOSTILE = "123,U(evil)"


def overflowing() -> AcdSettings:
    """General overflows to a callback after a second; its only agent is not ready."""
    general = QueueSettings(
        name="general",
        ring_timeout_seconds=5,
        wrap_up_seconds=1,
        max_wait_seconds=1,
        overflow="callback",
        default_handle_seconds=60,  # a short estimated wait: the IVR offers no callback itself
    )
    agent = AgentSettings(id="agent1", queues=("general",), skills=SKILLS)
    return AcdSettings(queues=(general,), agents=(agent,))


async def test_given_a_caller_id_with_dial_options_when_the_queue_overflows_then_nothing_is_dialled(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    async with center(tmp_path, overflowing(), sounds=sounds, ready=()) as pbx:
        assert pbx.trunk is not None
        host = pbx.service.backend.center.host
        await host.request(lambda now: AgentLoggedIn(now, "agent1", ready=False))
        # An unknown caller: English after the welcome, no account (the question times
        # out twice), then 0 for the operator once the main menu plays.
        language = seconds(sounds[0], "en", "custom/welcome", "custom/choose-language") + 0.5
        account = 2 * (seconds(sounds[0], "en", "custom/enter-account") + 6) + 3
        operator = [step for _ in range(4) for step in (Press("0"), Wait(2))]
        caller = await pbx.call(
            HOSTILE, [Wait(language), Press("1"), Wait(account), *operator, Wait(40)]
        )
        # Asterisk sends the caller away (thanked, no callback promised) before they hang up.
        assert await caller.finished(120) == 0
        assert caller.did("remote_bye"), "the service let the caller go"
        callbacks = pbx.service.backend.context.callbacks
        assert await callbacks.list(status=None) == []
        # The agent goes ready: nothing is offered, no phone rings, the trunk hears nothing.
        await host.request(lambda now: AgentReady(now, "agent1"))
        await pbx.until(pbx.acd_idle, timeout=10)
        await asyncio.sleep(3)  # time for an Originate that should not happen
        assert not pbx.trunk.did("invite")
        assert not pbx.phones["agent1"].did("invite")
        assert pbx.acd.agent_view("agent1", host.now()).state is AgentState.READY
        [row] = await pbx.interactions()
        assert row.caller_number == HOSTILE
        assert not await pbx.active_channels()
