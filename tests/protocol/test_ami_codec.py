"""The AMI reader against every stream a real Asterisk 22 sent (tests/fixtures/asterisk/ami).

Each recording is fed whole, byte by byte and in random splits; what the reader decodes is
compared with an independent, deliberately naive parse of the same bytes.
"""

from __future__ import annotations

import inspect
import random
from collections import Counter
from pathlib import Path

import pytest

from callcenter.ami import NEED_DATA, AMIReader, Banner, Event, Response
from callcenter.ami.codec import CLOSED
from callcenter.ami.events import (
    EVENT_CLASSES,
    BridgeEnter,
    ChanSpy,
    DialBegin,
    DialEnd,
    DTMFEnd,
    Hangup,
    Newchannel,
    OriginateResponse,
)
from callcenter.ami.fields import Number, Text
from tests.asterisk_fixtures import ami_streams, fixtures_root

STREAMS = ami_streams()
Decoded = Banner | Response | Event


def naive_parse(raw: bytes) -> tuple[str, list[list[tuple[str, str]]]]:
    """Banner and messages by the simplest reading of the fixture README's description."""
    banner, _, rest = raw.partition(b"\r\n")
    messages = []
    complete, _, _tail = rest.rpartition(b"\r\n\r\n")
    for chunk in complete.split(b"\r\n\r\n"):
        block = chunk.strip(b"\r\n")
        if not block:
            continue
        pairs = []
        for line in block.split(b"\r\n"):
            key, sep, value = line.partition(b": ")
            if not sep:
                key, _, value = line.partition(b":")
            pairs.append((key.decode(), value.decode()))
        messages.append(pairs)
    return banner.decode(), messages


def decode(chunks: list[bytes]) -> list[Decoded]:
    reader = AMIReader()
    out: list[Decoded] = []
    for chunk in chunks:
        reader.receive_data(chunk)
        while (msg := reader.next_message()) is not NEED_DATA:
            assert msg is not CLOSED
            out.append(msg)  # type: ignore[arg-type]
    reader.receive_data(b"")
    while (msg := reader.next_message()) is not CLOSED:
        assert msg is not NEED_DATA
        out.append(msg)  # type: ignore[arg-type]
    return out


def random_splits(raw: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    chunks, i = [], 0
    while i < len(raw):
        step = rng.choice((1, 2, 3, 7, 64, 1000, 4096, 65536))
        chunks.append(raw[i : i + step])
        i += step
    return chunks


def check_against_naive(raw: bytes, decoded: list[Decoded]) -> None:
    banner, messages = naive_parse(raw)
    assert isinstance(decoded[0], Banner)
    assert decoded[0].text == banner
    assert decoded[0].version == "11.0.0"
    rest = decoded[1:]
    assert len(rest) == len(messages)
    for got, want in zip(rest, messages, strict=True):
        assert isinstance(got, Response | Event)
        assert list(got.fields) == want
        names = dict(want)
        if "Event" in names:
            assert isinstance(got, Event)
            assert got.name == names["Event"]
        else:
            assert isinstance(got, Response)
            assert got.status == names["Response"]


def test_every_stream_recording_is_found() -> None:
    assert len(STREAMS) >= 20, f"fixtures missing under {fixtures_root()}"


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.name)
def test_stream_decodes_the_same_whole_and_in_random_splits(path: Path) -> None:
    raw = path.read_bytes()
    whole = decode([raw])
    check_against_naive(raw, whole)
    for seed in (1, 2):
        split = decode(random_splits(raw, seed))
        assert [m.fields if not isinstance(m, Banner) else m for m in split] == [
            m.fields if not isinstance(m, Banner) else m for m in whole
        ]


@pytest.mark.parametrize(
    "path", [p for p in STREAMS if p.stat().st_size < 300_000], ids=lambda p: p.name
)
def test_stream_decodes_the_same_byte_by_byte(path: Path) -> None:
    raw = path.read_bytes()
    check_against_naive(raw, decode([raw[i : i + 1] for i in range(len(raw))]))


def test_load_stream_has_the_recorded_event_counts() -> None:
    root = fixtures_root() / "ami"
    decoded = decode([(root / "ami-s11-load-events.txt").read_bytes()])
    counts = Counter(m.name for m in decoded if isinstance(m, Event))
    expected = {}
    for line in (root / "ami-s11-load-events.counts.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        number, name = line.split()
        expected[name] = int(number)
    assert counts == expected
    assert sum(counts.values()) == 12_319


def _typed_properties(cls: type) -> list[str]:
    return [
        name
        for klass in cls.__mro__
        if klass.__module__ in ("callcenter.ami.events", "callcenter.ami.messages")
        for name, value in vars(klass).items()
        if isinstance(value, property | Text | Number)
    ]


def test_every_typed_attribute_of_every_recorded_event_reads_cleanly() -> None:
    seen: Counter[str] = Counter()
    for path in STREAMS:
        for msg in decode([path.read_bytes()]):
            if isinstance(msg, Event) and msg.name in EVENT_CLASSES:
                assert type(msg) is EVENT_CLASSES[msg.name]
                for prop in _typed_properties(type(msg)):
                    getattr(msg, prop)  # raises if a recorded event breaks the typing
                seen[msg.name] += 1
    # The recordings exercise nearly every typed event class.
    assert len(seen) >= 20, seen


def _events(name: str, stream: str) -> list[Event]:
    raw = (fixtures_root() / "ami" / stream).read_bytes()
    return [m for m in decode([raw]) if isinstance(m, Event) and m.name == name]


def test_failed_originate_to_a_phone_that_only_rings_reports_reason_3_and_no_uniqueid() -> None:
    responses = _events("OriginateResponse", "ami-s9-originate-no-answer-events.txt")
    by_id = {r.action_id: r for r in responses}
    no_answer = by_id["orig-noanswer"]
    busy = by_id["orig-busy"]
    assert isinstance(no_answer, OriginateResponse)
    assert isinstance(busy, OriginateResponse)
    assert (no_answer.succeeded, no_answer.reason, no_answer.uniqueid) == (False, 3, None)
    assert (busy.succeeded, busy.reason) == (False, 0)
    assert no_answer.application == "Bridge"
    assert no_answer.data.startswith("PJSIP/caller-")


def test_caller_bridged_to_agent_keeps_its_channel_and_uniqueid() -> None:
    caller = _events("Newchannel", "ami-s5-originate-bridge-events.txt")[0]
    assert isinstance(caller, Newchannel)
    enters = _events("BridgeEnter", "ami-s5-originate-bridge-events.txt")
    assert all(isinstance(e, BridgeEnter) for e in enters)
    caller_enter = [e for e in enters if e.uniqueid == caller.uniqueid]
    assert len(caller_enter) == 1
    enter = caller_enter[0]
    assert isinstance(enter, BridgeEnter)
    assert enter.channel.channel == caller.channel.channel
    assert enter.channel.caller_id_num == "5550001"
    assert enter.bridge.bridge_type == "basic"


def test_dtmf_by_sip_info_shows_as_dtmf_end_digits_in_order() -> None:
    ends = _events("DTMFEnd", "ami-s1-ivr-dtmf-events.txt")
    first_call = ends[0].uniqueid
    digits = [e.digit for e in ends if isinstance(e, DTMFEnd) and e.uniqueid == first_call]
    assert digits == ["1", "2", "3", "#"]
    assert all(isinstance(e, DTMFEnd) and (e.duration_ms or 0) > 0 for e in ends)


def test_dial_events_of_an_originate_have_no_calling_leg() -> None:
    begin = _events("DialBegin", "ami-s5-originate-bridge-events.txt")[0]
    end = _events("DialEnd", "ami-s5-originate-bridge-events.txt")[0]
    assert isinstance(begin, DialBegin)
    assert isinstance(end, DialEnd)
    assert begin.caller is None
    assert begin.dest.channel.startswith("PJSIP/agent1001-")
    assert end.dial_status == "ANSWER"


def test_chanspy_events_name_supervisor_and_agent() -> None:
    start = _events("ChanSpyStart", "ami-s10-chanspy-events.txt")[0]
    assert isinstance(start, ChanSpy)
    assert start.spyer.caller_id_name == "Supervisor"
    assert start.spyee is not None
    assert start.spyee.channel.startswith("PJSIP/agent1001-")


def test_hangup_carries_its_cause() -> None:
    hangups = _events("Hangup", "ami-s9-originate-no-answer-events.txt")
    assert all(isinstance(h, Hangup) for h in hangups)
    causes = {h.cause for h in hangups if isinstance(h, Hangup)}
    assert 17 in causes  # the agent phone that answered 486 Busy Here (README, s9)


def test_unknown_event_types_stay_plain_events_with_every_field() -> None:
    events = _events("RTCPSent", "ami-s11-load-events.txt")
    assert events
    assert type(events[0]) is Event
    assert len(events[0].fields) > 10


def test_type_signatures_of_typed_events_are_documented() -> None:
    for cls in set(EVENT_CLASSES.values()):
        assert inspect.getdoc(cls), f"{cls.__name__} needs a docstring"
