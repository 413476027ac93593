"""The real FastAGIServer over loopback, replaying every recorded FastAGI session.

A fake Asterisk (tests/agi_fixtures.py) sends the RX bytes of a recorded session and reads
the TX bytes the server must send at that point; the server runs a handler that issues the
recording's commands through the typed helpers (and, for every recording, as raw commands).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import suppress

import pytest

from callcenter.agi import (
    AGICommandError,
    AGIHangup,
    AGISession,
    DigitsResult,
    GenericCommand,
    GetVariable,
    Handler,
    Hangup,
    SessionOutcome,
    SetVariable,
    StreamFile,
    Verbose,
)
from callcenter.agi.command_parser import parse_command
from callcenter.agi.transcript import CloseOurSide, ExpectClose, Send, replay_steps
from tests.agi_fixtures import (
    TRANSCRIPTS,
    ServerFactory,
    ServerPool,
    ivr_menu,
    recording,
    replay,
    s1_ivr,
    s7_survey,
)


@pytest.fixture
async def serve() -> AsyncIterator[ServerFactory]:
    pool = ServerPool()
    yield pool.start
    await pool.close()


# Handlers that issue each recording's commands through the typed helpers.


async def after_bridge(session: AGISession, *, expect_value: str) -> None:
    """What the recordings sent once the channel was gone: allowed reads, then a 511."""
    value = await session.command(GetVariable("CALLERID(num)"), after_hangup=True)
    assert value.data == expect_value
    with pytest.raises(AGIHangup) as dead:
        await session.command(Hangup(), after_hangup=True)
    assert dead.value.response is not None
    assert dead.value.response.code == 511


async def s2_dial(session: AGISession) -> None:
    await ivr_menu(session)
    agent = f"PJSIP/agent{int(session.request.extension) + 900}"
    with pytest.raises(AGIHangup):
        await session.exec("Dial", agent, "20")
    assert session.hung_up
    status = await session.command(GetVariable("DIALSTATUS"), after_hangup=True)
    assert status.data == "ANSWER"
    with pytest.raises(AGIHangup, match="dead"):
        await session.command(Hangup(), after_hangup=True)


async def s3_dead_channel(session: AGISession) -> None:
    await session.answer()
    with pytest.raises(AGIHangup) as hung_up:
        await session.stream_file("tt-monkeys")
    assert hung_up.value.response is not None
    assert hung_up.value.response.endpos == 27680
    caller = await session.command(GetVariable("CALLERID(num)"), after_hangup=True)
    assert caller.data == session.request.caller_number
    with pytest.raises(AGIHangup):
        await session.command(StreamFile("beep"), after_hangup=True)
    await session.command(SetVariable("AFTER_HANGUP", "1"), after_hangup=True)
    await session.command(Verbose("after hangup"), after_hangup=True)
    with pytest.raises(AGIHangup):
        await session.command(Hangup(), after_hangup=True)


async def s4_redirected(session: AGISession) -> None:
    await session.answer()
    with pytest.raises(AGIHangup):
        await session.wait_for_digit(2000)
    caller = await session.command(GetVariable("CALLERID(num)"), after_hangup=True)
    assert caller.data == session.request.caller_number


MOH_SECONDS = {"400": "30", "700": "30", "1000": "60"}


async def bridged_from_hold(session: AGISession) -> None:
    await session.answer()
    with pytest.raises(AGIHangup):
        await session.exec("MusicOnHold", "default", MOH_SECONDS[session.request.extension])
    await after_bridge(session, expect_value="")


async def s8_errors(session: AGISession) -> None:
    assert await session.get_data("beep", 2000, 4) == DigitsResult("", timed_out=True)
    assert await session.wait_for_digit(1000) is None
    with pytest.raises(AGICommandError, match="could not be played"):
        await session.stream_file("no-such-file-xyz")
    with pytest.raises(AGICommandError) as unknown:
        await session.command(GenericCommand("FOO BAR"))
    assert unknown.value.response.code == 510
    with pytest.raises(AGICommandError) as usage:
        await session.command(GenericCommand("GET DATA"))
    assert usage.value.response.code == 520
    assert len(usage.value.response.text.split("\n")) == 4
    assert await session.say_number(42) is None
    assert await session.say_digits("123") is None
    await session.hangup()


async def s9_not_answered(session: AGISession) -> None:
    await session.answer()
    assert (await session.exec("MusicOnHold", "default", "20")).result == "0"
    assert await session.get_variable("CALLERID(num)") == session.request.caller_number
    await session.hangup()


async def s11_load(session: AGISession) -> None:
    await session.answer()
    assert await session.stream_file("demo-congrats", "0123456789#*") == "1"
    assert (await session.get_data("beep", 3000, 2)).digits == "42"
    await session.exec("MusicOnHold", "default", "3")
    with pytest.raises(AGIHangup):
        await session.exec("MusicOnHold", "default", "30")
    await after_bridge(session, expect_value="")


SCENARIOS: dict[str, Handler] = {
    "agi-s1-": s1_ivr,
    "agi-s2-": s2_dial,
    "agi-s3-": s3_dead_channel,
    "agi-s4-": s4_redirected,
    "agi-s5-": bridged_from_hold,
    "agi-s5b-": bridged_from_hold,
    "agi-s7-survey-after-agent-hangup-700": bridged_from_hold,
    "agi-s7-survey-after-agent-hangup-s-": s7_survey,
    "agi-s8-": s8_errors,
    "agi-s9-": s9_not_answered,
    "agi-s10-": bridged_from_hold,
    "agi-s11-": s11_load,
}
TYPED_CASES = [
    (name, handler)
    for name in TRANSCRIPTS
    for prefix, handler in SCENARIOS.items()
    if name.startswith(prefix)
]


def test_every_current_recording_has_a_typed_handler() -> None:
    assert len(TRANSCRIPTS) >= 24
    assert {name for name, _ in TYPED_CASES} == set(TRANSCRIPTS)


@pytest.mark.parametrize(("name", "handler"), TYPED_CASES, ids=[n for n, _ in TYPED_CASES])
async def test_given_a_recording_when_replayed_then_typed_helpers_send_the_same_bytes(
    serve: ServerFactory, name: str, handler: Handler
) -> None:
    server, observer = await serve({"ivr": handler, "survey": handler})
    await replay(server.port, replay_steps(TRANSCRIPTS[name]))
    ended = await observer.next_end()
    assert ended.outcome is SessionOutcome.COMPLETED
    assert (
        ended.uniqueid == TRANSCRIPTS[name].rx.split(b"agi_uniqueid: ")[1].split(b"\n")[0].decode()
    )
    assert ended.commands == sum(1 for row in TRANSCRIPTS[name].rows if row.kind == "TX")
    assert server.active_sessions == 0


@pytest.mark.parametrize("name", list(TRANSCRIPTS))
async def test_given_any_recording_when_its_commands_are_sent_raw_then_bytes_match(
    serve: ServerFactory, name: str
) -> None:
    commands = [parse_command(row.data) for row in TRANSCRIPTS[name].rows if row.kind == "TX"]

    async def raw(session: AGISession) -> None:
        for command in commands:
            with suppress(AGICommandError, AGIHangup):
                await session.command(command, after_hangup=True)

    server, observer = await serve({"ivr": raw, "survey": raw})
    await replay(server.port, replay_steps(TRANSCRIPTS[name]))
    assert (await observer.next_end()).outcome is SessionOutcome.COMPLETED


async def test_given_s3_when_the_caller_hangs_up_during_stream_file_then_later_calls_do_no_io(
    serve: ServerFactory,
) -> None:
    seen: list[str] = []

    async def handler(session: AGISession) -> None:
        await session.answer()
        with pytest.raises(AGIHangup):
            await session.stream_file("tt-monkeys")
        sent = session.commands_sent
        for later in (
            session.get_variable("CALLERID(num)"),
            session.stream_file("beep"),
            session.set_variable("AFTER_HANGUP", "1"),
            session.verbose("after hangup"),
        ):
            with pytest.raises(AGIHangup, match="already hung up"):
                await later
            seen.append("refused")
        await session.hangup()
        assert session.commands_sent == sent
        await session.answer()

    server, observer = await serve({"ivr": handler})
    steps = replay_steps(recording("agi-s3-"))
    cut = steps.index(Send(b"200 result=-1 endpos=27680\n")) + 1
    await replay(server.port, [*steps[:cut], ExpectClose(), Send(b"HANGUP\n"), CloseOurSide()])
    ended = await observer.next_end()
    assert ended.outcome is SessionOutcome.HANGUP
    assert ended.commands == 2
    assert seen == ["refused"] * 4
