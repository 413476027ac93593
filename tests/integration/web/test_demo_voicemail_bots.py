"""The demo's bots handle the voicemails offered to them, so they stay ready for calls."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from pathlib import Path

from acd import AgentLoggedIn, AgentState, VoicemailQueued
from callcenter.db import RecordVoicemail, VoicemailStatus
from callcenter.demo.voicemail_bots import VoicemailBots
from callcenter.live import CallInfo
from tests.web_site import CALLER, Site


async def test_a_bot_offered_a_voicemail_accepts_closes_it_and_is_ready_again(
    site: Site, tmp_path: Path
) -> None:
    center = site.center
    inbox = site.backend.context.voicemails
    assert inbox is not None
    site.writer.submit(
        RecordVoicemail("1732280000.5", "general", CALLER, None, 3.0, datetime.now(UTC))
    )
    await site.flush()
    bots = VoicemailBots(
        center,
        inbox,
        {"agent2"},
        random.Random(1),
        disposition="order",
        accept_s=(0.01, 0.02),
        handle_s=(0.05, 0.1),
    )
    center.host.add_listener(bots)
    await center.host.request(lambda now: AgentLoggedIn(now, "agent2", ready=True))
    entry = "vm-1732280000.5"
    center.calls.add(CallInfo(entry, CALLER, None, center.host.now(), "general"))
    center.host.submit(VoicemailQueued(center.host.now(), entry, "general"))

    async with asyncio.timeout(10):
        while True:
            await center.host.drain()
            (message,) = await inbox.messages()
            view = center.host.acd.agent_view("agent2", center.host.now())
            if message.status is VoicemailStatus.CLOSED and view.call_id is None:
                break
            await asyncio.sleep(0.02)

    assert (message.agent, message.disposition) == ("agent2", "order")
    assert view.state in (AgentState.WRAP_UP, AgentState.READY)
    assert view.calls_today == 1
