"""Bad bytes from the peer: clear protocol errors, bounded memory, never a hang."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callcenter.ami import NEED_DATA, AMIReader, Event, RemoteProtocolError, Response
from callcenter.ami.codec import CLOSED
from callcenter.ami.events import DTMFEnd, Hangup

BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def drain(reader: AMIReader) -> list[object]:
    out = []
    while (msg := reader.next_message()) not in (NEED_DATA, CLOSED):
        out.append(msg)
    return out


def test_a_utf8_character_split_across_two_reads_is_decoded_intact() -> None:
    # panoramisk 1.4 corrupts this (it decodes each read on its own).
    message = "Event: Newchannel\r\nChannel: PJSIP/x-1\r\nCallerIDName: Zoë Ünal\r\n\r\n"
    data = BANNER + message.encode()
    cut = data.index("ë".encode()) + 1  # between the two bytes of ë
    reader = AMIReader()
    reader.receive_data(data[:cut])
    assert [type(m).__name__ for m in drain(reader)] == ["Banner"]
    reader.receive_data(data[cut:])
    (event,) = drain(reader)
    assert isinstance(event, Event)
    assert event.get("CallerIDName") == "Zoë Ünal"


def test_invalid_utf8_from_a_latin1_caller_name_is_replaced_not_fatal() -> None:
    reader = AMIReader()
    reader.receive_data(BANNER + b"Event: X\r\nCallerIDName: Jos\xe9\r\n\r\n")
    _, event = drain(reader)
    assert isinstance(event, Event)
    assert event.get("CallerIDName") == "Jos\ufffd"


def test_a_line_without_a_colon_is_a_protocol_error_naming_the_line() -> None:
    reader = AMIReader()
    reader.receive_data(BANNER + b"Event: Hangup\r\nthis line is broken\r\n\r\n")
    reader.next_message()
    with pytest.raises(RemoteProtocolError, match="this line is broken"):
        reader.next_message()


def test_the_reader_stays_broken_after_a_protocol_error() -> None:
    reader = AMIReader()
    reader.receive_data(BANNER + b"garbage\r\n\r\n")
    reader.next_message()
    with pytest.raises(RemoteProtocolError):
        reader.next_message()
    with pytest.raises(RemoteProtocolError):
        reader.next_message()
    with pytest.raises(RemoteProtocolError):
        reader.receive_data(b"Response: Success\r\n\r\n")


def test_a_peer_that_is_not_asterisk_is_refused_at_the_banner() -> None:
    reader = AMIReader()
    reader.receive_data(b"SSH-2.0-OpenSSH_9.2\r\n")
    with pytest.raises(RemoteProtocolError, match="not an AMI banner"):
        reader.next_message()


def test_a_banner_that_never_ends_is_refused_after_1_kib() -> None:
    reader = AMIReader()
    reader.receive_data(b"A" * 2000)
    with pytest.raises(RemoteProtocolError, match="banner"):
        reader.next_message()


def test_an_endless_message_is_refused_once_it_passes_the_bound() -> None:
    reader = AMIReader(max_message_size=4096)
    reader.receive_data(BANNER)
    drain(reader)
    chunk = b"Event: VarSet\r\n" + b"Value: " + b"x" * 1000 + b"\r\n"
    for _ in range(4):
        reader.receive_data(chunk)
        assert drain(reader) == []
    reader.receive_data(chunk)
    with pytest.raises(RemoteProtocolError, match="larger than 4096"):
        drain(reader)
    assert reader.buffered <= 4096 + len(chunk)  # the bound plus at most one read


def test_a_whole_message_over_the_bound_is_refused() -> None:
    reader = AMIReader(max_message_size=100)
    reader.receive_data(BANNER + b"Event: X\r\nValue: " + b"y" * 200 + b"\r\n\r\n")
    reader.next_message()
    with pytest.raises(RemoteProtocolError, match="over the 100 bound"):
        reader.next_message()


def test_a_message_with_neither_response_nor_event_is_refused() -> None:
    reader = AMIReader()
    reader.receive_data(BANNER + b"Foo: bar\r\n\r\n")
    reader.next_message()
    with pytest.raises(RemoteProtocolError, match="neither"):
        reader.next_message()


def test_stray_empty_lines_between_messages_are_tolerated() -> None:
    reader = AMIReader()
    reader.receive_data(BANNER + b"\r\nResponse: Success\r\n\r\n\r\n\r\nEvent: X\r\n\r\n\r\n")
    kinds = [type(m).__name__ for m in drain(reader)]
    assert kinds == ["Banner", "Response", "Event"]


def test_key_without_space_and_values_holding_colons_parse_as_asterisk_means() -> None:
    reader = AMIReader()
    reader.receive_data(BANNER + b"Response: Error\r\nActionID:\r\nMessage: a: b: c\r\n\r\n")
    _, resp = drain(reader)
    assert isinstance(resp, Response)
    assert resp.fields == (("Response", "Error"), ("ActionID", ""), ("Message", "a: b: c"))


def test_repeated_keys_keep_every_value_in_order() -> None:
    reader = AMIReader()
    reader.receive_data(BANNER + b"Response: Success\r\nOutput: one\r\nOutput: two\r\n\r\n")
    _, resp = drain(reader)
    assert isinstance(resp, Response)
    assert resp.output == ["one", "two"]
    assert resp.get("Output") == "two"


def test_eof_mid_message_reports_closed_without_inventing_a_message() -> None:
    reader = AMIReader()
    reader.receive_data(BANNER + b"Event: Hangup\r\nChannel: X")
    reader.receive_data(b"")
    assert [type(m).__name__ for m in drain(reader)] == ["Banner"]
    assert reader.next_message() is CLOSED


def test_a_non_numeric_cause_is_a_protocol_error_naming_event_and_header() -> None:
    reader = AMIReader()
    reader.receive_data(BANNER + b"Event: Hangup\r\nChannel: PJSIP/a-1\r\nCause: sixteen\r\n\r\n")
    _, hangup = drain(reader)
    assert isinstance(hangup, Hangup)
    assert hangup.channel.channel == "PJSIP/a-1"
    with pytest.raises(RemoteProtocolError, match=r"Hangup.*'Cause'"):
        _ = hangup.cause


def test_a_channel_event_without_its_channel_is_a_protocol_error() -> None:
    reader = AMIReader()
    reader.receive_data(BANNER + b"Event: DTMFEnd\r\nDigit: 5\r\n\r\n")
    _, dtmf = drain(reader)
    assert isinstance(dtmf, DTMFEnd)
    assert dtmf.digit == "5"
    with pytest.raises(RemoteProtocolError, match="no Channel"):
        _ = dtmf.channel


# -- fuzzing ---------------------------------------------------------------------------

MAX = 512


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    payload=st.binary(max_size=3000),
    cuts=st.lists(st.integers(min_value=1, max_value=200), max_size=40),
    with_banner=st.booleans(),
)
def test_arbitrary_bytes_raise_only_protocol_errors_and_stay_bounded(
    payload: bytes, cuts: list[int], with_banner: bool
) -> None:
    data = (BANNER if with_banner else b"") + payload
    reader = AMIReader(max_message_size=MAX)
    pos = 0
    chunks = []
    for cut in cuts:
        chunks.append(data[pos : pos + cut])
        pos += cut
    chunks.append(data[pos:])
    try:
        for chunk in chunks:
            reader.receive_data(chunk)
            drain(reader)
            assert reader.buffered <= MAX + len(chunk) + 4
        reader.receive_data(b"")
        drain(reader)
    except RemoteProtocolError:
        pass


KEY = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,20}", fullmatch=True)
VALUE = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(["Event", "Response"]),
    name=KEY,
    pairs=st.lists(st.tuples(KEY, VALUE), max_size=15),
    split=st.integers(min_value=1, max_value=50),
)
def test_any_well_formed_message_round_trips_field_for_field(
    kind: str, name: str, pairs: list[tuple[str, str]], split: int
) -> None:
    fields = [(kind, name), *[(k, v) for k, v in pairs if k not in ("Event", "Response")]]
    raw = BANNER + "".join(f"{k}: {v}\r\n" for k, v in fields).encode() + b"\r\n"
    reader = AMIReader()
    out = []
    for i in range(0, len(raw), split):
        reader.receive_data(raw[i : i + split])
        out.extend(drain(reader))
    assert len(out) == 2
    message = out[1]
    assert isinstance(message, Event | Response)
    # Asterisk writes "Key: Value"; a value's own leading space is kept after the one space.
    assert list(message.fields) == fields
