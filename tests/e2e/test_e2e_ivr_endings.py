"""Calls that end in the IVR are contacts too: each leaves an interaction saying how it ended.

Self-service, a hang-up in a menu, an after-hours callback request (and a voicemail that
could not be recorded: test_e2e_ivr_exits.py) never reach a queue, so the ACD records
nothing for them; the IVR's row is what the reports' search and the next call's pop show.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp

from acd import AcdSettings, AgentSettings, AgentState, QueueSettings
from callcenter.db.interactions import InteractionRecord
from callcenter.reports import Bucket
from callcenter.sim import AgentPhone, CallerScript, Press, Silence
from tests.e2e.harness import E2E, KNOWN, running

SKILLS = {"lang-de": 3, "lang-en": 3}
BERLIN = ZoneInfo("Europe/Berlin")
GENERAL = QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=0.5)
ORDER_STATUS = (Press("1"), Press("100100#"), Press("9"))
"""A known caller at the menu: the order status, an order number, then a key the order
menu does not take (no retries: the IVR says goodbye and hangs up)."""


def orders(tmp_path: Path) -> dict[str, object]:
    """The order book with one delivered order, as the IVR's self-service reads it."""
    path = tmp_path / "orders.csv"
    path.write_text("order,status,date\n100100,delivered,2026-11-12\n", encoding="utf-8")
    return {"orders_file": path}


async def interaction_of(e2e: E2E, uniqueid: str) -> InteractionRecord:
    await e2e.flush()
    record = await e2e.service.backend.context.interactions.record(uniqueid)
    assert record is not None, f"no interaction for {uniqueid}"
    return record


async def test_given_an_order_status_call_when_the_ivr_answers_it_then_it_is_self_service(
    tmp_path: Path,
) -> None:
    acd = AcdSettings(queues=(GENERAL,))
    async with running(tmp_path, acd, [], ivr=orders(tmp_path)) as e2e:
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=ORDER_STATUS))
        record = await call.done
        assert "digits:100100" in record.prompts
        assert record.hung_up_by == "agi"
        interaction = await interaction_of(e2e, call.uniqueid)
        assert interaction.outcome == "self_service"
        assert interaction.queue is None
        assert interaction.customer_name == "Jonas Richter"
        assert interaction.ivr_data["order.status"] == "delivered"
        assert interaction.ended_at >= interaction.arrived_at
        await e2e.flush()
        assert await e2e.events(call.uniqueid) == []  # nothing for the ACD's reports


async def test_given_a_caller_in_the_menu_when_they_hang_up_then_it_is_abandoned_in_the_ivr(
    tmp_path: Path,
) -> None:
    acd = AcdSettings(queues=(GENERAL,))
    async with running(tmp_path, acd, []) as e2e:
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Silence(),)))
        await e2e.until(lambda: "custom/main-menu" in call.record.prompts)
        assert e2e.sim.hangup(call.channel)
        record = await call.done
        assert record.hung_up_by == "caller"
        interaction = await interaction_of(e2e, call.uniqueid)
        assert interaction.outcome == "abandoned_in_ivr"
        assert interaction.ivr_path[-1] == "main_menu"
        assert interaction.customer_name == "Jonas Richter"
        # Not an abandon of a queue: the ACD saw no call.
        assert await e2e.events(call.uniqueid) == []
        assert e2e.acd.queue_stats("general", e2e.now).abandoned == 0


async def test_given_after_hours_when_the_caller_asks_for_a_callback_then_it_is_recorded(
    tmp_path: Path,
) -> None:
    acd = AcdSettings(queues=(GENERAL,))
    async with running(tmp_path, acd, []) as e2e:
        # Both closing prompts play out; 2 asks for a callback, 1 to this number.
        steps = (Silence(), Silence(), Press("2"), Press("1"))
        call = await e2e.sim.place_call(CallerScript(KNOWN, dialled="199", steps=steps))
        record = await call.done
        assert "custom/callback-next-day" in record.prompts
        interaction = await interaction_of(e2e, call.uniqueid)
        assert (interaction.outcome, interaction.queue) == ("callback", "general")
        assert interaction.dialled_number == "199"
        (request,) = await e2e.service.backend.context.callbacks.list()
        assert (request.number, request.queue) == (KNOWN, "general")


async def test_given_calls_ended_in_the_ivr_when_the_caller_gets_an_agent_then_the_pop_lists_them(
    tmp_path: Path,
) -> None:
    acd = AcdSettings(
        queues=(GENERAL,),
        agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
    )
    phone = AgentPhone("agent1", answer_after_s=0.2)
    async with (
        running(tmp_path, acd, [phone], ivr=orders(tmp_path)) as e2e,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        served = await e2e.sim.place_call(CallerScript(KNOWN, steps=ORDER_STATUS))
        await served.done
        left = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Silence(),)))
        await e2e.until(lambda: "custom/main-menu" in left.record.prompts)
        assert e2e.sim.hangup(left.channel)
        await left.done
        await e2e.flush()

        await e2e.add_user("agent1", "agent")
        await e2e.web_login(http, "agent1")
        ws = await http.ws_connect(f"{e2e.web_url}/ws/agent")
        assert json.loads((await ws.receive()).data)["type"] == "snapshot"
        third = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Press("0"),), talk_s=0.3))
        while (message := json.loads((await ws.receive(timeout=15)).data))["type"] != "pop":
            pass
        history = message["pop"]["history"]
        assert [item["outcome"] for item in history[:2]] == ["abandoned_in_ivr", "self_service"]
        assert [item["uniqueid"] for item in history[:2]] == [left.uniqueid, served.uniqueid]
        await third.done
        await e2e.until(lambda: e2e.state("agent1") in (AgentState.WRAP_UP, AgentState.READY))
        await e2e.flush()

        # The queue report counts the one call that reached the queue, and no abandon.
        now = datetime.now(UTC)
        reports = e2e.service.backend.context.reports
        report = await reports.queue_report(
            now - timedelta(hours=1), now + timedelta(minutes=1), Bucket.DAY, BERLIN
        )
        (general,) = report.totals
        assert (general.queue, general.offered, general.answered, general.abandoned) == (
            "general",
            1,
            1,
            0,
        )
