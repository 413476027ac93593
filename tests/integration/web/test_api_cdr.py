"""Call detail records and a customer's history over the API: every contact, every field."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from callcenter.db import CallEvent, InteractionData
from cti.followups import FollowUpMode, FollowUpRule
from tests.integration.web.conftest import User
from tests.web_site import (
    ADMIN,
    AGENT,
    CALLER,
    CUSTOMER,
    SCOPED_SUPERVISOR,
    SUPERVISOR,
    Site,
    open_site,
)

Login = Callable[[str, str], Awaitable[User]]
DAY = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)
D = DAY.date().isoformat()


async def _seed_day(site: Site) -> dict[str, str]:
    """A day's contacts of every kind; the call ids by what happened."""
    repo = site.backend.context.interactions
    at = DAY
    answered = InteractionData(
        uniqueid="1768381200.1",
        arrived_at=at,
        caller_number=CALLER,
        dialled_number="100",
        customer_id=site.customer_id,
        ivr_path=("welcome", "menu"),
        ivr_data={"menu_choice": "2", "customer.name": CUSTOMER},
        queue="general",
        agent="agent1",
        queued_at=at + timedelta(seconds=15),
        offered_at=at + timedelta(seconds=40),
        answered_at=at + timedelta(seconds=45),
        ended_at=at + timedelta(seconds=225),
        outcome="answered",
        disposition="inquiry",
        notes="wants a new contract",
        survey_scores={"satisfaction": 5},
    )
    self_service = InteractionData(
        uniqueid="1768381800.2",
        arrived_at=at + timedelta(minutes=10),
        caller_number=CALLER,
        dialled_number="100",
        customer_id=site.customer_id,
        ivr_path=("welcome", "menu", "order_status"),
        ivr_data={"order_number": "12345"},
        ended_at=at + timedelta(minutes=11),
        outcome="self_service",
    )
    hung_up = InteractionData(
        uniqueid="1768382400.3",
        arrived_at=at + timedelta(minutes=20),
        caller_number=CALLER,
        dialled_number="100",
        customer_id=site.customer_id,
        ivr_path=("welcome", "menu"),
        ended_at=at + timedelta(minutes=20, seconds=8),
        outcome="abandoned_in_ivr",
    )
    voicemail = InteractionData(
        uniqueid="1768383000.4",
        arrived_at=at + timedelta(minutes=30),
        caller_number=CALLER,
        dialled_number="199",
        customer_id=site.customer_id,
        ivr_path=("closed", "leave_message"),
        ivr_data={
            "voicemail.file": "/var/spool/asterisk/callcenter/billing-1768383000.4.wav",
            "voicemail.seconds": "17",
        },
        queue="billing",
        ended_at=at + timedelta(minutes=31),
        outcome="voicemail",
    )
    transferred = InteractionData(
        uniqueid="1768383600.5",
        arrived_at=at + timedelta(minutes=40),
        caller_number="+4940555000",
        dialled_number="100",
        ivr_path=("welcome", "sales"),
        ivr_data={"transfer.target": "+4989123456"},
        ended_at=at + timedelta(minutes=41),
        outcome="transferred",
    )
    for data in (answered, self_service, hung_up, voicemail, transferred):
        await repo.save(data)
    record = await repo.record(answered.uniqueid)
    assert record is not None
    ticket = await site.backend.context.tickets.open(
        customer_id=site.customer_id,
        category="complaint",
        subject="contract terms",
        now=at,
        interaction_id=record.id,
    )
    await site.backend.context.events.append(
        [
            CallEvent(
                at=answered.ended_at or at,
                kind="complete",
                call_id=answered.uniqueid,
                queue="general",
                agent="agent1",
                data={"talk": 180.0, "outcome": "answered"},
            ),
            CallEvent(
                at=(answered.ended_at or at) + timedelta(seconds=25),
                kind="handled",
                queue="general",
                agent="agent1",
                data={"talk": 180.0, "wrap_up": 25.0},
            ),
        ]
    )
    callbacks = site.backend.context.callbacks
    request = await callbacks.request(
        number=CALLER,
        window_start=at + timedelta(minutes=50),
        window_end=at + timedelta(hours=4),
        now=at + timedelta(minutes=50),
        queue="billing",
        customer_id=site.customer_id,
    )
    for minutes, reached, result in ((60, False, "no-answer"), (75, True, "reached")):
        await callbacks.record_attempt(
            request.id,
            reached=reached,
            now=at + timedelta(minutes=minutes),
            agent="agent3",
            result=result,
        )
    return {
        "ticket": str(ticket.id),
        "answered": answered.uniqueid,
        "self_service": self_service.uniqueid,
        "hung_up": hung_up.uniqueid,
        "voicemail": voicemail.uniqueid,
        "transferred": transferred.uniqueid,
        "callback": f"cb-{request.id}",
    }


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_given_a_day_of_every_kind_of_contact_when_exported_as_csv_then_each_has_a_row(
    login: Login, site: Site
) -> None:
    ids = await _seed_day(site)
    admin = await login(*ADMIN)

    response = await admin.call("GET", f"/api/cdr?since={D}&until={D}&format=csv")
    text = await response.text()

    assert response.status == 200, text
    assert response.headers["Content-Type"].startswith("text/csv")
    assert f'filename="call-records-{D}-{D}.csv"' in response.headers["Content-Disposition"]
    rows = _csv(text)
    assert [(r["record_type"], r["call_id"]) for r in rows] == [
        ("call", ids["answered"]),
        ("call", ids["self_service"]),
        ("call", ids["hung_up"]),
        ("call", ids["voicemail"]),
        ("call", ids["transferred"]),
        ("callback_attempt", ids["callback"]),
        ("callback_attempt", ids["callback"]),
    ]
    answered = rows[0]
    assert answered["arrived_at"] == "2026-01-14T09:00:00+00:00"
    # For staff, so not masked; quoted, as any cell starting with + (a formula's start).
    assert answered["caller_number"] == "'" + CALLER
    assert (answered["customer_name"], answered["customer_account"]) == (CUSTOMER, "4711")
    assert answered["ivr_path"] == "welcome > menu"
    assert answered["ivr_answers"] == "menu_choice=2"
    assert (answered["ivr_seconds"], answered["wait_seconds"]) == ("15.0", "30.0")
    assert (answered["ring_seconds"], answered["talk_seconds"]) == ("5.0", "180.0")
    assert answered["wrap_up_seconds"] == "25.0"
    assert (answered["outcome"], answered["disposition"]) == ("answered", "inquiry")
    assert (answered["has_notes"], answered["survey_scores"]) == ("yes", "satisfaction=5")
    assert answered["ticket_ids"] == ids["ticket"]
    assert rows[1]["ticket_ids"] == ""
    assert [r["outcome"] for r in rows[1:5]] == [
        "self_service",
        "abandoned_in_ivr",
        "voicemail",
        "transferred",
    ]
    assert rows[3]["voicemail_file"].endswith("billing-1768383000.4.wav")
    assert rows[3]["voicemail_seconds"] == "17"
    assert rows[4]["transfer_target"] == "'+4989123456"
    assert [(r["attempt"], r["outcome"], r["agent"]) for r in rows[5:]] == [
        ("1", "no-answer", "agent3"),
        ("2", "reached", "agent3"),
    ]
    assert rows[5]["callback_id"] == ids["callback"].removeprefix("cb-")


async def test_given_the_same_day_when_exported_as_json_then_values_keep_their_types(
    login: Login, site: Site
) -> None:
    ids = await _seed_day(site)
    supervisor = await login(*SUPERVISOR)

    body = await supervisor.json("GET", f"/api/cdr?since={D}&until={D}")

    assert body["timezone"] == "UTC"
    assert body["since"] == "2026-01-14T00:00:00+00:00"
    records = body["records"]
    assert len(records) == 7
    first = records[0]
    assert first["call_id"] == ids["answered"]
    assert (first["talk_seconds"], first["wrap_up_seconds"], first["has_notes"]) == (
        180.0,
        25.0,
        True,
    )
    assert first["callback_id"] is None
    assert records[-1]["attempt"] == 2


async def test_given_a_center_in_berlin_when_exporting_a_local_day_then_times_carry_its_offset(
    tmp_path: Path,
) -> None:
    async with open_site(tmp_path, serve=False, timezone="Europe/Berlin") as site:
        late = datetime(2026, 1, 14, 23, 30, tzinfo=UTC)  # 00:30 on the 15th in Berlin
        await site.backend.context.interactions.save(
            InteractionData(
                uniqueid="1768433400.9",
                arrived_at=late,
                caller_number=CALLER,
                ended_at=late + timedelta(minutes=1),
                outcome="self_service",
            )
        )
        admin = await _client_login(site, ADMIN)
        try:
            on_14th = await admin.json("GET", "/api/cdr?since=2026-01-14&until=2026-01-14")
            on_15th = await admin.json("GET", "/api/cdr?since=2026-01-15&until=2026-01-15")
        finally:
            await admin.client.close()

    assert on_14th["records"] == []
    assert on_15th["timezone"] == "Europe/Berlin"
    assert on_15th["since"] == "2026-01-15T00:00:00+01:00"
    (record,) = on_15th["records"]
    assert record["arrived_at"] == "2026-01-15T00:30:00+01:00"
    assert record["ended_at"] == "2026-01-15T00:31:00+01:00"


async def _client_login(site: Site, credentials: tuple[str, str]) -> User:
    client: TestClient[Any, Any] = TestClient(TestServer(site.backend.app))
    await client.start_server()
    response = await client.post(
        "/api/login", json={"username": credentials[0], "password": credentials[1]}
    )
    return User(client, (await response.json())["csrf_token"])


async def test_given_a_supervisor_of_billing_when_exporting_then_only_billing_and_ivr_calls_show(
    login: Login, site: Site
) -> None:
    ids = await _seed_day(site)
    scoped = await login(*SCOPED_SUPERVISOR)

    body = await scoped.json("GET", f"/api/cdr?since={D}&until={D}")
    refused = await scoped.json("GET", f"/api/cdr?since={D}&until={D}&queue=general", 403)
    only_billing = await scoped.json("GET", f"/api/cdr?since={D}&until={D}&queue=billing")

    shown = {r["call_id"] for r in body["records"]}
    assert ids["answered"] not in shown  # a general call
    assert {ids["voicemail"], ids["callback"], ids["self_service"], ids["hung_up"]} <= shown
    assert "general" in refused["error"]["message"]
    assert {r["queue"] for r in only_billing["records"]} == {"billing"}


async def test_agents_cannot_export_call_records(login: Login, site: Site) -> None:
    agent = await login(*AGENT)
    await agent.json("GET", f"/api/cdr?since={D}&until={D}", 403)


async def test_given_a_period_that_ends_before_it_starts_then_422_names_until(
    login: Login, site: Site
) -> None:
    admin = await login(*ADMIN)

    backwards = await admin.json("GET", "/api/cdr?since=2026-01-14&until=2026-01-13", 422)
    garbled = await admin.json("GET", "/api/cdr?since=yesterday&until=2026-01-13", 422)
    missing = await admin.json("GET", "/api/cdr?since=2026-01-14", 422)
    too_long = await admin.json("GET", "/api/cdr?since=2024-01-01&until=2026-01-13", 422)

    assert [d["field"] for d in backwards["error"]["details"]] == ["until"]
    assert [d["field"] for d in garbled["error"]["details"]] == ["since"]
    assert [d["field"] for d in missing["error"]["details"]] == ["until"]
    assert "400 days" in too_long["error"]["message"]


async def test_given_a_name_that_reads_as_a_formula_when_exported_then_the_cell_is_quoted(
    login: Login, site: Site
) -> None:
    customer = await site.backend.context.customers.get(site.customer_id)
    assert customer is not None
    await site.backend.context.customers.update(
        site.customer_id, name='=HYPERLINK("http://evil.example","x")'
    )
    await site.backend.context.interactions.save(
        InteractionData(
            uniqueid="1768381200.7",
            arrived_at=DAY,
            caller_number=CALLER,
            customer_id=site.customer_id,
            ivr_data={"account_number": "+1-555", "note": "@SUM(A1)", "x": "-2+3"},
            ended_at=DAY + timedelta(minutes=1),
            outcome="self_service",
        )
    )
    admin = await login(*ADMIN)

    text = await (await admin.call("GET", f"/api/cdr?since={D}&until={D}&format=csv")).text()
    body = await admin.json("GET", f"/api/cdr?since={D}&until={D}")

    (row,) = _csv(text)
    assert row["customer_name"] == "'" + '=HYPERLINK("http://evil.example","x")'
    assert row["caller_number"] == "'" + CALLER  # +49...: a number a sheet would compute
    assert row["ivr_answers"] == "account_number=+1-555; note=@SUM(A1); x=-2+3"
    assert body["records"][0]["customer_name"].startswith("=HYPERLINK")  # JSON is data


async def test_given_more_calls_than_one_piece_when_exported_then_every_one_arrives(
    login: Login, site: Site
) -> None:
    repo = site.backend.context.interactions
    for n in range(1500):
        await repo.save(
            InteractionData(
                uniqueid=f"1768381200.{1000 + n}",
                arrived_at=DAY + timedelta(seconds=20 * n),
                caller_number=CALLER,
                queue="general",
                outcome="abandoned",
            )
        )
    admin = await login(*ADMIN)

    response = await admin.call("GET", f"/api/cdr?since={D}&until={D}&format=csv")
    rows = _csv(await response.text())
    body = await admin.json("GET", f"/api/cdr?since={D}&until={D}")

    assert response.headers.get("Transfer-Encoding") == "chunked"
    assert len(rows) == len(body["records"]) == 1500
    assert rows[-1]["call_id"] == "1768381200.2499"


async def test_given_every_kind_of_contact_when_reading_the_customers_history_then_all_show(
    login: Login, site: Site
) -> None:
    ids = await _seed_day(site)
    agent = await login(*AGENT)

    history = await agent.json("GET", f"/api/customers/{site.customer_id}/history")

    seen = [(c["kind"], c["call_id"], c["outcome"]) for c in history]
    assert seen == [
        # Each attempt is a contact of its own: its interaction, cb-<request>-<n>.
        ("callback_attempt", f"{ids['callback']}-2", "reached"),
        ("callback_attempt", f"{ids['callback']}-1", "no-answer"),
        ("callback", ids["callback"], "done"),
        ("call", ids["voicemail"], "voicemail"),
        ("call", ids["hung_up"], "abandoned_in_ivr"),
        ("call", ids["self_service"], "self_service"),
        ("call", ids["answered"], "answered"),
    ]  # the transfer came from another number: someone else's contact
    voicemail = history[3]
    assert voicemail["details"]["voicemail_seconds"] == "17"
    assert history[0]["attempt"] == 2
    await agent.json("GET", "/api/customers/99999/history", 404)
    await agent.json("GET", f"/api/customers/{site.customer_id}/history?limit=0", 422)


async def test_the_openapi_document_describes_the_export_and_the_history(
    login: Login, site: Site
) -> None:
    admin = await login(*ADMIN)

    document = await admin.json("GET", "/api/openapi.json")

    export = document["paths"]["/api/cdr"]["get"]
    assert {p["name"] for p in export["parameters"]} == {"since", "until", "queue", "format"}
    assert set(export["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert "CallRecordOut" in document["components"]["schemas"]
    history = document["paths"]["/api/customers/{customer_id}/history"]["get"]
    assert history["tags"] == ["customers"]


async def test_given_automated_followup_calls_then_history_and_records_show_each_with_its_ticket(
    login: Login, site: Site
) -> None:
    tickets = site.backend.context.tickets
    rule = FollowUpRule(FollowUpMode.AUTOMATED, delay_hours=0, retry_minutes=30)
    tickets.use_followups(lambda category: rule)
    ticket = await tickets.open(
        customer_id=site.customer_id, category="complaint", subject="parcel lost", now=DAY
    )
    await tickets.move(ticket.id, "resolved", now=DAY)
    # The first call is busy; the second is answered at 09:40:10 and 1 is pressed.
    [busy] = await tickets.claim_due(DAY + timedelta(minutes=1))
    await tickets.followup_missed(busy.id, "busy", now=DAY + timedelta(minutes=1, seconds=20))
    [second] = await tickets.claim_due(DAY + timedelta(minutes=40))
    await tickets.answer_followup(
        second.id,
        True,
        now=DAY + timedelta(minutes=40, seconds=30),
        actor="ivr",
        call_answered_at=DAY + timedelta(minutes=40, seconds=10),
    )
    admin = await login(*ADMIN)

    history = await admin.json("GET", f"/api/customers/{site.customer_id}/history")
    response = await admin.call("GET", f"/api/cdr?since={D}&until={D}&format=csv")
    rows = _csv(await response.text())

    calls = [c for c in history if c["kind"] == "followup_call"]
    assert [(c["call_id"], c["attempt"], c["outcome"], c["ticket_id"]) for c in calls] == [
        (f"fu-{busy.id}-2", 2, "satisfied", ticket.id),
        (f"fu-{busy.id}-1", 1, "busy", ticket.id),
    ]
    assert [c["number"] for c in calls] == [CALLER, CALLER]
    assert [(r["record_type"], r["call_id"], r["outcome"], r["ticket_ids"]) for r in rows] == [
        ("followup_call", f"fu-{busy.id}-1", "busy", str(ticket.id)),
        ("followup_call", f"fu-{busy.id}-2", "satisfied", str(ticket.id)),
    ]
    first, answered = rows
    assert (first["attempt"], first["answered_at"], first["ring_seconds"]) == ("1", "", "")
    assert first["ended_at"] == "2026-01-14T09:01:20+00:00"
    assert answered["customer_name"] == CUSTOMER
    assert (answered["ring_seconds"], answered["talk_seconds"]) == ("10.0", "20.0")
    assert (answered["ivr_answers"], answered["queue"], answered["agent"]) == ("", "", "")
