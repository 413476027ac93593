"""The web channel's public endpoint: a filled form becomes a callback, abuse is refused.

A real backend (SQLite, ACD host) behind aiohttp's test client; requests come "through a
proxy" (`X-Forwarded-For`, the test client's address trusted) so each test picks the
client address. The service's clock is moved forward past the form's minimum fill time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from structlog.testing import capture_logs

from acd import AgentLoggedIn
from callcenter.app.center_config import CenterConfig
from callcenter.db.config_versions import as_document
from callcenter.live.callback_schedule import ScheduledCallbacks
from tests.web_site import Site, open_site

PUBLIC = {"min_fill_s": 3, "frame_ancestors": ["https://www.example.com"]}
NUMBER = "030 5557 1234"
E164 = "+493055571234"


@pytest.fixture
async def public_site(tmp_path: Path) -> AsyncIterator[Site]:
    async with open_site(
        tmp_path, serve=False, trusted_proxies=["127.0.0.1"], public_callback=PUBLIC
    ) as running:
        yield running


@pytest.fixture
async def client(public_site: Site) -> AsyncIterator[TestClient[Any, Any]]:
    test_client: TestClient[Any, Any] = TestClient(TestServer(public_site.backend.app))
    await test_client.start_server()
    yield test_client
    await test_client.close()


async def form_token(client: TestClient[Any, Any], site: Site) -> str:
    """A form loaded and filled in for 5 s (the service's clock moved on)."""
    response = await client.get("/api/public/callback/form")
    body = await response.json()
    assert response.status == 200, body
    site.advance(5)
    token: str = body["token"]
    return token


async def send(
    client: TestClient[Any, Any],
    fields: dict[str, Any],
    *,
    address: str = "203.0.113.10",
) -> tuple[int, Any]:
    response = await client.post(
        "/api/public/callback", json=fields, headers={"X-Forwarded-For": address}
    )
    body = await response.json()
    if response.status == 429:
        # A refused client is told when to try again.
        assert int(response.headers["Retry-After"]) >= 1
    return response.status, body


def form(token: str, **fields: Any) -> dict[str, Any]:
    return {"number": NUMBER, "name": "Erika", "topic": "general", "token": token, **fields}


async def test_the_form_offers_the_configured_queues_as_topics(
    client: TestClient[Any, Any],
) -> None:
    response = await client.get("/api/public/callback/form")
    body = await response.json()

    assert [t["id"] for t in body["topics"]] == ["general", "billing"]
    assert body["enabled"] is True
    assert body["token"]


async def test_given_a_filled_form_then_a_callback_is_stored_and_in_the_acds_line(
    client: TestClient[Any, Any], public_site: Site
) -> None:
    token = await form_token(client, public_site)

    status, body = await send(client, form(token))

    assert status == 201, body
    assert body["status"] == "queued"
    # Nobody staffs the queue: no estimate, but a promise all the same.
    assert body["expected"] == "as soon as an agent is free"
    assert body["message"] == "Thank you. We will call you back as soon as an agent is free."
    stored = await public_site.backend.context.callbacks.get(body["id"])
    assert stored is not None
    assert (stored.number, stored.queue, str(stored.status)) == (E164, "general", "pending")
    host = public_site.center.host
    await host.drain()
    entry = host.acd.call_view(f"cb-{body['id']}", host.now())
    assert entry is not None
    assert entry.queue == "general"
    info = public_site.center.calls.get(f"cb-{body['id']}")
    assert info.caller_number == E164
    assert (info.customer_name, info.ivr_answers["channel"]) == ("Erika", "web")


async def test_with_an_agent_ready_the_answer_says_within_about_how_many_minutes(
    client: TestClient[Any, Any], public_site: Site
) -> None:
    host = public_site.center.host
    await host.request(lambda now: AgentLoggedIn(now, "agent2", ready=True))
    await public_site.queue_call()  # agent2 takes it; the next one waits about an AHT
    token = await form_token(client, public_site)

    status, body = await send(client, form(token))

    assert status == 201, body
    assert body["expected"].startswith("within about "), body
    assert body["expected"].endswith("minute") or body["expected"].endswith("minutes")


async def test_a_bad_number_is_refused_naming_the_number_field(
    client: TestClient[Any, Any], public_site: Site
) -> None:
    token = await form_token(client, public_site)

    status, body = await send(client, form(token, number="12,U(x)"))

    assert status == 422
    assert [d["field"] for d in body["error"]["details"]] == ["number"]
    assert body["error"]["message"].startswith("number: ")
    assert await public_site.backend.context.callbacks.list() == []


async def test_a_number_abroad_or_premium_rate_is_refused_naming_the_number_field(
    client: TestClient[Any, Any], public_site: Site
) -> None:
    token = await form_token(client, public_site)

    abroad = await send(client, form(token, number="+44 20 7946 0018"))
    premium = await send(client, form(token, number="0900 1234567"))

    assert abroad[0] == 422
    assert abroad[1]["error"]["details"][0]["field"] == "number"
    assert "only numbers in DE" in abroad[1]["error"]["message"]
    assert premium[0] == 422
    assert "premium-rate" in premium[1]["error"]["message"]


async def test_unknown_topic_and_extra_fields_are_refused_by_name(
    client: TestClient[Any, Any], public_site: Site
) -> None:
    token = await form_token(client, public_site)

    topic = await send(client, form(token, topic="sales"))
    extra = await send(client, form(token, admin=True))

    assert topic[0] == 422
    assert topic[1]["error"]["details"][0]["field"] == "topic"
    assert "general, billing" in topic[1]["error"]["message"]
    assert extra[0] == 422
    assert extra[1]["error"]["details"][0]["field"] == "admin"


async def test_a_filled_honeypot_is_refused_and_nothing_stored(
    client: TestClient[Any, Any], public_site: Site
) -> None:
    token = await form_token(client, public_site)

    status, body = await send(client, form(token, website="http://spam.example"))

    assert (status, body["error"]["code"]) == (422, "refused")
    assert await public_site.backend.context.callbacks.list() == []


async def test_a_form_sent_faster_than_a_person_types_is_refused_429(
    client: TestClient[Any, Any], public_site: Site
) -> None:
    response = await client.get("/api/public/callback/form")
    token = (await response.json())["token"]

    status, body = await send(client, form(token))

    assert (status, body["error"]["code"]) == (429, "too_fast")
    assert await public_site.backend.context.callbacks.list() == []


async def test_a_forged_or_missing_token_is_refused_naming_the_token(
    client: TestClient[Any, Any], public_site: Site
) -> None:
    forged = f"{int((public_site.center.host.now() - 60) * 1000)}.{'0' * 64}"

    status, body = await send(client, form(forged))

    assert (status, body["error"]["code"]) == (422, "form_expired")
    assert body["error"]["details"][0]["field"] == "token"


async def test_one_address_is_refused_after_five_requests_an_hour_others_are_not(
    client: TestClient[Any, Any], public_site: Site
) -> None:
    token = await form_token(client, public_site)
    bad = form(token, number="1")
    for _ in range(5):
        assert (await send(client, bad, address="198.51.100.1"))[0] == 422

    status, body = await send(client, form(token), address="198.51.100.1")
    other = await send(client, form(token), address="198.51.100.2")

    assert (status, body["error"]["code"]) == (429, "rate_limited")
    assert "your address" in body["error"]["message"]
    assert other[0] == 201


async def test_one_number_is_refused_after_three_requests_a_day_and_not_stored_twice(
    client: TestClient[Any, Any], public_site: Site
) -> None:
    token = await form_token(client, public_site)
    with capture_logs() as logs:
        answers = [await send(client, form(token), address=f"198.51.100.{n}") for n in range(1, 5)]

    assert [status for status, _ in answers] == [201, 200, 200, 429]
    first, again = answers[0][1], answers[1][1]
    assert (again["id"], again["duplicate"]) == (first["id"], True)
    assert again["message"].startswith("We already have your request")
    assert "this number" in answers[3][1]["error"]["message"]
    assert len(await public_site.backend.context.callbacks.list()) == 1
    [refusal] = [e for e in logs if e["event"] == "web.public_callback_refused"]
    assert (refusal["reason"], refusal["address"]) == ("number_limit", "198.51.100.4")
    assert refusal["number"] == "+**********34"  # masked
    assert E164 not in str(logs)


async def test_an_oversized_body_is_refused_413_before_it_is_read(
    client: TestClient[Any, Any], public_site: Site
) -> None:
    token = await form_token(client, public_site)

    status, body = await send(client, form(token, name="x" * 5000))

    assert (status, body["error"]["code"]) == (413, "too_large")


async def test_a_body_that_is_not_json_is_refused_415(client: TestClient[Any, Any]) -> None:
    response = await client.post(
        "/api/public/callback", data="number=0305571234", headers={"X-Forwarded-For": "1.2.3.4"}
    )

    assert response.status == 415


async def test_a_window_later_is_scheduled_at_its_start(
    client: TestClient[Any, Any], public_site: Site
) -> None:
    token = await form_token(client, public_site)
    now = datetime.fromtimestamp(public_site.center.host.now(), UTC)
    start = (now + timedelta(hours=2)).replace(microsecond=0)
    fields = form(
        token,
        when="window",
        window_start=start.isoformat(),
        window_end=(start + timedelta(hours=1)).isoformat(),
    )

    status, body = await send(client, fields)

    assert status == 201, body
    assert body["status"] == "scheduled"
    assert datetime.fromisoformat(body["expected_at"]) == start
    assert body["expected"].endswith(f"from {start:%H:%M}")
    host = public_site.center.host
    assert host.acd.call_view(f"cb-{body['id']}", host.now()) is None


async def test_a_window_in_the_past_is_refused_naming_its_end(
    client: TestClient[Any, Any], public_site: Site
) -> None:
    token = await form_token(client, public_site)
    now = datetime.fromtimestamp(public_site.center.host.now(), UTC)
    fields = form(
        token,
        when="window",
        window_start=(now - timedelta(hours=3)).isoformat(),
        window_end=(now - timedelta(hours=2)).isoformat(),
    )

    status, body = await send(client, fields)

    assert status == 422
    assert body["error"]["details"][0]["field"] == "window_end"


async def closed_until_the_day_after_tomorrow(site: Site) -> datetime:
    """`general` follows a calendar open 08:00-18:00 every day, today and tomorrow being
    holidays; when it opens next (UTC, the center's zone)."""
    ctx = site.backend.context
    today = datetime.fromtimestamp(site.center.host.now(), UTC).date()
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    document = {
        **as_document(ctx.settings.acd),
        "calendars": {
            "office": {
                "weekly": {day: ["08:00-18:00"] for day in days},
                "holidays": [today.isoformat(), (today + timedelta(days=1)).isoformat()],
            }
        },
        "queue_hours": {"general": "office"},
    }
    await ctx.config_versions.save(as_document(CenterConfig.model_validate(document)), "admin")
    opens = today + timedelta(days=2)
    return datetime(opens.year, opens.month, opens.day, 8, 0, tzinfo=UTC)


async def test_given_a_closed_queue_then_the_callback_is_scheduled_for_its_next_opening(
    client: TestClient[Any, Any], public_site: Site
) -> None:
    opens = await closed_until_the_day_after_tomorrow(public_site)
    token = await form_token(client, public_site)

    status, body = await send(client, form(token))

    assert status == 201, body
    assert body["status"] == "scheduled"
    assert datetime.fromisoformat(body["expected_at"]) == opens
    assert body["expected"] == f"on {opens:%A} {opens.day} {opens:%B} from 08:00"
    stored = await public_site.backend.context.callbacks.get(body["id"])
    assert stored is not None
    assert stored.window_start == opens
    host = public_site.center.host
    call_id = f"cb-{body['id']}"
    assert host.acd.call_view(call_id, host.now()) is None
    # Not yet due: the scheduler leaves it; at its time it joins the line.
    scheduler = ScheduledCallbacks(public_site.center, public_site.backend.context.callbacks)
    assert await scheduler.check() == []
    public_site.advance((opens - datetime.now(UTC)).total_seconds() + 60)
    assert await scheduler.check() == [body["id"]]
    await host.drain()
    assert host.acd.call_view(call_id, host.now()) is not None
    assert await scheduler.check() == []  # once only
    assert public_site.center.calls.get(call_id).customer_name == "Erika"


async def test_the_form_page_may_be_framed_by_the_configured_origins_only(
    client: TestClient[Any, Any],
) -> None:
    page = await client.get("/callme")
    agent = await client.get("/agent")

    assert page.status == 200
    assert "frame-ancestors https://www.example.com" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers
    assert agent.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in agent.headers["Content-Security-Policy"]
