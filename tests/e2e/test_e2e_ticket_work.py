"""Tickets as work end to end (issue 17), with the simulator: a complaint opened on a real
call is worked after the call through the six steps, its overdue promise escalates to the
supervisor's wallboard, and a follow-up call where the customer is not satisfied reopens it.

No timed assertions: the tickets' clock (`TicketRepository.clock`) is moved by the test.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from acd import AcdSettings, AgentSettings, AgentState, QueueSettings
from callcenter.sim import AgentPhone, CallerScript, Press
from callcenter.web.routes_tickets import ESCALATION
from tests.e2e.harness import E2E, KNOWN, Api, running

ACD = AcdSettings(
    queues=(QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=0.3),),
    agents=(AgentSettings(id="agent1", queues=("general",), skills={"lang-de": 3}),),
)


async def _wallboard_ticket_alerts(e2e: E2E, http: aiohttp.ClientSession) -> list[str]:
    async with http.ws_connect(f"{e2e.web_url}/ws/wallboard") as ws:
        snapshot = json.loads((await ws.receive(timeout=10)).data)
    return [a["message"] for a in snapshot["alerts"] if a["kind"].startswith("tickets_overdue")]


async def test_a_complaint_from_a_call_goes_through_six_steps_escalates_and_is_reopened(
    tmp_path: Path,
) -> None:
    phone = AgentPhone("agent1", answer_after_s=0.2, talk_s=0.5)
    async with (
        running(tmp_path, ACD, [phone]) as e2e,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as agent_http,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as sup_http,
    ):
        await e2e.add_user("agent1", "agent")
        await e2e.add_user("sup1", "supervisor")
        agent = Api(e2e, agent_http, await e2e.web_login(agent_http, "agent1"))
        supervisor = Api(e2e, sup_http, await e2e.web_login(sup_http, "sup1"))
        tickets = e2e.service.backend.context.tickets
        now = [datetime.now(UTC)]
        tickets.clock = lambda: now[0]

        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Press("0"),)))
        record = await call.done
        assert record.bridged_to is not None
        await e2e.until(lambda: e2e.state("agent1") in (AgentState.WRAP_UP, AgentState.READY))
        await e2e.flush()
        interaction = await e2e.service.backend.context.interactions.record(call.uniqueid)
        assert interaction is not None
        assert interaction.customer_id is not None
        # The call is over: the complaint is opened on it and worked from the worklist.
        opened = await agent(
            "POST",
            "/api/tickets",
            {
                "customer_id": interaction.customer_id,
                "category": "complaint",
                "subject": "invoice charged twice",
                "interaction_uniqueid": call.uniqueid,
            },
            201,
        )
        ticket = f"/api/worklist/{opened['id']}"
        [listed] = await agent("GET", "/api/worklist?view=queue")
        assert (listed["id"], listed["queue"], listed["customer_name"]) == (
            opened["id"],
            "general",
            "Jonas Richter",
        )

        # Nobody acknowledges within 4 hours: the supervisor's wallboard says so.
        assert await _wallboard_ticket_alerts(e2e, sup_http) == []
        now[0] += timedelta(hours=4, minutes=5)
        await e2e.service.backend.app[ESCALATION].refresh()
        assert await _wallboard_ticket_alerts(e2e, sup_http) == [
            f"1 ticket overdue in general: #{opened['id']} acknowledged late (agent1)"
        ]
        [late] = await supervisor("GET", "/api/worklist?view=overdue")
        assert late["overdue"] is True

        for step in ("acknowledged", "investigated", "proposed"):
            now[0] += timedelta(hours=1)
            await agent("POST", f"{ticket}/step", {"step": step, "note": step})
        assert await _wallboard_ticket_alerts(e2e, sup_http) == []

        # The follow-up call: not satisfied reopens the ticket.
        [followup] = await agent("GET", "/api/followups")
        reopened = await agent(
            "POST",
            f"/api/followups/{followup['id']}/answer",
            {"satisfied": False, "note": "charged again"},
        )
        assert (reopened["status"], reopened["step"]) == ("reopened", "reopened")

        # Worked again; the second follow-up finds the customer satisfied.
        for step in ("acknowledged", "investigated", "proposed"):
            now[0] += timedelta(hours=1)
            await agent("POST", f"{ticket}/step", {"step": step})
        [followup] = await agent("GET", "/api/followups")
        done = await agent("POST", f"/api/followups/{followup['id']}/answer", {"satisfied": True})
        steps = [h["step"] for h in done["history"]]
        assert steps == [
            "received",
            "acknowledged",
            "investigated",
            "proposed",
            "reopened",
            "acknowledged",
            "investigated",
            "proposed",
            "checked",
            "confirmed",
        ]
        assert [h["promise_kept"] for h in done["history"]][1:4] == [False, True, True]

        now[0] += timedelta(minutes=1)
        report = await supervisor("GET", "/api/reports/tickets")
        assert (report["opened"], report["resolved"], report["reopened"]) == (1, 2, 1)
        assert report["reopen_rate"] == 0.5
        assert report["steps"][0] == {"step": "acknowledged", "due": 2, "kept": 1}
        assert (report["followups_answered"], report["followups_satisfied"]) == (2, 1)
