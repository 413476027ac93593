"""Holding: music in segments, the position (and a known estimated wait) announced between."""

from __future__ import annotations

from pathlib import Path

from acd import AcdSettings, AgentSettings, AnnouncementPolicy, QueueSettings
from callcenter.sim import CallerScript, Press
from tests.e2e.harness import KNOWN, running

SKILLS = {"lang-de": 3, "lang-en": 3}


async def test_given_a_caller_on_hold_when_time_passes_then_the_position_is_announced(
    tmp_path: Path,
) -> None:
    queue = QueueSettings(
        name="general",
        default_handle_seconds=240,
        announcements=AnnouncementPolicy(first_after_seconds=1, every_seconds=2.5),
    )
    acd = AcdSettings(
        queues=(queue,), agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),)
    )
    # The only agent is logged in but not ready: the caller waits, hearing the music.
    async with running(tmp_path, acd, [], ready=()) as e2e:
        from acd import AgentLoggedIn  # noqa: PLC0415

        await e2e.service.backend.center.host.request(lambda now: AgentLoggedIn(now, "agent1"))
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Press("0"),), patience_s=7))
        record = await e2e.until(lambda: call.done.done() and call.done.result(), timeout=20)
    holds = [c for c in record.commands if c.startswith("EXEC MusicOnHold")]
    assert holds
    assert holds[0] == "EXEC MusicOnHold default,2"  # in segments of hold_segment_s (s5)
    heard = record.prompts
    assert heard.count("queue-thereare") >= 2  # announced, and announced again
    assert "queue-callswaiting" in heard
    # Nobody is ready to take calls, so no wait can be estimated, and none is promised.
    assert "queue-holdtime" not in heard
    assert record.abandoned
