"""A burst on a real Asterisk 22: 30 callers at 2 a second for 3 agents.

Every caller is a known customer with a number of their own, so each call's record can
be held to what its SIPp caller did: an answered caller rates the call and is hung up by
Asterisk after the survey (`remote_bye`); the phones' answers add up to the connects in
the event log, the answered rows and the reports.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from acd import AcdSettings, AgentSettings, AgentState, QueueSettings
from callcenter.db import NewCustomer
from callcenter.reports.types import Bucket
from tests.real_asterisk.harness import center
from tests.real_asterisk.sipp import Answer, Press, Wait

CALLERS = 30
RATE = 2.0
AGENTS = ("agent1", "agent2", "agent3")
SKILLS = {"lang-de": 3, "lang-en": 3}


async def test_given_a_burst_of_30_calls_for_3_agents_then_every_record_matches_what_sipp_did(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    queue = QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=1)
    acd = AcdSettings(
        queues=(queue,),
        agents=tuple(AgentSettings(id=a, queues=("general",), skills=SKILLS) for a in AGENTS),
    )
    phones = {agent: Answer(1.0, 2.0) for agent in AGENTS}
    numbers = [f"+4930777{n:05d}" for n in range(CALLERS)]
    started = datetime.now(UTC)
    async with center(tmp_path, acd, sounds=sounds, phones=phones) as pbx:
        await pbx.service.backend.context.customers.add_many(
            [
                NewCustomer(name=f"Burst {n}", account=f"7{n:05d}", language="de", phones=(num,))
                for n, num in enumerate(numbers)
            ]
        )
        # 0 until the menu takes it; then a 5 a second: ignored on hold and in talk, they
        # rate the call in the survey, after which Asterisk hangs up.
        steps = [Wait(2.5), Press("0"), Wait(1.5), Press("0")]
        steps += [s for _ in range(70) for s in (Wait(1), Press("5"))]
        callers = []
        for number in numbers:
            callers.append(await pbx.call(number, steps, timeout_s=200))
            await asyncio.sleep(1 / RATE)
        codes = await asyncio.gather(*(c.finished(200) for c in callers))
        assert codes == [0] * CALLERS
        await pbx.until(pbx.acd_idle, timeout=20)
        await pbx.until(lambda: all(pbx.state(a) is AgentState.READY for a in AGENTS), timeout=20)
        assert not await pbx.active_channels()

        # What SIPp did: every caller was served and hung up by Asterisk after the survey.
        served = {n for n, c in zip(numbers, callers, strict=True) if c.did("remote_bye")}
        assert served == set(numbers)
        answers = {agent: len(pbx.phones[agent].did("answer")) for agent in AGENTS}
        assert sum(answers.values()) == CALLERS

        rows = await pbx.interactions()
        by_number = {row.caller_number: row for row in rows}
        assert set(by_number) == set(numbers)
        for number, row in by_number.items():
            assert row.outcome == "answered", (number, row)
            assert row.survey_scores == {"satisfaction": 5, "resolved": 5, "recommend": 5}
        assert Counter(row.agent for row in rows) == Counter(answers)

        events = await pbx.events()
        kinds = Counter(event.kind for event in events if event.call_id)
        assert kinds["enqueue"] == kinds["connect"] == kinds["complete"] == CALLERS
        assert kinds["abandon"] == 0

        reports = pbx.service.backend.context.reports
        since, until = started - timedelta(minutes=1), datetime.now(UTC) + timedelta(minutes=1)
        tz = ZoneInfo("Europe/Berlin")
        [total] = (await reports.queue_report(since, until, Bucket.DAY, tz)).totals
        assert (total.offered, total.answered, total.abandoned) == (CALLERS, CALLERS, 0)
        agent_totals = (await reports.agent_report(since, until, Bucket.DAY, tz)).totals
        assert {row.agent: row.answered for row in agent_totals} == answers
