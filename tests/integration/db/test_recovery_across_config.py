"""Recovery across a configuration change, through a real database (issue 16): the config
entry the recorder writes holds the settings as JSON, and a restart that reads the log
back runs with the changed settings and the same live state."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from acd import AgentLoggedIn, OfferCall
from callcenter.db import BatchedWriter, EventLog
from callcenter.live.host import AcdHost
from callcenter.live.recorder import Recorder
from callcenter.live.recovery import recover
from tests.unit.acd.acd_testkit import only
from tests.unit.live.test_recovery import ZONE, picture
from tests.unit.live.test_recovery_config import AFTER, a_morning_with_a_change


async def test_given_a_change_stored_in_the_log_when_restarted_then_the_new_rules_run(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    center = a_morning_with_a_change()
    writer = BatchedWriter(sessions, interval_s=0.01)
    writer.start()
    recorder = Recorder(writer)
    recorder.on_commands(center.log, AgentLoggedIn(center.now, "a1"))
    await writer.close(timeout=10)
    assert recorder.refused == 0
    restarted_at = center.now + 30
    center.advance(restarted_at)
    host = AcdHost(AFTER, clock=lambda: restarted_at)

    replayed = await recover(host, AFTER, EventLog(sessions), ZONE, version=2)

    assert replayed > 0
    assert (host.acd.settings, host.acd.configuration_version) == (AFTER, 2)
    assert picture(host.acd, restarted_at) == picture(center.acd, restarted_at)
    host.start()
    commands = await host.request(lambda now: AgentLoggedIn(now, "a3", ready=True))
    await host.stop()
    assert [(o.call_id, o.agent_id) for o in only(commands, OfferCall)] == [("c2", "a3")]
