"""Every contact is on record: IVR-only calls, self-service, voicemail and an answered call
all show in the customer's history and in the call detail records, end to end.

One known caller (Jonas Richter) calls four times through the shipped flows: hangs up in
the menu, checks an order's status, leaves a message after hours, and talks to an agent.
A supervisor then reads the customer's history and downloads the day's records as CSV.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from acd import AcdSettings, AgentSettings, AgentState, QueueSettings
from callcenter.sim import AgentPhone, CallerScript, Press, Silence
from tests.e2e.harness import KNOWN, running

SKILLS = {"lang-de": 3, "lang-en": 3}
GENERAL = QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=0.5)
ORDER_STATUS = (Press("1"), Press("100100#"), Press("9"))
"""At the menu: the order status, an order number, then a key the order menu does not take
(no retries: the IVR says goodbye and hangs up)."""
LEAVE_MESSAGE = (Silence(), Silence(), Press("1"), Press("#", after_s=1.0))
"""After hours (199): both closing prompts play, 1 leaves a message, # ends it."""


async def test_given_four_calls_of_a_customer_when_staff_read_the_records_then_each_is_there(
    tmp_path: Path,
) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("order,status,date\n100100,delivered,2026-11-12\n", encoding="utf-8")
    acd = AcdSettings(
        queues=(GENERAL,),
        agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
    )
    phone = AgentPhone("agent1", answer_after_s=0.3, talk_s=0.5)
    async with (
        running(tmp_path, acd, [phone], ivr={"orders_file": orders}) as e2e,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        started = datetime.now(UTC) - timedelta(minutes=1)
        hung_up = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Silence(),)))
        await e2e.until(lambda: "custom/main-menu" in hung_up.record.prompts)
        assert e2e.sim.hangup(hung_up.channel)
        await hung_up.done
        self_service = await e2e.sim.place_call(CallerScript(KNOWN, steps=ORDER_STATUS))
        await self_service.done
        answered = await e2e.sim.place_call(
            CallerScript(KNOWN, steps=(Press("0"),), survey_answers=("5", "5", "4", "5"))
        )
        assert (await answered.done).bridged_to is not None
        await e2e.until(lambda: e2e.state("agent1") is AgentState.READY)
        # Last: the message left becomes work the ACD offers to the agent.
        voicemail = await e2e.sim.place_call(
            CallerScript(KNOWN, dialled="199", steps=LEAVE_MESSAGE)
        )
        assert "vm-msgsaved" in (await voicemail.done).prompts
        await e2e.flush()

        customer = await e2e.service.backend.context.customers.find_by_phone(KNOWN)
        assert customer is not None
        await e2e.add_user("sup1", "supervisor")
        await e2e.web_login(http, "sup1")
        async with http.get(f"{e2e.web_url}/api/customers/{customer.id}/history") as response:
            assert response.status == 200, await response.text()
            history = await response.json()
        period = {
            "since": started.isoformat(),
            "until": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
            "format": "csv",
        }
        async with http.get(f"{e2e.web_url}/api/cdr", params=period) as response:
            assert response.status == 200, await response.text()
            rows = list(csv.DictReader(io.StringIO(await response.text())))

    calls = [hung_up.uniqueid, self_service.uniqueid, answered.uniqueid, voicemail.uniqueid]
    endings = ["abandoned_in_ivr", "self_service", "answered", "voicemail"]
    # The history: newest first, every call whatever its ending.
    assert [(c["kind"], c["call_id"], c["outcome"]) for c in reversed(history)] == [
        ("call", call, ending) for call, ending in zip(calls, endings, strict=True)
    ]
    assert history[0]["details"]["voicemail_file"].endswith(f"{voicemail.uniqueid}.wav")
    assert history[1]["agent"] == "agent1"
    # The records: one row per call, in the order they came, in the center's time zone.
    assert [(r["record_type"], r["call_id"], r["outcome"]) for r in rows] == [
        ("call", call, ending) for call, ending in zip(calls, endings, strict=True)
    ]
    assert all(r["customer_name"] == "Jonas Richter" for r in rows)
    assert all(r["arrived_at"][-6:] in ("+01:00", "+02:00") for r in rows)  # Berlin
    menu, order, talk, message = rows
    assert menu["ivr_path"].endswith("main_menu")
    assert (menu["queue"], menu["agent"]) == ("", "")
    assert "order.status=delivered" in order["ivr_answers"].split("; ")
    assert (message["dialled_number"], message["queue"]) == ("199", "general")
    assert message["voicemail_file"].endswith(f"general-{voicemail.uniqueid}.wav")
    assert message["voicemail_seconds"] == "1"
    assert (talk["queue"], talk["agent"], talk["disposition"]) == ("general", "agent1", "")
    assert all(talk[field] for field in ("answered_at", "ended_at", "talk_seconds"))
    assert talk["wrap_up_seconds"] != ""  # from the event log's handled record
    assert talk["survey_scores"] == "satisfaction=5; resolved=4; recommend=5"


async def test_given_callbacks_asked_for_in_the_ivr_and_in_a_queue_then_each_call_names_its_request(
    tmp_path: Path,
) -> None:
    billing = QueueSettings(
        name="billing",
        ring_timeout_seconds=5,
        max_wait_seconds=1,
        overflow="callback",
        default_handle_seconds=60,  # a short estimated wait: the IVR queues, offers no callback
    )
    acd = AcdSettings(
        queues=(GENERAL, billing),
        agents=(AgentSettings(id="agent1", queues=("billing",), skills={**SKILLS, "billing": 1}),),
    )
    async with (
        running(tmp_path, acd, [AgentPhone("agent1")], ready=()) as e2e,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        await e2e.log_in("agent1")  # staffed, nobody free: the wait in billing runs out
        # After hours: both closing prompts, 2 asks for a callback, 1 to this number.
        steps = (Silence(), Silence(), Press("2"), Press("1"))
        in_ivr = await e2e.sim.place_call(CallerScript(KNOWN, dialled="199", steps=steps))
        assert "custom/callback-next-day" in (await in_ivr.done).prompts
        in_queue = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Press("2"),)))
        assert "custom/callback-confirmed" in (await in_queue.done).prompts
        await e2e.flush()
        requests = await e2e.service.backend.context.callbacks.list()
        customer = await e2e.service.backend.context.customers.find_by_phone(KNOWN)
        assert customer is not None
        await e2e.add_user("sup1", "supervisor")
        await e2e.web_login(http, "sup1")
        async with http.get(f"{e2e.web_url}/api/customers/{customer.id}/history") as response:
            history = await response.json()

    first, second = sorted(requests, key=lambda r: r.id)
    # Both requests are the customer's, not only their number's.
    assert {r.customer_id for r in requests} == {customer.id}
    calls = {c["call_id"]: c for c in history if c["kind"] == "call"}
    assert (calls[in_ivr.uniqueid]["outcome"], calls[in_ivr.uniqueid]["callback_id"]) == (
        "callback",
        first.id,
    )
    assert (calls[in_queue.uniqueid]["outcome"], calls[in_queue.uniqueid]["callback_id"]) == (
        "callback",
        second.id,
    )
    assert sorted(c["callback_id"] for c in history if c["kind"] == "callback") == [
        first.id,
        second.id,
    ]
