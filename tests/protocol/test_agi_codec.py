"""The AGI codec against every recorded FastAGI session, whole, byte by byte and in splits.

Each transcript in tests/fixtures/asterisk/agi/ (s11-sample/ included, found by glob) is
replayed through the sans-IO codec: the RX bytes go in, the TX commands are sent as typed
commands when the recording sent them, and the events must be the recording's: the
environment, each reply decoded, HANGUP notices where Asterisk wrote them, 520 whole.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from callcenter.agi import (
    NEED_DATA,
    AGICodec,
    AGIRequest,
    AGIResponse,
    CodecState,
    ConnectionClosed,
    Event,
    HangupNotice,
)
from callcenter.agi.command_parser import parse_command
from callcenter.agi.transcript import Transcript, load_transcript
from tests.agi_fixtures import fixtures_root

TRANSCRIPT_PATHS = sorted((fixtures_root() / "agi").rglob("*.txt"))

# The decoding of every reply line the recordings hold: (code, result, data, endpos).
EXPECTED_REPLIES: dict[bytes, tuple[int, str, str | None, int | None]] = {
    b"200 result=0\n": (200, "0", None, None),
    b"200 result=1\n": (200, "1", None, None),
    b"200 result=-1\n": (200, "-1", None, None),
    b"200 result=4\n": (200, "4", None, None),
    b"200 result=6\n": (200, "6", None, None),
    b"200 result=23\n": (200, "23", None, None),
    b"200 result=42\n": (200, "42", None, None),
    b"200 result=49 endpos=20000\n": (200, "49", None, 20000),
    b"200 result=49 endpos=20160\n": (200, "49", None, 20160),
    b"200 result=49 endpos=12160\n": (200, "49", None, 12160),
    b"200 result=-1 endpos=27680\n": (200, "-1", None, 27680),
    b"200 result=-1 endpos=0\n": (200, "-1", None, 0),
    b"200 result= (timeout)\n": (200, "", "timeout", None),
    b"200 result=1 ()\n": (200, "1", "", None),
    b"200 result=1 (ANSWER)\n": (200, "1", "ANSWER", None),
    **{f"200 result=1 (555000{n})\n".encode(): (200, "1", f"555000{n}", None) for n in range(1, 6)},
    b"510 Invalid or unknown command\n": (510, "", None, None),
    b"511 Command Not Permitted on a dead channel or intercept routine\n": (511, "", None, None),
}


def transcript_id(path: Path) -> str:
    return path.name.removesuffix(".txt")


def whole(data: bytes) -> list[bytes]:
    return [data]


def byte_by_byte(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def random_splits(data: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(data)), k=min(len(data) - 1, rng.randint(1, 40))))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


SPLITTERS: dict[str, Callable[[bytes], list[bytes]]] = {
    "whole": whole,
    "byte_by_byte": byte_by_byte,
    **{f"random_{seed}": partial(random_splits, seed=seed) for seed in (1, 7, 2024)},
}


class Driver:
    """Feeds a codec chunk by chunk, only when it asks for data."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.codec = AGICodec()
        self._chunks: Iterator[bytes] = iter([*chunks, b""])

    def pull(self) -> Event:
        while True:
            event = self.codec.next_event()
            if event is not NEED_DATA:
                return event
            self.codec.receive_data(next(self._chunks))


def environment_of(transcript: Transcript) -> dict[str, str]:
    env: dict[str, str] = {}
    for row in transcript.rows:
        if row.kind != "RX" or row.data == b"\n":
            if env:
                break
            continue
        key, _, value = row.data.decode().rstrip("\n").partition(": ")
        env[key] = value
    return env


def replay(transcript: Transcript, chunks: list[bytes]) -> list[tuple[bytes, Event]]:
    """Drive the codec through the recording; return (RX line that completed it, event)."""
    driver = Driver(chunks)
    events: list[tuple[bytes, Event]] = []
    in_environment, block_code = True, b""
    for row in transcript.rows:
        if row.kind == "TX":
            assert driver.codec.send(parse_command(row.data)) == row.data
            continue
        if row.kind != "RX":
            continue
        if in_environment:
            if row.data != b"\n":
                continue
            in_environment = False
        elif block_code:
            if not row.data.startswith(block_code + b" "):
                continue
            block_code = b""
        elif row.data[3:4] == b"-":
            block_code = row.data[:3]
            continue
        events.append((row.data, driver.pull()))
    assert isinstance(driver.pull(), ConnectionClosed)
    assert driver.codec.state is CodecState.CLOSED
    assert driver.codec.buffered_bytes == 0
    return events


def test_the_fixtures_are_found() -> None:
    assert len(TRANSCRIPT_PATHS) >= 24
    assert any(path.parent.name == "s11-sample" for path in TRANSCRIPT_PATHS)


@pytest.mark.parametrize("path", TRANSCRIPT_PATHS, ids=transcript_id)
def test_transcript_matches_its_raw_byte_streams(path: Path) -> None:
    transcript = load_transcript(path)
    stem = path.name.removesuffix(".txt")
    assert transcript.rx == path.with_name(f"{stem}.rx.raw").read_bytes()
    assert transcript.tx == path.with_name(f"{stem}.tx.raw").read_bytes()


@pytest.mark.parametrize("split", SPLITTERS)
@pytest.mark.parametrize("path", TRANSCRIPT_PATHS, ids=transcript_id)
def test_given_a_recorded_session_when_fed_in_any_split_then_events_match(
    path: Path, split: str
) -> None:
    transcript = load_transcript(path)
    events = replay(transcript, SPLITTERS[split](transcript.rx))

    (_, request), *rest = events
    assert isinstance(request, AGIRequest)
    env = environment_of(transcript)
    assert dict(request.env) == env
    assert request.channel == env["agi_channel"]
    assert request.uniqueid == env["agi_uniqueid"]
    assert request.caller_number == env["agi_callerid"]
    assert request.caller_name == env["agi_calleridname"]
    assert request.dnid == env["agi_dnid"]
    assert request.extension == env["agi_extension"]
    assert request.context == env["agi_context"]
    assert request.priority == int(env["agi_priority"])
    assert request.language == env["agi_language"]
    assert request.script == env["agi_network_script"]
    assert request.arguments == ()
    assert request.env["agi_accountcode"] == ""

    for line, event in rest:
        if line == b"HANGUP\n":
            assert isinstance(event, HangupNotice)
            continue
        assert isinstance(event, AGIResponse)
        if line in EXPECTED_REPLIES:
            decoded = (event.code, event.result, event.data, event.endpos)
            assert decoded == EXPECTED_REPLIES[line]
            assert event.text == line.decode().rstrip("\n")
        else:
            assert event.code == int(line[:3])


def test_given_s2_when_hangup_arrives_after_a_command_then_it_is_a_notice_not_the_reply() -> None:
    path = next(p for p in TRANSCRIPT_PATHS if p.name.startswith("agi-s2-"))
    transcript = load_transcript(path)
    events = [event for _, event in replay(transcript, [transcript.rx])]
    dial_result, hangup, dialstatus, dead, after_close = events[-5:]
    assert isinstance(dial_result, AGIResponse)
    assert dial_result.result == "-1"
    assert isinstance(hangup, HangupNotice)
    assert isinstance(dialstatus, AGIResponse)
    assert dialstatus.data == "ANSWER"
    assert isinstance(dead, AGIResponse)
    assert dead.code == 511
    assert isinstance(after_close, HangupNotice)


def test_given_s8_when_the_520_usage_arrives_then_it_is_one_reply_with_every_line() -> None:
    path = next(p for p in TRANSCRIPT_PATHS if p.name.startswith("agi-s8-"))
    transcript = load_transcript(path)
    replies = [
        event for _, event in replay(transcript, [transcript.rx]) if isinstance(event, AGIResponse)
    ]
    usage = next(reply for reply in replies if reply.code == 520)
    lines = usage.text.split("\n")
    assert lines[0] == "520-Invalid command syntax.  Proper usage follows:"
    assert lines[-1] == "520 End of proper usage."
    assert len(lines) == 4
    assert (usage.result, usage.data, usage.endpos) == ("", None, None)
    assert [reply.code for reply in replies].count(520) == 1


def test_given_a_session_hung_up_when_the_server_half_closes_then_one_more_hangup_then_eof() -> (
    None
):
    path = next(p for p in TRANSCRIPT_PATHS if p.name.startswith("agi-s3-"))
    transcript = load_transcript(path)
    tail = [event for _, event in replay(transcript, byte_by_byte(transcript.rx))][-2:]
    assert isinstance(tail[0], AGIResponse)
    assert tail[0].code == 511
    assert isinstance(tail[1], HangupNotice)
