"""A flow uploaded while calls run (issue 16): the next call takes the new version at once,
a call already in the flow finishes on the version it started with."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from acd import AcdSettings, QueueSettings
from callcenter.sim import CallerScript, PbxSimulator, Press, Silence, SimOptions
from tests.e2e.harness import (
    KNOWN,
    SECRET,
    STANDARD,
    e2e_settings,
    free_port,
    running,
    start_service,
)

GENERAL = QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=0.5)
OLD_THANKS = "custom/callback-next-day"
NEW_THANKS = "custom/callback-confirmed"


def callback_request(number: str) -> CallerScript:
    """After hours (199): both closing prompts play out, 2 asks for a callback (pressed a
    while into the menu, so the call is in the flow when the new version arrives), 1 to
    this number; the flow then thanks the caller and hangs up."""
    steps = (Silence(), Silence(), Press("2", after_s=2.0), Press("1"))
    return CallerScript(number, dialled="199", steps=steps)


async def test_given_a_call_in_a_flow_when_a_new_version_is_uploaded_then_only_new_calls_take_it(
    tmp_path: Path,
) -> None:
    async with (
        running(tmp_path, AcdSettings(queues=(GENERAL,)), []) as e2e,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        await e2e.add_user("ada", "admin")
        csrf = await e2e.web_login(http, "ada")
        base = f"{e2e.web_url}/api/flows/after_hours"
        async with http.get(f"{base}/versions/1") as response:
            old = (await response.json())["text"]
        new = old.replace(f"prompts: {OLD_THANKS}", f"prompts: {NEW_THANKS}", 1)
        assert new != old

        in_progress = await e2e.sim.place_call(callback_request(KNOWN))
        await e2e.until(lambda: "custom/after-hours-menu" in in_progress.record.prompts)
        body = {"text": new, "comment": "a shorter thank-you", "base_version": 1}
        async with http.put(base, json=body, headers=csrf) as response:
            stored = await response.json()
            assert response.status == 200, stored
        assert (stored["version"], stored["active"]) == (2, True)
        assert not in_progress.done.done()  # still at the menu of the flow it started in

        after = await e2e.sim.place_call(callback_request(STANDARD[0]))
        new_record = await after.done
        old_record = await in_progress.done

        assert NEW_THANKS in new_record.prompts
        assert OLD_THANKS not in new_record.prompts
        assert OLD_THANKS in old_record.prompts
        assert NEW_THANKS not in old_record.prompts
        # Both callers' requests were taken: each flow ran to its end.
        requests = await e2e.service.backend.context.callbacks.list()
        assert sorted(r.number for r in requests) == sorted([KNOWN, STANDARD[0]])


async def test_given_an_uploaded_version_when_the_service_restarts_then_it_runs_it_not_the_file(
    tmp_path: Path,
) -> None:
    agi_port = await free_port()
    sim = PbxSimulator(
        agi_port=agi_port, secret=SECRET, options=SimOptions(prompt_s=0.05, agi_close_timeout_s=5)
    )
    await sim.start()
    settings = e2e_settings(tmp_path, AcdSettings(queues=(GENERAL,)), agi_port, sim.ami_port)
    try:
        first = await start_service(settings)
        try:
            old = (await first.catalog.store.get("after_hours")).text
            new = old.replace(f"prompts: {OLD_THANKS}", f"prompts: {NEW_THANKS}", 1)
            stored = await first.catalog.upload("after_hours", new, "ada", base_version=1)
            assert stored.version == 2
        finally:
            await first.stop()

        # The stored version wins over the file, which only seeded the database: even a
        # file broken meanwhile does not keep the service from starting.
        file = settings.ivr.flows_dir / "after_hours.yaml"
        file.write_text(file.read_text().replace("type: menu", "type: meun", 1))
        second = await start_service(settings)
        try:
            active = await second.catalog.store.active()
            assert active["after_hours"].version == 2
            call = await sim.place_call(callback_request(KNOWN))
            record = await call.done
            assert NEW_THANKS in record.prompts
            assert OLD_THANKS not in record.prompts
        finally:
            await second.stop()
    finally:
        await sim.close()
