"""Agent-first callbacks end to end: each attempt at the customer is kept, with its result.

The service rings the agent's phone into the callback context; the simulator's dialplan
then dials the customer through the trunk (as the product's extensions.conf does). A
customer who answers makes the request done; one who is busy or does not answer leaves it
pending, in line again after `telephony.callback_retry_s`, until
`telephony.callback_max_attempts` misses make it failed. The supervisor's callback list
(`GET /api/callbacks`) shows the attempts (time, agent, result) and where it stands.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from acd import AcdSettings, AgentSettings, AgentState, CallbackRequested, QueueSettings
from callcenter.db import Callback, ConfigVersions, make_engine, make_sessions
from callcenter.live import CallInfo
from callcenter.sim import AgentPhone, Callee, PbxSimulator, PhoneMode, SimOptions
from tests.e2e.harness import E2E, SECRET, e2e_settings, free_port, running, start_service

ACD = AcdSettings(
    queues=(QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=0.3),),
    agents=(AgentSettings(id="agent1", queues=("general",)),),
)
CUSTOMER = "+49305559999"
FAST = {"callback_retry_s": 0.5, "callback_max_attempts": 2}


async def ask_for_callback(e2e: E2E, number: str) -> int:
    """A caller asked to be called back (as the IVR stores and queues it); the request id."""
    now = datetime.now(UTC)
    stored = await e2e.service.backend.context.callbacks.request(
        number=number,
        window_start=now,
        window_end=now + timedelta(hours=4),
        now=now,
        queue="general",
    )
    center = e2e.service.backend.center
    call_id = f"cb-{stored.id}"
    center.calls.add(CallInfo(call_id, number, None, e2e.now, "general"))
    center.host.submit(CallbackRequested(e2e.now, call_id, "general"))
    return stored.id


async def callback_list(e2e: E2E, status: str) -> list[dict[str, Any]]:
    """The supervisor's list of callback requests in `status`, as the API gives it."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await e2e.web_login(http, "sup1")
        async with http.get(f"{e2e.web_url}/api/callbacks?status={status}") as response:
            assert response.status == 200, await response.text()
            found: list[dict[str, Any]] = await response.json()
            return found


async def stored_attempts(e2e: E2E, request: int, count: int) -> Callback:
    """The request once `count` attempts at the customer are stored."""
    repo = e2e.service.backend.context.callbacks
    async with asyncio.timeout(15):
        while True:
            found = await repo.get(request)
            if found is not None and found.attempts >= count:
                return found
            await asyncio.sleep(0.05)


async def stored_status(e2e: E2E, request: int, status: str) -> Callback:
    """The request once it is in `status`."""
    repo = e2e.service.backend.context.callbacks
    async with asyncio.timeout(15):
        while True:
            found = await repo.get(request)
            if found is not None and str(found.status) == status:
                return found
            await asyncio.sleep(0.05)


async def test_given_a_customer_who_answers_when_called_back_then_the_request_is_done(
    tmp_path: Path,
) -> None:
    phone = AgentPhone("agent1", answer_after_s=0.2)
    async with running(tmp_path, ACD, [phone], telephony=FAST) as e2e:
        e2e.sim.add_callee(Callee(CUSTOMER, answer_after_s=0.3, talk_s=0.5))
        await e2e.add_user("sup1", "supervisor")
        request = await ask_for_callback(e2e, CUSTOMER)

        done = await stored_attempts(e2e, request, 1)

        assert (str(done.status), done.attempts) == ("done", 1)
        [listed] = await callback_list(e2e, "done")
        assert (listed["id"], listed["status"], listed["attempts"]) == (request, "done", 1)
        assert [(a["agent"], a["result"]) for a in listed["history"]] == [("agent1", "reached")]
        assert listed["last_attempt_at"] == listed["history"][0]["at"]
        # The agent talked to the customer and goes on as after any call.
        await e2e.until(lambda: e2e.state("agent1") in (AgentState.WRAP_UP, AgentState.READY))
        assert e2e.acd.call_view(f"cb-{request}", e2e.now) is None


@asynccontextmanager
async def _busy_then_free(tmp_path: Path) -> AsyncIterator[tuple[E2E, int]]:
    """A callback to a customer busy at the first attempt and free again by the retry,
    agent1's phone answering each: the center and the request."""
    phone = AgentPhone("agent1", answer_after_s=0.2)
    async with running(tmp_path, ACD, [phone], telephony=FAST) as e2e:
        answers = Callee(CUSTOMER, answer_after_s=0.2, talk_s=0.3)
        e2e.sim.add_callee(Callee(CUSTOMER, PhoneMode.BUSY, then=answers))
        yield e2e, await ask_for_callback(e2e, CUSTOMER)


async def test_given_a_busy_customer_then_the_callback_is_tried_again_and_reaches_them(
    tmp_path: Path,
) -> None:
    async with _busy_then_free(tmp_path) as (e2e, request):
        await e2e.add_user("sup1", "supervisor")

        missed = await stored_attempts(e2e, request, 1)
        assert [(a.agent, a.result) for a in missed.history[:1]] == [("agent1", "busy")]
        done = await stored_attempts(e2e, request, 2)

        assert (str(done.status), done.attempts) == ("done", 2)
        [listed] = await callback_list(e2e, "done")
        assert (listed["status"], listed["attempts"]) == ("done", 2)
        assert [a["result"] for a in listed["history"]] == ["busy", "reached"]
        assert e2e.sim.dialled == [CUSTOMER, CUSTOMER]
        first, second = (datetime.fromisoformat(a["at"]) for a in listed["history"])
        assert second - first >= timedelta(seconds=FAST["callback_retry_s"])


async def test_given_a_customer_who_never_answers_then_the_request_fails_after_the_last_attempt(
    tmp_path: Path,
) -> None:
    phone = AgentPhone("agent1", answer_after_s=0.2)
    options = SimOptions(prompt_s=0.05, agi_close_timeout_s=5.0, dial_timeout_s=0.5)
    async with running(tmp_path, ACD, [phone], telephony=FAST, sim_options=options) as e2e:
        e2e.sim.add_callee(Callee(CUSTOMER, PhoneMode.NO_ANSWER))
        await e2e.add_user("sup1", "supervisor")
        request = await ask_for_callback(e2e, CUSTOMER)

        failed = await stored_attempts(e2e, request, 2)

        assert (str(failed.status), failed.attempts) == ("failed", 2)
        [listed] = await callback_list(e2e, "failed")
        assert [(a["agent"], a["result"]) for a in listed["history"]] == [
            ("agent1", "no-answer"),
            ("agent1", "no-answer"),
        ]
        assert await callback_list(e2e, "pending") == []
        assert e2e.acd.call_view(f"cb-{request}", e2e.now) is None


async def test_given_a_missed_callback_when_the_service_restarts_then_the_retry_still_comes(
    tmp_path: Path,
) -> None:
    agi_port = await free_port()
    sim = PbxSimulator(agi_port=agi_port, secret=SECRET, options=SimOptions(prompt_s=0.05))
    await sim.start()
    sim.add_phone(AgentPhone("agent1", answer_after_s=0.2))
    answers = Callee(CUSTOMER, answer_after_s=0.2, talk_s=0.3)
    sim.add_callee(Callee(CUSTOMER, PhoneMode.BUSY, then=answers))
    slow = e2e_settings(tmp_path, ACD, agi_port, sim.ami_port, telephony={"callback_retry_s": 3600})
    try:
        first = await start_service(slow)
        before = E2E(sim, first, slow)
        await before.log_in("agent1", ready=True)
        request = await ask_for_callback(before, CUSTOMER)
        missed = await stored_attempts(before, request, 1)
        assert (str(missed.status), missed.history[0].result) == ("pending", "busy")
        await first.stop()  # long before its retry was due

        # The retry policy is part of the stored configuration (seeded from the file):
        # shortened as `callcenter config import` would, for the next start.
        engine = make_engine(slow.database.url)
        try:
            versions = ConfigVersions(make_sessions(engine))
            current = await versions.current()
            assert current is not None
            assert current.document["callback_retries"]["default"]["retry_seconds"] == 3600
            document = {**current.document}
            document["callback_retries"] = {
                "default": {"max_attempts": 2, "retry_seconds": 0.5},
                "queues": {},
            }
            await versions.save(document, "admin", "retry sooner")
        finally:
            await engine.dispose()
        fast = e2e_settings(tmp_path, ACD, agi_port, sim.ami_port, telephony=FAST)
        second = await start_service(fast)
        try:
            # The new process arms the retry again and dials the number of the request.
            done = await stored_attempts(E2E(sim, second, fast), request, 2)
            assert (str(done.status), [a.result for a in done.history]) == (
                "done",
                ["busy", "reached"],
            )
            assert sim.dialled == [CUSTOMER, CUSTOMER]
        finally:
            await second.stop()
    finally:
        await sim.close()


async def test_given_a_busy_then_answered_callback_then_each_attempt_is_a_contact_with_its_notes(
    tmp_path: Path,
) -> None:
    async with _busy_then_free(tmp_path) as (e2e, request):
        await e2e.add_user("agent1", "agent")
        done = await stored_attempts(e2e, request, 2)
        assert [a.result for a in done.history] == ["busy", "reached"]

        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            csrf = await e2e.web_login(http, "agent1")
            # On the desk after the call: the notes go to the attempt the agent was on.
            on_desk = {"notes": "explained the refund", "disposition": "billing"}
            async with http.patch(
                f"{e2e.web_url}/api/interactions/cb-{request}", json=on_desk, headers=csrf
            ) as response:
                assert response.status == 200, await response.text()
                answered = await response.json()
            # The missed one is a contact too: the agent notes what happened.
            missed = {"notes": "line busy, left no message"}
            async with http.patch(
                f"{e2e.web_url}/api/interactions/cb-{request}-1", json=missed, headers=csrf
            ) as response:
                assert response.status == 200, await response.text()
                busy = await response.json()

        assert (answered["uniqueid"], answered["outcome"], answered["agent"]) == (
            f"cb-{request}-2",
            "reached",
            "agent1",
        )
        assert answered["answered_at"] is not None
        assert answered["ended_at"] >= answered["answered_at"]
        assert (busy["outcome"], busy["answered_at"], busy["disposition"]) == ("busy", None, None)
        contacts = e2e.service.backend.context.interactions
        first = await contacts.record(f"cb-{request}-1")
        second = await contacts.record(f"cb-{request}-2")
        assert first is not None
        assert second is not None
        assert (first.notes, second.notes, second.disposition) == (
            "line busy, left no message",
            "explained the refund",
            "billing",
        )


async def test_given_a_callback_nobody_takes_when_its_window_ends_then_nobody_is_rung_after_it(
    tmp_path: Path,
) -> None:
    phone = AgentPhone("agent1", answer_after_s=0.2)
    telephony = {**FAST, "callback_schedule_s": 0.2}
    async with running(tmp_path, ACD, [phone], ready=(), telephony=telephony) as e2e:
        e2e.sim.add_callee(Callee(CUSTOMER, answer_after_s=0.2, talk_s=0.3))
        await e2e.add_user("sup1", "supervisor")
        # "Call me back within the next second and a half", and nobody is ready meanwhile.
        now = datetime.now(UTC)
        stored = await e2e.service.backend.context.callbacks.request(
            number=CUSTOMER, window_start=now, window_end=now + timedelta(seconds=1.5),
            now=now, queue="general",
        )  # fmt: skip
        center = e2e.service.backend.center
        call_id = f"cb-{stored.id}"
        center.calls.add(CallInfo(call_id, CUSTOMER, None, e2e.now, "general"))
        center.host.submit(CallbackRequested(e2e.now, call_id, "general"))
        [listed] = await callback_list(e2e, "pending")
        assert listed["overdue"]  # its window ends within the half hour: flagged

        found = await stored_status(e2e, stored.id, "failed")
        await e2e.until(lambda: e2e.acd.call_view(call_id, e2e.now) is None)
        await e2e.log_in("agent1", ready=True)  # an agent is free now: nothing to offer

        assert (str(found.status), found.reason, found.attempts) == ("failed", "window missed", 0)
        [listed] = await callback_list(e2e, "failed")
        assert (listed["id"], listed["reason"]) == (stored.id, "window missed")
        assert e2e.state("agent1") is AgentState.READY
        assert e2e.sim.dialled == []
