"""The FastAGI server cannot be starved or fed by strangers (issue 14, item 4).

A real FastAGIServer over loopback: a peer outside `allowed_peers` is closed at once, a
connection that sends no environment is closed after `env_timeout` and never takes a call
slot, the oldest silent connection makes room for a new one, one address gets at most
`max_sessions_per_peer` calls, and a refusal is logged with the address only (once per
address and reason in a while, with the count). Linux routes all of 127.0.0.0/8 to the
loopback, so a second peer is a client bound to 127.0.0.2. Timeouts are tiny.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from structlog.testing import capture_logs

from callcenter.agi import AGIHangup, AGISession, SessionOutcome
from callcenter.agi.server import parse_networks
from callcenter.agi.transcript import Expect, ExpectClose, Send, replay_steps
from callcenter.app.settings import Settings, SettingsError, load_settings
from tests.agi_fixtures import (
    TIMEOUT,
    ServerFactory,
    ServerPool,
    answer_then,
    environment,
    read_until_closed,
    recording,
    s1_ivr,
)

OTHER = "127.0.0.2"
ENV = environment(recording("agi-s1-"))


@pytest.fixture
async def serve() -> AsyncIterator[ServerFactory]:
    pool = ServerPool()
    yield pool.start
    await pool.close()


async def connect(
    port: int, source: str = "127.0.0.1"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


async def call(
    port: int, source: str = "127.0.0.1"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A call that is held: the environment, then the answer to the server's ANSWER."""
    reader, writer = await connect(port, source)
    writer.write(ENV)
    async with asyncio.timeout(TIMEOUT):
        assert await reader.readline() == b"ANSWER\n"
    writer.write(b"200 result=0\n")
    return reader, writer


async def s1_call(port: int, source: str = "127.0.0.1") -> None:
    """The recorded s1 call, played from `source`."""
    reader, writer = await connect(port, source)
    try:
        async with asyncio.timeout(TIMEOUT):
            for step in replay_steps(recording("agi-s1-")):
                if isinstance(step, Send):
                    writer.write(step.data)
                elif isinstance(step, Expect):
                    assert await reader.readline() == step.data
                elif isinstance(step, ExpectClose):
                    assert await reader.read(1) == b""
    finally:
        writer.close()


async def closed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    data = await read_until_closed(reader)
    writer.close()
    return data == b""


def refusals(logs: list[dict[str, object]]) -> list[dict[str, object]]:
    return [e for e in logs if e["event"] == "agi.connection_refused"]


async def test_given_a_peer_not_allowed_then_it_is_closed_at_once_counted_and_logged_by_address(
    serve: ServerFactory,
) -> None:
    server, observer = await serve({"ivr": s1_ivr}, allowed_peers=[f"{OTHER}/32", "10.0.0.0/8"])
    with capture_logs() as logs:
        reader, writer = await connect(server.port)
        writer.write(ENV)
        assert await closed(reader, writer)
        refused = await observer.next_end()
        await s1_call(server.port, OTHER)
        served = await observer.next_end()
    assert (refused.outcome, refused.uniqueid) == (SessionOutcome.REFUSED, "")
    assert served.outcome is SessionOutcome.COMPLETED
    assert server.counters.refused == {"peer_not_allowed": 1}
    [line] = refusals(logs)
    assert (line["peer"], line["reason"]) == ("127.0.0.1", "peer_not_allowed")
    assert set(line) == {
        "event",
        "log_level",
        "peer",
        "reason",
        "refused_meanwhile",
        "active",
        "limit",
    }


async def test_given_a_connection_that_sends_nothing_then_it_is_closed_after_the_deadline(
    serve: ServerFactory,
) -> None:
    server, observer = await serve({"ivr": s1_ivr}, env_timeout=0.05)  # idle timeout: 5 s
    with capture_logs() as logs:
        reader, writer = await connect(server.port)
        assert server.waiting_connections == 1
        assert server.active_sessions == 0  # silent: it holds no call slot
        assert await closed(reader, writer)
        ended = await observer.next_end()
    assert ended.outcome is SessionOutcome.TIMEOUT
    assert server.counters.refused == {"environment_timeout": 1}
    assert [(e["peer"], e["reason"]) for e in refusals(logs)] == [
        ("127.0.0.1", "environment_timeout")
    ]
    assert server.waiting_connections == 0


async def test_given_too_many_silent_connections_then_the_oldest_make_room_and_calls_go_on(
    serve: ServerFactory,
) -> None:
    server, observer = await serve({"ivr": s1_ivr}, max_silent=3, max_sessions=2)
    silent = [await connect(server.port) for _ in range(5)]
    assert [await closed(*s) for s in silent[:2]] == [True, True]  # the two oldest
    assert server.waiting_connections == 3
    await s1_call(server.port)  # more silent ones than call slots: the call still gets one
    # The call itself pushed one more silent connection out.
    outcomes = [(await observer.next_end()).outcome for _ in range(4)]
    assert sorted(o.value for o in outcomes) == ["completed", "refused", "refused", "refused"]
    assert server.counters.refused == {"silent": 3}
    for _, writer in silent[2:]:
        writer.close()


async def test_given_the_per_peer_cap_when_that_peer_calls_again_then_refused_and_others_are_served(
    serve: ServerFactory,
) -> None:
    release = asyncio.Event()

    async def hold(session: AGISession) -> None:
        await answer_then(session, release.wait)

    server, observer = await serve({"ivr": hold}, max_sessions=10, max_sessions_per_peer=2)
    held = [await call(server.port) for _ in range(2)]
    with capture_logs() as logs:
        reader, writer = await connect(server.port)
        writer.write(ENV)
        assert await closed(reader, writer)
    refused = await observer.next_end()
    assert refused.outcome is SessionOutcome.REFUSED
    assert [(e["peer"], e["reason"]) for e in refusals(logs)] == [("127.0.0.1", "peer_sessions")]
    held.append(await call(server.port, OTHER))  # another address has slots of its own
    assert server.active_sessions == 3
    release.set()
    for held_reader, held_writer in held:
        assert await closed(held_reader, held_writer)
    assert [(await observer.next_end()).outcome for _ in held] == [SessionOutcome.COMPLETED] * 3
    assert server.active_sessions == 0


async def test_given_many_refusals_from_one_address_then_one_log_line_and_every_one_counted(
    serve: ServerFactory,
) -> None:
    server, _ = await serve({"ivr": s1_ivr}, allowed_peers=[OTHER])
    with capture_logs() as logs:
        for _ in range(50):
            assert await closed(*await connect(server.port))
    assert server.counters.refused == {"peer_not_allowed": 50}
    assert len(refusals(logs)) == 1


@pytest.mark.parametrize(
    ("ending", "seen"), [(b"HANGUP\n", True), (b"", False)], ids=["hangup", "closed"]
)
async def test_given_a_session_that_ends_then_hangup_seen_tells_a_hangup_from_a_lost_connection(
    serve: ServerFactory, ending: bytes, seen: bool
) -> None:
    outcome: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    async def hold(session: AGISession) -> None:
        try:
            await session.exec("MusicOnHold", "default", "30")
        except AGIHangup:
            outcome.set_result(session.hangup_seen)

    server, _ = await serve({"ivr": hold})
    reader, writer = await connect(server.port)
    writer.write(ENV)
    assert (await reader.readline()).startswith(b"EXEC MusicOnHold")
    if ending:
        writer.write(ending + b"200 result=-1\n")
    else:
        writer.close()  # Asterisk gone, or a peer that never was Asterisk
    async with asyncio.timeout(TIMEOUT):
        assert await outcome is seen
    writer.close()


def test_given_allowed_peers_that_are_not_addresses_then_the_settings_name_the_entry(
    tmp_path: pytest.TempPathFactory,
) -> None:
    assert [str(n) for n in parse_networks(["127.0.0.1", "172.28.0.0/16", "::1"])] == [
        "127.0.0.1/32",
        "172.28.0.0/16",
        "::1/128",
    ]
    with pytest.raises(ValueError, match=r"'172\.28\.0\.0/33' is not an IP address or network"):
        parse_networks(["172.28.0.0/33"])
    defaults = Settings().fastagi
    assert defaults.allowed_peers == ["127.0.0.0/8", "::1", "172.28.0.0/16"]
    assert (defaults.env_timeout_s, defaults.max_sessions_per_peer) == (5.0, None)
    path = tmp_path / "callcenter.yaml"  # type: ignore[operator]
    path.write_text("fastagi:\n  allowed_peers: [10.0.0.0/8, asterisk.local]\n")
    with pytest.raises(
        SettingsError, match=r"fastagi\.allowed_peers.*'asterisk\.local' is not an IP"
    ):
        load_settings(path, require_secrets=False)
