"""The automated follow-up call end to end (issue 17), with the simulator: the admin makes
complaints' follow-ups automated on the configuration; a resolved complaint is then called
by the service through the trunk, the IVR asks "are you satisfied?", and the customer's key
confirms the ticket (1) or reopens it (2); a call that misses is tried again by the rule,
and once the calls are used up the follow-up is unreached, on the worklist for an agent.

No timed assertions: the tickets' clock (`TicketRepository.clock`), which the follow-up
calls read too, is moved by the test.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from callcenter.ami import actions as ami
from callcenter.sim import Callee, PbxSimulator, PhoneMode, Press, Silence, SimOptions
from tests.e2e.harness import (
    E2E,
    KNOWN,
    SECRET,
    Api,
    e2e_settings,
    free_port,
    running,
    seed_customers,
    start_service,
)
from tests.e2e.test_e2e_ticket_work import ACD

AUTOMATED = {"mode": "automated", "delay_hours": 0, "max_attempts": 2, "retry_minutes": 30}
ANSWER_2 = (Silence(), Press("2"))
"""The customer lets the greeting play, then presses 2 at the question."""


@asynccontextmanager
async def _center(tmp_path: Path) -> AsyncIterator[tuple[E2E, Api, list[datetime]]]:
    async with (
        running(
            tmp_path, ACD, [], telephony={"followup_schedule_s": 0.1, "followup_ring_s": 5}
        ) as e2e,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        await e2e.add_user("admin", "admin")
        admin = Api(e2e, http, await e2e.web_login(http, "admin"))
        current = await admin("GET", "/api/config/acd")
        document = current["document"]
        document["followups"] = {"categories": {"complaint": AUTOMATED}}
        await admin(
            "PUT",
            "/api/config/acd",
            {"document": document, "base_version": current["version"]},
        )
        now = [datetime.now(UTC)]
        e2e.service.backend.context.tickets.clock = lambda: now[0]
        yield e2e, admin, now


async def _resolved_complaint(admin: Api, e2e: E2E, category: str = "complaint") -> int:
    customer = await e2e.service.backend.context.customers.find_by_phone(KNOWN)
    assert customer is not None
    opened = await admin(
        "POST",
        "/api/tickets",
        {"customer_id": customer.id, "category": category, "subject": "parcel lost"},
        201,
    )
    for step in ("acknowledged", "investigated", "proposed"):
        await admin("POST", f"/api/worklist/{opened['id']}/step", {"step": step})
    return int(opened["id"])


async def _ticket(admin: Api, ticket: int) -> dict[str, Any]:
    found: dict[str, Any] = await admin("GET", f"/api/worklist/{ticket}")
    return found


def _wake(e2e: E2E) -> None:
    calls = e2e.service.followup_calls
    assert calls is not None
    calls.wake.set()


async def test_given_an_automated_followup_when_the_customer_presses_2_then_the_ticket_reopens(
    tmp_path: Path,
) -> None:
    async with _center(tmp_path) as (e2e, admin, _):
        e2e.sim.add_callee(Callee(KNOWN, answer_after_s=0.2, steps=ANSWER_2))
        ticket = await _resolved_complaint(admin, e2e)
        _wake(e2e)
        await e2e.until(lambda: e2e.sim.dialled == [KNOWN])

        async def reopened() -> dict[str, Any] | None:
            found = await _ticket(admin, ticket)
            return found if found["step"] == "reopened" else None

        found = await _until_async(reopened)
        assert found["status"] == "reopened"
        assert found["history"][-1]["actor"] == "ivr"
        assert "not satisfied" in found["history"][-1]["note"]
        [followup] = found["followups"]
        assert (followup["mode"], followup["satisfied"], followup["attempts"]) == (
            "automated",
            False,
            1,
        )
        # The ticket is worked again: nothing is dialled for the answered follow-up.
        assert await admin("GET", "/api/followups") == []


async def test_given_an_automated_followup_when_the_customer_presses_1_then_the_ticket_is_confirmed(
    tmp_path: Path,
) -> None:
    async with _center(tmp_path) as (e2e, admin, _):
        e2e.sim.add_callee(Callee(KNOWN, answer_after_s=0.2, steps=(Silence(), Press("1"))))
        ticket = await _resolved_complaint(admin, e2e)
        _wake(e2e)

        async def confirmed() -> dict[str, Any] | None:
            found = await _ticket(admin, ticket)
            return found if found["step"] == "confirmed" else None

        found = await _until_async(confirmed)
        assert [h["step"] for h in found["history"]][-2:] == ["checked", "confirmed"]
        assert e2e.sim.dialled == [KNOWN]


async def test_given_no_answer_then_the_call_is_tried_again_after_the_wait_and_then_unreached(
    tmp_path: Path,
) -> None:
    async with _center(tmp_path) as (e2e, admin, now):
        # Busy first, then rings out: two calls, the rule's maximum.
        ringing = Callee(KNOWN, mode=PhoneMode.NO_ANSWER)
        e2e.sim.add_callee(Callee(KNOWN, mode=PhoneMode.BUSY, then=ringing))
        ticket = await _resolved_complaint(admin, e2e)
        _wake(e2e)

        async def result_of_call(n: int) -> dict[str, Any] | None:
            [followup] = await admin("GET", "/api/followups")
            done = followup["attempts"] == n and not followup["dialling"]
            return followup if done else None

        first = await _until_async(lambda: result_of_call(1))
        assert (first["last_result"], first["unreached"]) == ("busy", False)
        # Not dialled again before the rule's wait has passed.
        _wake(e2e)
        await e2e.service.followup_calls.dial_due()  # type: ignore[union-attr]
        assert e2e.sim.dialled == [KNOWN]

        now[0] += timedelta(minutes=31)
        _wake(e2e)
        second = await _until_async(lambda: result_of_call(2), timeout=60)
        assert e2e.sim.dialled == [KNOWN, KNOWN]
        assert (second["last_result"], second["unreached"]) == ("no-answer", True)
        found = await _ticket(admin, ticket)
        assert found["step"] == "proposed"  # still waiting for the customer's word
        assert "not reached" in found["history"][-1]["note"]
        now[0] += timedelta(hours=5)
        await e2e.service.followup_calls.dial_due()  # type: ignore[union-attr]
        assert e2e.sim.dialled == [KNOWN, KNOWN]


async def test_given_a_busy_call_then_one_answered_2_then_history_and_call_records_show_both(
    tmp_path: Path,
) -> None:
    async with _center(tmp_path) as (e2e, admin, now):
        answers = Callee(KNOWN, answer_after_s=0.2, steps=ANSWER_2)
        e2e.sim.add_callee(Callee(KNOWN, mode=PhoneMode.BUSY, then=answers))
        started = now[0]  # the tickets' clock: the calls are placed at its time
        ticket = await _resolved_complaint(admin, e2e)
        _wake(e2e)

        async def step_is(step: str) -> dict[str, Any] | None:
            found = await _ticket(admin, ticket)
            return found if found["step"] == step else None

        async def missed_once() -> bool:
            [followup] = await admin("GET", "/api/followups")
            return bool(followup["attempts"] == 1 and not followup["dialling"])

        await _until_async(missed_once)
        now[0] += timedelta(minutes=31)
        _wake(e2e)
        await _until_async(lambda: step_is("reopened"))
        customer = await e2e.service.backend.context.customers.find_by_phone(KNOWN)
        assert customer is not None
        history = await admin("GET", f"/api/customers/{customer.id}/history")
        period = {
            "since": started.isoformat(),
            "until": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
            "format": "csv",
        }
        async with admin.http.get(
            f"{e2e.web_url}/api/cdr", params=period, headers=admin.headers
        ) as response:
            assert response.status == 200, await response.text()
            rows = list(csv.DictReader(io.StringIO(await response.text())))

    calls = [c for c in history if c["kind"] == "followup_call"]
    # Newest first: the answered call, then the busy one; each names the ticket.
    assert [(c["attempt"], c["outcome"], c["ticket_id"]) for c in calls] == [
        (2, "not-satisfied", ticket),
        (1, "busy", ticket),
    ]
    assert calls[0]["number"] == KNOWN
    assert calls[0]["details"]["answered_at"] is not None
    assert calls[1]["details"]["answered_at"] is None
    records = [r for r in rows if r["record_type"] == "followup_call"]
    assert [(r["attempt"], r["outcome"], r["ticket_ids"]) for r in records] == [
        ("1", "busy", str(ticket)),
        ("2", "not-satisfied", str(ticket)),
    ]
    busy, answered = records
    assert [r["call_id"] for r in records] == [calls[1]["call_id"], calls[0]["call_id"]]
    assert busy["caller_number"] == f"'{KNOWN}"  # a leading + is kept from spreadsheets
    assert busy["customer_name"] == answered["customer_name"] == "Jonas Richter"
    assert (busy["answered_at"], busy["talk_seconds"]) == ("", "")
    assert all(answered[field] for field in ("answered_at", "ended_at", "talk_seconds"))
    assert all(r["arrived_at"][-6:] in ("+01:00", "+02:00") for r in records)  # Berlin


async def _until_async(check: Any, timeout: float = 20.0) -> Any:
    async with asyncio.timeout(timeout):
        while True:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.05)


async def test_given_a_call_out_when_the_service_restarts_then_it_is_not_dialled_twice(
    tmp_path: Path,
) -> None:
    agi_port = await free_port()
    options = SimOptions(prompt_s=0.05, agi_close_timeout_s=5.0)
    sim = PbxSimulator(agi_port=agi_port, secret=SECRET, options=options)
    await sim.start()
    # The first call rings on while the service restarts; the next one is answered with 1.
    answers = Callee(KNOWN, answer_after_s=0.2, steps=(Silence(), Press("1")))
    sim.add_callee(Callee(KNOWN, mode=PhoneMode.NO_ANSWER, then=answers))
    telephony = {"followup_schedule_s": 0.1, "followup_ring_s": 60, "followup_stale_s": 600}
    settings = e2e_settings(tmp_path, ACD, agi_port, sim.ami_port, telephony=telephony)
    try:
        first = await start_service(settings)
        try:
            await seed_customers(first)
            before = E2E(sim, first, settings)
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                await before.add_user("admin", "admin")
                admin = Api(before, http, await before.web_login(http, "admin"))
                current = await admin("GET", "/api/config/acd")
                document = {**current["document"]}
                document["followups"] = {"categories": {"complaint": AUTOMATED}}
                body = {"document": document, "base_version": current["version"]}
                await admin("PUT", "/api/config/acd", body)
                ticket = await _resolved_complaint(admin, before)
                _wake(before)
                await before.until(lambda: sim.dialled == [KNOWN])
        finally:
            await first.stop()  # the customer's phone still rings

        second = await start_service(settings)
        try:
            now = [datetime.now(UTC)]
            tickets = second.backend.context.tickets
            tickets.clock = lambda: now[0]
            calls = second.followup_calls
            assert calls is not None
            # The call that is out is not dialled again by the new process...
            assert await calls.dial_due() == 0
            [followup] = await tickets.followups(visible_queues=None)
            assert (followup.dialling, followup.attempts) == (True, 1)
            # ... until it is stale: a miss (lost), tried again after the rule's wait.
            now[0] += timedelta(minutes=11)
            assert await calls.dial_due() == 0
            [lost] = await tickets.followups(visible_queues=None)
            assert (lost.dialling, lost.last_result) == (False, "lost")
            now[0] += timedelta(minutes=30)
            assert await calls.dial_due() == 1
            assert await _until_async(lambda: _step_is(tickets, ticket, "confirmed"))
            assert sim.dialled == [KNOWN, KNOWN]
        finally:
            await second.stop()
    finally:
        await sim.close()


async def _step_is(tickets: Any, ticket: int, step: str) -> bool:
    found = await tickets.work_ticket(ticket)
    return found is not None and found.step == step


async def test_given_a_call_whose_followup_id_is_not_one_when_answered_then_it_is_hung_up(
    tmp_path: Path,
) -> None:
    async with _center(tmp_path) as (e2e, admin, _):
        ticket = await _resolved_complaint(admin, e2e, "request")  # an agent's follow-up
        client = e2e.service.ami[0]
        # Whatever reaches [followup] with something else in CC_FOLLOWUP (not digits, or no
        # automated follow-up waiting) hears nothing and is hung up; no ticket changes.
        [waiting] = await admin("GET", "/api/followups")
        for value in ("12abc", "999", str(waiting["id"])):
            e2e.sim.add_callee(Callee(KNOWN, answer_after_s=0.1, steps=(Press("2"), Press("2"))))
            await client.send_action(
                ami.originate(
                    f"PJSIP/{KNOWN}@trunk",
                    context="followup",
                    exten="s",
                    priority=1,
                    timeout_ms=5000,
                    variables={"CC_FOLLOWUP": value},
                )
            )
        await e2e.until(lambda: len(e2e.sim.dialled) == 3 and not e2e.sim.channels)
        found = await _ticket(admin, ticket)
        assert found["step"] == "proposed"
        [followup] = found["followups"]
        assert (followup["attempts"], followup["answered_at"]) == (0, None)
