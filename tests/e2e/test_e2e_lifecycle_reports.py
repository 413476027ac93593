"""The callbacks, voicemail and tickets reports live and after a restart (issue 17), on the
simulator: a day with a message left, routed, called back and closed, a callback that
reaches the customer and one called off, a complaint worked through steps. The supervisor
reads today's reports while the service runs; the service restarts; the reports of that
day read again are the same, figure for figure: both come from the event log alone.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from acd import AcdSettings, AgentSettings, AgentState, CallKind, CallState, QueueSettings
from callcenter.sim import AgentPhone, Callee, CallerScript, PbxSimulator, Press, SimOptions
from tests.e2e.harness import (
    E2E,
    KNOWN,
    SECRET,
    Api,
    e2e_settings,
    free_port,
    seed_customers,
    start_service,
)

ACD = AcdSettings(
    queues=(
        QueueSettings(
            name="general",
            max_wait_seconds=1,
            overflow="voicemail",
            wrap_up_seconds=0.3,
            ring_timeout_seconds=10,
        ),
    ),
    agents=(AgentSettings(id="agent1", queues=("general",), skills={"lang-de": 3}),),
)


async def reports(e2e: E2E, day: str) -> dict[str, Any]:
    """The supervisor's callbacks, voicemail and tickets reports of `day`."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        supervisor = Api(e2e, http, await e2e.web_login(http, "sup1"))
        period = f"since={day}&until={day}"
        return {
            "callbacks": await supervisor("GET", f"/api/reports/callbacks?{period}"),
            "voicemail": await supervisor("GET", f"/api/reports/voicemail?{period}"),
            "tickets": await supervisor(
                "GET", f"/api/reports/tickets?since_day={day}&until_day={day}"
            ),
        }


async def attempted(e2e: E2E, callback_id: int) -> None:
    repo = e2e.service.backend.context.callbacks
    async with asyncio.timeout(15):
        while (found := await repo.get(callback_id)) is None or found.attempts < 1:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def a_day(e2e: E2E) -> None:
    """A message left, routed, called back and closed; a callback called off; a complaint."""
    e2e.sim.add_callee(Callee(KNOWN, answer_after_s=0.2, talk_s=0.5))
    call = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Press("0"), Press("#", 1.0))))
    assert (await call.done).prompts[-1] == "vm-msgsaved"
    entry = f"vm-{call.uniqueid}"
    await e2e.until(lambda: e2e.acd.call_view(entry, e2e.now))
    await e2e.go_ready("agent1")
    await e2e.until(
        lambda: (v := e2e.acd.call_view(entry, e2e.now)) and v.state is CallState.OFFERED
    )
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        agent = Api(e2e, http, await e2e.web_login(http, "agent1"))
        taken = await agent("POST", f"/api/voicemail-work/{entry}/accept")
        await e2e.until(lambda: e2e.state("agent1") is AgentState.ON_CALL)
        called = await agent("POST", f"/api/voicemails/{taken['id']}/callback")
        await agent(
            "POST", f"/api/voicemails/{taken['id']}/close", {"disposition": "callback-promised"}
        )
        await attempted(e2e, called["callback_id"])

        # Another customer asked to be called back later, then called it off.
        now = datetime.now(UTC)
        later = await e2e.service.backend.context.callbacks.request(
            number="+4930901820",
            window_start=now + timedelta(hours=1),
            window_end=now + timedelta(hours=3),
            now=now,
            queue="general",
            channel="web",
        )
        await agent("POST", f"/api/callbacks/{later.id}/cancel", {"reason": "no longer needed"})

        # A complaint made on the callback, acknowledged and investigated.
        opened = await agent(
            "POST",
            "/api/tickets",
            {
                "customer_id": taken["customer_id"],
                "category": "complaint",
                "subject": "card blocked",
                "interaction_uniqueid": f"cb-{called['callback_id']}-1",  # the agent's call
            },
            201,
        )
        for step in ("acknowledged", "investigated"):
            await agent("POST", f"/api/worklist/{opened['id']}/step", {"step": step})
    view = e2e.acd.call_view(entry, e2e.now)
    assert view is None or view.kind is CallKind.VOICEMAIL


async def test_given_a_day_of_callbacks_voicemail_and_tickets_when_the_service_restarts_then_the_days_reports_are_the_same(  # noqa: E501
    tmp_path: Path,
) -> None:
    (tmp_path / "voicemail").mkdir()
    agi_port = await free_port()
    spool = frozenset({str(tmp_path / "voicemail")})
    options = SimOptions(prompt_s=0.05, agi_close_timeout_s=5.0, spool_dirs=spool)
    sim = PbxSimulator(agi_port=agi_port, secret=SECRET, options=options)
    await sim.start()
    sim.add_phone(AgentPhone("agent1", answer_after_s=0.2))
    settings = e2e_settings(tmp_path, ACD, agi_port, sim.ami_port)
    day = datetime.now(ZoneInfo(settings.ivr.timezone)).date().isoformat()
    try:
        first = await start_service(settings)
        e2e = E2E(sim, first, settings)
        try:
            await seed_customers(first)
            await e2e.add_user("agent1", "agent")
            await e2e.add_user("sup1", "supervisor")
            await e2e.log_in("agent1")  # staffed, not ready: the caller's wait runs out
            await a_day(e2e)
            await e2e.flush()
            live = await reports(e2e, day)
        finally:
            await first.stop()

        second = await start_service(settings)
        try:
            after = await reports(E2E(sim, second, settings), day)
        finally:
            await second.stop()
    finally:
        await sim.close()

    assert after == live
    [callbacks] = live["callbacks"]["rows"]
    assert (callbacks["queue"], callbacks["requests"], callbacks["by_channel"]) == (
        "general",
        2,
        {"voicemail": 1, "web": 1},
    )
    assert (callbacks["attempts"], callbacks["reached"], callbacks["cancelled"]) == (1, 1, 1)
    assert callbacks["success_rate"] == 1.0
    [voicemail] = live["voicemail"]["rows"]
    assert (voicemail["left"], voicemail["closed"], voicemail["called_back"]) == (1, 1, 1)
    assert voicemail["time_to_handle_s"] > 0
    tickets = live["tickets"]
    assert tickets["opened"] == 1
    assert tickets["steps"][:2] == [
        {"step": "acknowledged", "due": 1, "kept": 1},
        {"step": "investigated", "due": 1, "kept": 1},
    ]
