"""The center's configuration beyond the ACD, changed through the API while it runs (issue 16).

Dialled numbers, opening hours and holidays, ticket categories and dispositions are part
of the stored, versioned configuration: a change applies to the next call at once, a
change naming a flow the IVR does not have is refused with the key named, and a restart
keeps what was stored (the settings file says otherwise).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from acd import AcdSettings, AgentSettings, AgentState, QueueSettings
from callcenter.db import ConfigVersions, make_engine, make_sessions, upgrade
from callcenter.db.config_versions import as_document
from callcenter.sim import AgentPhone, CallerScript, PbxSimulator, Press, SimOptions
from tests.e2e.harness import (
    E2E,
    KNOWN,
    SECRET,
    e2e_settings,
    free_port,
    running,
    seed_customers,
    start_service,
)

SKILLS = {"lang-de": 3, "lang-en": 3}
ACD = AcdSettings(
    queues=(QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=1),),
    agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
)
Document = dict[str, Any]


async def _change(e2e: E2E, edit: Callable[[Document], None], status: int = 200) -> Document:
    """GET the document, `edit` it, PUT it back as the admin; the answer's body."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        csrf = await e2e.web_login(http, "admin")
        async with http.get(f"{e2e.web_url}/api/config/acd") as response:
            current = await response.json()
        document = current["document"]
        edit(document)
        async with http.put(
            f"{e2e.web_url}/api/config/acd",
            json={"document": document, "base_version": current["version"]},
            headers=csrf,
        ) as response:
            body: Document = await response.json()
            assert response.status == status, body
            return body


async def _path_of(e2e: E2E, dialled: str) -> tuple[str, ...]:
    """The IVR nodes a caller who dials `dialled` and says nothing passes."""
    call = await e2e.sim.place_call(CallerScript(KNOWN, dialled=dialled, hangup_after_s=1.5))
    await call.done
    await e2e.flush()
    interaction = await e2e.service.backend.context.interactions.record(call.uniqueid)
    assert interaction is not None
    return tuple(interaction.ivr_path)


async def _bootstrap(e2e: E2E, user: str) -> Document:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await e2e.web_login(http, user)
        async with http.get(f"{e2e.web_url}/api/config/public") as response:
            body: Document = await response.json()
            assert response.status == 200, body
            return body


async def test_given_numbers_hours_and_categories_changed_live_then_the_next_call_follows_and_a_restart_keeps_them(  # noqa: E501
    tmp_path: Path,
) -> None:
    agi_port = await free_port()
    sim = PbxSimulator(
        agi_port=agi_port, secret=SECRET, options=SimOptions(prompt_s=0.05, agi_close_timeout_s=5)
    )
    await sim.start()
    sim.add_phone(AgentPhone("agent1", answer_after_s=0.2, talk_s=0.3))
    settings = e2e_settings(tmp_path, ACD, agi_port, sim.ami_port)
    try:
        first = await start_service(settings)
        try:
            e2e = E2E(sim, first, settings)
            await seed_customers(first)
            await e2e.add_user("admin", "admin")
            # Not listed: the default flow, the hotline, which is open at every hour.
            assert (await _path_of(e2e, "300"))[0] == "check_hours"

            def route_300(document: Document) -> None:
                document["dialled_numbers"]["300"] = "after_hours"

            stored = await _change(e2e, route_300)
            assert stored["summary"] == 'dialled_numbers.300 added: "after_hours"'
            assert (await _path_of(e2e, "300"))[0] == "closed"

            # A holiday today (in the center's zone) closes the hotline for the next caller.
            today = dt.datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()

            def holiday(document: Document) -> None:
                document["calendars"]["hotline"]["holidays"].append(today)

            await _change(e2e, holiday)
            path = await _path_of(e2e, "100")
            assert path[0] == "check_hours"
            assert any("after_hours" in node for node in path[1:])

            # A number for a flow the IVR does not have: refused, the key named, nothing kept.
            def unknown_flow(document: Document) -> None:
                document["dialled_numbers"]["400"] = "no_such_flow"

            refused = await _change(e2e, unknown_flow, status=422)
            (detail,) = refused["error"]["details"]
            assert detail["field"] == "document.dialled_numbers.400"
            assert "no flow 'no_such_flow'" in detail["problem"]

            def categories(document: Document) -> None:
                document["ticket_categories"]["warranty"] = 120
                document["dispositions"].append("warranty-claim")

            await _change(e2e, categories)
            await e2e.add_user("agent1", "agent")
            desk = await _bootstrap(e2e, "agent1")
            assert "warranty" in desk["ticket_categories"]
            assert "warranty-claim" in desk["dispositions"]
            # A ticket of the new category is due within its 120 hours.
            context = first.backend.context
            customer = await context.customers.find_by_phone(KNOWN)
            assert customer is not None
            now = dt.datetime.now(dt.UTC)
            ticket = await context.tickets.open(
                customer_id=customer.id, category="warranty", subject="broken hinge", now=now
            )
            assert ticket.due_at - now == dt.timedelta(hours=120)
            await e2e.flush()
        finally:
            await first.stop()

        # The file still says 100 and 199 only, and no holiday: the stored version wins.
        second = await start_service(settings)
        try:
            e2e = E2E(sim, second, settings)
            assert (await _path_of(e2e, "300"))[0] == "closed"
            path = await _path_of(e2e, "100")
            assert any("after_hours" in node for node in path[1:])
            await e2e.flush()
        finally:
            await second.stop()
    finally:
        await sim.close()


async def test_given_a_version_stored_before_the_center_sections_when_started_then_they_come_from_the_file(  # noqa: E501
    tmp_path: Path,
) -> None:
    agi_port = await free_port()
    sim = PbxSimulator(agi_port=agi_port, secret=SECRET, options=SimOptions(prompt_s=0.05))
    await sim.start()
    settings = e2e_settings(tmp_path, ACD, agi_port, sim.ami_port)
    # As an older release stored it: the ACD's keys only.
    engine = make_engine(settings.database.url)
    try:
        await upgrade(engine)
        legacy = {k: v for k, v in as_document(ACD).items() if k in AcdSettings.model_fields}
        versions = ConfigVersions(make_sessions(engine))
        await versions._store(legacy, "seed", "an older release")
    finally:
        await engine.dispose()
    try:
        service = await start_service(settings)
        try:
            current = await service.backend.context.config_versions.current()
            assert current is not None
            assert (current.version, current.author) == (2, "seed")
            assert current.comment.startswith("from the settings file: alerts, calendars")
            assert current.document["dialled_numbers"] == {
                "100": "main_hotline",
                "199": "after_hours",
            }
            assert "hotline" in current.document["calendars"]
            # The ACD part did not change.
            assert [str(c) for c in current.changes if c.path.startswith("queues")] == []
            e2e = E2E(sim, service, settings)
            assert (await _path_of(e2e, "199"))[0] == "closed"
            await e2e.flush()
        finally:
            await service.stop()
    finally:
        await sim.close()


async def test_given_a_queue_closed_by_its_hours_when_a_caller_reaches_it_then_voicemail_at_once(
    tmp_path: Path,
) -> None:
    general = QueueSettings(
        name="general", ring_timeout_seconds=5, wrap_up_seconds=1, overflow={"kind": "voicemail"}
    )
    acd = AcdSettings(
        queues=(general,), agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),)
    )
    phones = [AgentPhone("agent1", answer_after_s=0.2, talk_s=0.3)]
    async with running(tmp_path, acd, phones) as e2e:
        await e2e.add_user("admin", "admin")

        def closed(document: Document) -> None:
            # A calendar with no hours at all: the queue is closed now, whatever the time.
            document["calendars"]["night"] = {"weekly": {}, "holidays": []}
            document["queue_hours"] = {"general": "night"}

        await _change(e2e, closed)
        host = e2e.service.backend.center.host
        await e2e.until(lambda: not host.acd.queue_stats("general", host.now()).open)
        # The hotline itself is open (its own calendar): the caller asks for an agent.
        steps = (Press("0"), Press("#", after_s=1.0))
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=steps))
        record = await call.done
        assert "vm-intro" in record.prompts
        assert record.agents_rung == []  # agent1 was ready, but the queue is closed
        await e2e.flush()
        kinds = [
            (event.kind, event.data.get("reason")) for event in await e2e.events(call.uniqueid)
        ]
        assert ("overflow", "closed") in kinds

        def reopened(document: Document) -> None:
            document["queue_hours"] = {}

        await _change(e2e, reopened)
        await e2e.until(lambda: host.acd.queue_stats("general", host.now()).open)
        # The message left while closed is work now: offered to agent1 first (on the desk,
        # no phone rings), who accepts and closes it (issue 17); then the next caller.
        entry = f"vm-{call.uniqueid}"
        await e2e.until(
            lambda: (v := host.acd.call_view(entry, host.now())) and v.agent_id == "agent1"
        )
        await e2e.add_user("agent1", "agent")
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            csrf = await e2e.web_login(http, "agent1")
            url = f"{e2e.web_url}/api/voicemail-work/{entry}/accept"
            async with http.post(url, headers=csrf) as response:
                assert response.status == 200, await response.text()
                message = await response.json()
            url = f"{e2e.web_url}/api/voicemails/{message['id']}/close"
            async with http.post(url, headers=csrf, json={"disposition": "order"}) as response:
                assert response.status == 200, await response.text()
        await e2e.until(lambda: e2e.state("agent1") is AgentState.READY, timeout=5)
        answered = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Press("0"),)))
        await e2e.until(lambda: answered.record.bridged_to is not None)
        assert "agent1" in (answered.record.bridged_to or "")
        await e2e.flush()
