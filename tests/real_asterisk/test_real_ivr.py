"""Calls that end in the IVR, on a real Asterisk 22: every contact leaves a record.

Callers press keys while a given prompt plays: the tests know how long each of the
product's prompts is (`prompts.seconds`), as Asterisk plays them in real time.
"""

from __future__ import annotations

from pathlib import Path

from structlog.testing import capture_logs

from acd import AcdSettings, AgentSettings, QueueSettings
from tests.e2e.harness import STANDARD
from tests.real_asterisk.harness import center
from tests.real_asterisk.prompts import digits, seconds
from tests.real_asterisk.sipp import Answer, Press, Wait

SKILLS = {"lang-de": 3, "lang-en": 3}


def one_queue() -> AcdSettings:
    queue = QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=1)
    agent = AgentSettings(id="agent1", queues=("general",), skills=SKILLS)
    return AcdSettings(queues=(queue,), agents=(agent,))


async def test_given_an_order_number_when_the_ivr_reads_its_status_then_it_is_self_service(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("order,status,date\n100100,delivered,2026-11-12\n")
    async with center(
        tmp_path, one_queue(), sounds=sounds, ready=(), ivr={"orders_file": orders}
    ) as pbx:
        # A known German caller: greeted by name, then the menu (1: order status).
        menu = seconds(sounds[0], "de", "custom/welcome-back") + 1.5
        caller = await pbx.call(
            STANDARD[1],
            [Wait(menu), Press("1", info=True), Wait(1.5), Press("100100#", info=True), Wait(6)],
        )
        assert await caller.finished(60) == 0
        [row] = await pbx.interactions()
        assert row.outcome == "self_service", row.ivr_path
        assert "find_order" in row.ivr_path
        assert row.queue is None
        assert await pbx.events(row.uniqueid) == []  # never reached the ACD


async def test_given_a_caller_in_the_menu_when_they_hang_up_then_it_is_abandoned_in_the_ivr(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    async with center(tmp_path, one_queue(), sounds=sounds, ready=()) as pbx:
        menu = seconds(sounds[0], "de", "custom/welcome-back") + 3
        caller = await pbx.call(STANDARD[1], [Wait(menu)])
        assert await caller.finished(60) == 0
        assert caller.did("hangup")
        [row] = await pbx.until(pbx.interactions, timeout=10)
        assert row.outcome == "abandoned_in_ivr"
        assert row.ivr_path[-1] == "main_menu"
        assert await pbx.events(row.uniqueid) == []


async def test_given_after_hours_when_the_caller_leaves_a_message_then_the_file_and_record_exist(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    async with center(tmp_path, one_queue(), sounds=sounds, ready=()) as pbx:
        menu = seconds(sounds[0], "en", "custom/closed", "custom/opening-hours") + 1
        recording = seconds(sounds[0], "en", "vm-intro", "beep") + 0.5
        caller = await pbx.call(
            STANDARD[0],
            [Wait(menu), Press("1"), Wait(recording + 3), Press("#"), Wait(20)],
            hotline="199",
        )
        assert await caller.finished(60) == 0
        assert caller.did("remote_bye"), "Asterisk says goodbye and hangs up"
        [row] = await pbx.until(pbx.interactions, timeout=10)
        assert row.outcome == "voicemail"
        message = Path(row.ivr_data["voicemail.file"])
        assert message.parent == pbx.asterisk.voicemail
        assert message.name == f"general-{row.uniqueid}.wav"
        # Some 3 s of the caller's audio at 8 kHz, 16 bit, after the 44-byte header.
        assert message.stat().st_size > 44 + 2 * 8000 * 2  # noqa: ASYNC240


async def test_given_after_hours_when_the_caller_asks_for_a_callback_then_it_is_stored(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    number = STANDARD[0]
    async with center(tmp_path, one_queue(), sounds=sounds, ready=()) as pbx:
        menu = seconds(sounds[0], "en", "custom/closed", "custom/opening-hours") + 1
        confirm = seconds(
            sounds[0], "en", "custom/callback-offer", *digits(number), "custom/callback-confirm"
        )
        caller = await pbx.call(
            number,
            [Wait(menu), Press("2"), Wait(confirm + 1.5), Press("1"), Wait(20)],
            hotline="199",
        )
        assert await caller.finished(60) == 0
        [row] = await pbx.until(pbx.interactions, timeout=10)
        assert (row.outcome, row.queue) == ("callback", "general")
        requests = await pbx.service.backend.context.callbacks.list()
        assert [(r.number, r.queue, str(r.status)) for r in requests] == [
            (number, "general", "pending")
        ]


async def test_given_no_company_prompts_when_a_caller_keys_through_then_an_agent_answers(
    tmp_path: Path, sounds: tuple[Path, Path]
) -> None:
    no_prompts = tmp_path / "no-prompts"
    no_prompts.mkdir()
    phones = {"agent1": Answer(0.5, 1.0)}
    async with center(tmp_path, one_queue(), sounds=(no_prompts, sounds[1]), phones=phones) as pbx:
        with capture_logs() as logs:
            # A new caller: 1 for English, # twice to skip the account, 0 for the operator.
            keys = [Wait(1), Press("1"), Wait(1), Press("#"), Wait(1), Press("#")]
            keys += [Wait(1), Press("0"), Wait(1), Press("0"), Wait(25)]
            caller = await pbx.call("+4930999000001", keys)
            await pbx.phones["agent1"].wait_for("answer", timeout=40)
            await pbx.phones["agent1"].wait_for("hangup", timeout=10)
            await caller.stop()
        missing = {e["prompt"] for e in logs if e["event"] == "ivr.prompt_missing"}
        assert {"custom/choose-language", "custom/enter-account", "custom/main-menu"} <= missing
        row = next(r for r in await pbx.interactions() if r.queue == "general")
        assert (row.outcome, row.agent) == ("answered", "agent1")
        kinds = [event.kind for event in await pbx.events(row.uniqueid)]
        assert "abandon" not in kinds
