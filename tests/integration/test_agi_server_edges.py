"""The real FastAGIServer over loopback at its edges.

Connect-and-close clients, peers that are not Asterisk, the concurrency bound, the idle
and command timeouts, an unknown script, a failing handler or observer, the prompt close,
shutdown, and the helpers the recordings do not exercise. Timeouts are set tiny; nothing
sleeps real seconds.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import socket
import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog

from callcenter.agi import (
    AGICodec,
    AGICommandError,
    AGIConnectionError,
    AGIHangup,
    AGIPlaybackFailed,
    AGISession,
    AGITimeoutError,
    DigitsResult,
    FastAGIServer,
    LocalProtocolError,
    RecordResult,
    SessionEvent,
    SessionOutcome,
)
from callcenter.agi.stream import AGIStream
from callcenter.agi.transcript import replay_steps
from tests.agi_fixtures import (
    TIMEOUT,
    ServerFactory,
    ServerPool,
    answer_then,
    environment,
    read_until_closed,
    recording,
    replay,
    s1_ivr,
    s7_survey,
    scripted,
    start_call,
)


@pytest.fixture
async def serve() -> AsyncIterator[ServerFactory]:
    pool = ServerPool()
    yield pool.start
    await pool.close()


# The edges: clients that misbehave, bounds, failures, closing.


@pytest.mark.parametrize("reset", [False, True], ids=["fin", "rst"])
async def test_given_clients_that_connect_and_close_at_once_then_the_server_stays_responsive(
    serve: ServerFactory, reset: bool
) -> None:
    loop_errors: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _, context: loop_errors.append(context))
    server, observer = await serve({"ivr": s1_ivr})
    for _ in range(50):
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)
        if reset:
            writer.get_extra_info("socket").setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
        writer.close()
        await writer.wait_closed()
    await replay(server.port, replay_steps(recording("agi-s1-")))
    outcomes = [(await observer.next_end()).outcome for _ in range(51)]
    assert outcomes.count(SessionOutcome.CLOSED_EARLY) == 50
    assert outcomes.count(SessionOutcome.COMPLETED) == 1
    gc.collect()
    assert loop_errors == []


@pytest.mark.parametrize(
    ("data", "outcome"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", SessionOutcome.PROTOCOL_ERROR),
        (b"agi_network: yes\nagi_channel: PJSIP/x", SessionOutcome.PROTOCOL_ERROR),
        (b"agi_" + b"x" * 20000, SessionOutcome.PROTOCOL_ERROR),
    ],
    ids=["http-probe", "half-environment", "endless-line"],
)
async def test_given_a_peer_that_is_not_asterisk_then_it_is_closed_and_logged(
    serve: ServerFactory, data: bytes, outcome: SessionOutcome
) -> None:
    server, observer = await serve({"ivr": s1_ivr}, max_line_bytes=8192)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(data)
    writer.write_eof()
    assert await read_until_closed(reader) == b""
    writer.close()
    assert (await observer.next_end()).outcome is outcome


async def test_given_the_session_bound_when_one_more_call_comes_then_it_is_closed_at_once(
    serve: ServerFactory,
) -> None:
    release = asyncio.Event()

    async def hold(session: AGISession) -> None:
        await answer_then(session, release.wait)

    server, observer = await serve({"ivr": hold}, max_sessions=2)
    env = environment(recording("agi-s1-"))
    held = [await start_call(server.port, env) for _ in range(2)]
    assert server.active_sessions == 2

    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(env)
    assert await read_until_closed(reader) == b""
    writer.close()
    refused = await observer.next_end()
    assert refused.outcome is SessionOutcome.REFUSED
    assert server.active_sessions == 2

    release.set()
    for held_reader, held_writer in held:
        assert await read_until_closed(held_reader) == b""
        held_writer.close()
    ends = [(await observer.next_end()).outcome for _ in held]
    assert ends == [SessionOutcome.COMPLETED] * 2
    assert server.counters.outcomes[SessionOutcome.REFUSED] == 1


async def test_given_a_silent_peer_when_idle_timeout_passes_then_it_is_closed(
    serve: ServerFactory,
) -> None:
    server, observer = await serve({"ivr": s1_ivr}, idle_timeout=0.05)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    assert await read_until_closed(reader) == b""
    writer.close()
    assert (await observer.next_end()).outcome is SessionOutcome.TIMEOUT


@pytest.mark.parametrize(
    "timeouts",
    [{"idle_timeout": 0.05}, {"idle_timeout": TIMEOUT, "command_timeout": 0.05}],
    ids=["idle", "command"],
)
async def test_given_asterisk_never_replies_then_the_handler_times_out_and_the_socket_closes(
    serve: ServerFactory, timeouts: dict[str, float]
) -> None:
    server, observer = await serve({"ivr": s1_ivr}, **timeouts)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(environment(recording("agi-s1-")))
    assert await read_until_closed(reader) == b"ANSWER\n"
    writer.close()
    ended = await observer.next_end()
    assert ended.outcome is SessionOutcome.TIMEOUT
    assert ended.commands == 1


async def test_given_an_unknown_script_then_a_clean_close_and_a_log_event(
    serve: ServerFactory,
) -> None:
    server, observer = await serve({"ivr": s1_ivr})
    with structlog.testing.capture_logs(
        processors=[structlog.contextvars.merge_contextvars]
    ) as logs:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(environment(recording("agi-s1-"), script="no-such-flow"))
        assert await read_until_closed(reader) == b""
        writer.close()
        ended = await observer.next_end()
    assert ended.outcome is SessionOutcome.UNROUTED
    unknown = next(entry for entry in logs if entry["event"] == "agi.unknown_script")
    assert unknown["script"] == "no-such-flow"
    assert unknown["uniqueid"] == ended.uniqueid


async def test_given_a_handler_that_raises_then_it_is_logged_and_the_server_goes_on(
    serve: ServerFactory,
) -> None:
    async def broken(session: AGISession) -> None:
        await session.answer()
        raise RuntimeError("flow bug")

    server, observer = await serve({"ivr": broken, "survey": s7_survey})
    transcript = recording("agi-s1-")
    with structlog.testing.capture_logs(
        processors=[structlog.contextvars.merge_contextvars]
    ) as logs:
        reader, writer = await start_call(server.port, environment(transcript))
        assert await read_until_closed(reader) == b""
        writer.close()
        ended = await observer.next_end()
    assert ended.outcome is SessionOutcome.HANDLER_ERROR
    failure = next(entry for entry in logs if entry["event"] == "agi.handler_failed")
    assert failure["exc_info"] is True
    assert failure["uniqueid"] == ended.uniqueid
    assert failure["channel"] == ended.channel
    assert failure["script"] == "ivr"
    caller_number = environment(transcript).split(b"agi_callerid: ")[1].split(b"\n")[0].decode()
    assert caller_number not in repr(logs)

    await replay(server.port, replay_steps(recording("agi-s7-survey-after-agent-hangup-s-")))
    assert (await observer.next_end()).outcome is SessionOutcome.COMPLETED


async def test_given_the_handler_ends_then_the_socket_is_closed_without_waiting_for_linger(
    serve: ServerFactory,
) -> None:
    async def short(session: AGISession) -> None:
        await session.answer()

    server, observer = await serve({"ivr": short}, close_linger=60.0)
    reader, writer = await start_call(server.port, environment(recording("agi-s1-")))
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await read_until_closed(reader) == b""
    writer.write(b"HANGUP\n")
    writer.close()
    ended = await observer.next_end()
    assert loop.time() - started < 1.0
    assert ended.outcome is SessionOutcome.COMPLETED


async def test_given_a_peer_that_never_closes_then_the_server_closes_after_the_linger(
    serve: ServerFactory,
) -> None:
    async def short(session: AGISession) -> None:
        await session.answer()

    server, observer = await serve({"ivr": short}, close_linger=0.05)
    reader, writer = await start_call(server.port, environment(recording("agi-s1-")))
    assert await read_until_closed(reader) == b""
    assert (await observer.next_end()).outcome is SessionOutcome.COMPLETED
    assert server.active_sessions == 0
    writer.close()


async def test_given_a_failing_observer_then_calls_still_complete(serve: ServerFactory) -> None:
    def explode(event: SessionEvent) -> None:
        raise RuntimeError("metrics down")

    server = FastAGIServer(port=0, observer=explode)
    server.route("/ivr", s1_ivr)
    async with server:
        await replay(server.port, replay_steps(recording("agi-s1-")))
    assert server.active_sessions == 0
    assert server.counters.outcomes[SessionOutcome.COMPLETED] == 1


async def test_given_running_calls_when_the_server_closes_then_grace_then_cancel(
    serve: ServerFactory,
) -> None:
    never = asyncio.Event()

    async def stuck(session: AGISession) -> None:
        await answer_then(session, never.wait)

    server, observer = await serve({"ivr": stuck})
    port = server.port
    reader, writer = await start_call(port, environment(recording("agi-s1-")))
    assert server.active_sessions == 1
    async with asyncio.timeout(TIMEOUT):
        await server.close(grace=0.05)
    assert (await observer.next_end()).outcome is SessionOutcome.CANCELLED
    assert await read_until_closed(reader) == b""
    writer.close()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)


def test_routes_are_unique_and_the_port_needs_a_start() -> None:
    server = FastAGIServer(port=0)
    server.route("/ivr", s1_ivr)
    with pytest.raises(ValueError, match="already"):
        server.route("ivr/", s1_ivr)
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.port


class ResetTransport(asyncio.Transport):
    """A transport whose peer has reset the connection before our half-close."""

    def __init__(self) -> None:
        super().__init__()
        self.aborted = False

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        raise OSError(errno.ENOTCONN, "Transport endpoint is not connected")

    def is_closing(self) -> bool:
        return self.aborted

    def abort(self) -> None:
        self.aborted = True


async def test_given_a_reset_before_our_half_close_then_closing_drops_the_socket_quietly() -> None:
    stream = AGIStream(AGICodec(), idle_timeout=1.0, on_connect=lambda _: None, max_buffered=1024)
    transport = ResetTransport()
    stream.connection_made(transport)
    await stream.close(linger=0.05)
    assert transport.aborted


# Helpers the recordings do not exercise, against replies res_agi.c documents.


async def test_helpers_decode_digits_dates_recordings_and_errors(serve: ServerFactory) -> None:
    async def handler(session: AGISession) -> None:
        assert await session.say_date(1700000000, "#") == "#"
        assert await session.get_variable("NOT_SET") is None
        with pytest.raises(AGICommandError, match="NoSuchApp"):
            await session.exec("NoSuchApp")
        recorded = await session.record_file("vm/1", escape_digits="#", timeout_ms=30000)
        assert recorded == RecordResult(reason="dtmf", digit="#", endpos=8000)
        assert await session.channel_status() == 4
        await session.hangup()

    server, observer = await serve({"ivr": handler})
    steps = scripted(
        [
            (b'SAY DATE 1700000000 "#"\n', b"200 result=35\n"),
            (b"GET VARIABLE NOT_SET\n", b"200 result=0\n"),
            (b"EXEC NoSuchApp\n", b"200 result=-2\n"),
            (b'RECORD FILE vm/1 wav "#" 30000 BEEP\n', b"200 result=35 (dtmf) endpos=8000\n"),
            (b"CHANNEL STATUS\n", b"200 result=4\n"),
            (b"HANGUP\n", b"200 result=1\n"),
        ]
    )
    await replay(server.port, steps)
    assert (await observer.next_end()).outcome is SessionOutcome.COMPLETED


async def test_given_a_voicemail_ended_by_hangup_then_the_recording_returns_and_calls_stop(
    serve: ServerFactory,
) -> None:
    async def handler(session: AGISession) -> None:
        recorded = await session.record_file("vm/2", silence_s=3)
        assert recorded.hung_up
        assert recorded.endpos == 16000
        await session.say_number(1)

    server, observer = await serve({"ivr": handler})
    steps = scripted(
        [
            (
                b'RECORD FILE vm/2 wav "#" -1 BEEP s=3\n',
                b"HANGUP\n200 result=-1 (hangup) endpos=16000\n",
            )
        ]
    )
    await replay(server.port, steps)
    ended = await observer.next_end()
    assert ended.outcome is SessionOutcome.HANGUP
    assert ended.commands == 1


async def test_given_a_timed_out_command_then_the_session_is_closed_for_later_commands(
    serve: ServerFactory,
) -> None:
    async def handler(session: AGISession) -> None:
        with pytest.raises(AGITimeoutError):
            await session.answer()
        with pytest.raises(AGIConnectionError, match="closed"):
            await session.verbose("still there?")

    server, observer = await serve({"ivr": handler}, command_timeout=0.05)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(environment(recording("agi-s1-")))
    assert await read_until_closed(reader) == b"ANSWER\n"
    writer.close()
    assert (await observer.next_end()).outcome is SessionOutcome.COMPLETED


async def test_given_a_command_in_flight_when_another_task_sends_then_it_is_refused(
    serve: ServerFactory,
) -> None:
    async def handler(session: AGISession) -> None:
        first = asyncio.create_task(session.answer())
        await asyncio.sleep(0)
        with pytest.raises(LocalProtocolError, match="already waiting"):
            await session.verbose("second")
        await first

    server, observer = await serve({"ivr": handler})
    await replay(server.port, scripted([(b"ANSWER\n", b"200 result=0\n")]))
    assert (await observer.next_end()).outcome is SessionOutcome.COMPLETED


async def test_given_a_hangup_between_commands_then_the_next_helper_raises_without_io(
    serve: ServerFactory,
) -> None:
    async def handler(session: AGISession) -> None:
        await session.answer()
        with pytest.raises(AGIHangup, match="already hung up"):
            await session.stream_file("welcome")
        assert session.commands_sent == 1

    server, observer = await serve({"ivr": handler})
    await replay(server.port, scripted([(b"ANSWER\n", b"200 result=0\nHANGUP\n")]))
    ended = await observer.next_end()
    assert ended.outcome is SessionOutcome.COMPLETED
    assert ended.commands == 1


# GET DATA's -1: a missing prompt on a live channel, or a hang-up (res_agi.c handle_getdata).

DEAD = b"511 Command Not Permitted on a dead channel or intercept routine\n"


async def test_given_a_missing_get_data_prompt_then_the_channel_is_asked_and_the_call_goes_on(
    serve: ServerFactory,
) -> None:
    async def handler(session: AGISession) -> None:
        with pytest.raises(AGIPlaybackFailed) as failed:
            await session.get_data("custom/enter-account", 6000, 10)
        assert failed.value.sound == "custom/enter-account"
        assert not session.hung_up
        assert await session.get_data("", 6000, 10) == DigitsResult("4711", timed_out=False)
        await session.hangup()

    server, observer = await serve({"ivr": handler})
    steps = scripted(
        [
            (b"GET DATA custom/enter-account 6000 10\n", b"200 result=-1\n"),
            (b"CHANNEL STATUS\n", b"200 result=6\n"),
            (b'GET DATA "" 6000 10\n', b"200 result=4711\n"),
            (b"HANGUP\n", b"200 result=1\n"),
        ]
    )
    await replay(server.port, steps)
    assert (await observer.next_end()).outcome is SessionOutcome.COMPLETED


@pytest.mark.parametrize(
    "after_minus_one",
    [
        # The HANGUP line is written before Asterisk reads the next command ...
        [(b"CHANNEL STATUS\n", b"HANGUP\n" + DEAD)],
        # ... or it came with the -1 already: then nothing more is asked.
        [],
    ],
    ids=["hangup-line-late", "hangup-line-with-reply"],
)
async def test_given_a_hang_up_during_get_data_then_it_is_a_hang_up_not_a_missing_prompt(
    serve: ServerFactory, after_minus_one: list[tuple[bytes, bytes]]
) -> None:
    async def handler(session: AGISession) -> None:
        with pytest.raises(AGIHangup):
            await session.get_data("custom/enter-account", 6000, 10)
        assert session.hung_up

    server, observer = await serve({"ivr": handler})
    reply = b"200 result=-1\n" + (b"" if after_minus_one else b"HANGUP\n")
    steps = scripted([(b"GET DATA custom/enter-account 6000 10\n", reply), *after_minus_one])
    await replay(server.port, steps)
    ended = await observer.next_end()
    assert ended.commands == 1 + len(after_minus_one)
