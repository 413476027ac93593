"""The codec's state machine, its sticky errors and its bounds, on small hand-made inputs."""

from __future__ import annotations

import pytest

from callcenter.agi import (
    NEED_DATA,
    AGICodec,
    AGIRequest,
    AGIResponse,
    Answer,
    CodecState,
    ConnectionClosed,
    HangupNotice,
    LocalProtocolError,
    Noop,
    RemoteProtocolError,
)

ENV = b"agi_network: yes\nagi_network_script: ivr\nagi_channel: PJSIP/caller-1\n\n"


def ready_codec(**limits: int) -> AGICodec:
    codec = AGICodec(**limits)
    codec.receive_data(ENV)
    assert isinstance(codec.next_event(), AGIRequest)
    assert codec.state is CodecState.IDLE
    return codec


def test_given_no_environment_yet_when_sending_then_local_error_and_sticky() -> None:
    codec = AGICodec()
    with pytest.raises(LocalProtocolError):
        codec.send(Answer())
    assert codec.state is CodecState.ERROR
    with pytest.raises(LocalProtocolError):
        codec.next_event()
    with pytest.raises(LocalProtocolError):
        codec.send(Noop())


def test_given_a_command_in_flight_when_sending_another_then_local_error() -> None:
    codec = ready_codec()
    assert codec.send(Answer()) == b"ANSWER\n"
    with pytest.raises(LocalProtocolError, match="awaiting a reply"):
        codec.send(Noop())
    assert codec.state is CodecState.ERROR


def test_given_no_command_when_a_reply_arrives_then_remote_error_and_sticky() -> None:
    codec = ready_codec()
    codec.receive_data(b"200 result=0\n")
    with pytest.raises(RemoteProtocolError, match="idle"):
        codec.next_event()
    with pytest.raises(RemoteProtocolError):
        codec.next_event()
    with pytest.raises(LocalProtocolError):
        codec.send(Answer())


def test_given_no_command_when_hangup_arrives_then_notice_and_still_idle() -> None:
    codec = ready_codec()
    codec.receive_data(b"HANGUP\nHANGUP\n")
    assert codec.next_event() == HangupNotice()
    assert codec.next_event() == HangupNotice()
    assert codec.next_event() is NEED_DATA
    assert codec.state is CodecState.IDLE
    assert codec.hangup_notices == 2


def test_given_hangup_between_command_and_reply_then_the_reply_still_answers_it() -> None:
    codec = ready_codec()
    codec.send(Answer())
    codec.receive_data(b"HANGUP\n200 result=-1\n")
    assert codec.next_event() == HangupNotice()
    assert codec.state is CodecState.AWAITING_REPLY
    reply = codec.next_event()
    assert isinstance(reply, AGIResponse)
    assert reply.result == "-1"
    assert codec.state.value == "idle"


def test_given_crlf_line_ends_then_they_are_tolerated() -> None:
    codec = AGICodec()
    codec.receive_data(b"agi_channel: SIP/x\r\n\r\n")
    request = codec.next_event()
    assert isinstance(request, AGIRequest)
    assert request.channel == "SIP/x"


@pytest.mark.parametrize(
    "data",
    [b"GET / HTTP/1.1\r\n", b"HANGUP\n", b"agi_channel SIP/x\n", b"channel: x\n"],
    ids=["http", "hangup", "no-colon", "no-agi-prefix"],
)
def test_given_a_line_that_is_no_environment_then_remote_error(data: bytes) -> None:
    codec = AGICodec()
    codec.receive_data(data)
    with pytest.raises(RemoteProtocolError):
        codec.next_event()


def test_given_a_bad_priority_then_remote_error() -> None:
    codec = AGICodec()
    codec.receive_data(b"agi_priority: two\n\n")
    with pytest.raises(RemoteProtocolError, match="malformed"):
        codec.next_event()


def test_given_an_endless_line_then_error_and_the_buffer_stays_bounded() -> None:
    codec = AGICodec(max_line_bytes=100)
    codec.receive_data(b"agi_x: " + b"y" * 90)
    assert codec.next_event() is NEED_DATA
    assert codec.buffered_bytes <= 100
    codec.receive_data(b"y" * 50)
    with pytest.raises(RemoteProtocolError, match="longer than 100"):
        codec.next_event()


def test_given_an_overlong_terminated_line_then_remote_error() -> None:
    codec = AGICodec(max_line_bytes=100)
    codec.receive_data(b"agi_x: " + b"y" * 200 + b"\n")
    with pytest.raises(RemoteProtocolError, match="longer than 100"):
        codec.next_event()


def test_given_an_endless_environment_then_remote_error() -> None:
    codec = AGICodec(max_message_bytes=1000)
    codec.receive_data(b"".join(f"agi_arg_{n}: value\n".encode() for n in range(200)))
    with pytest.raises(RemoteProtocolError, match="larger than 1000"):
        codec.next_event()


def test_given_an_endless_520_block_then_remote_error() -> None:
    codec = ready_codec(max_message_bytes=1000)
    codec.send(Noop())
    codec.receive_data(b"520-Invalid command syntax.  Proper usage follows:\n")
    codec.receive_data(b"usage line\n" * 200)
    with pytest.raises(RemoteProtocolError, match="larger than 1000"):
        codec.next_event()


def test_given_a_520_block_when_fed_then_one_reply_after_its_last_line() -> None:
    codec = ready_codec()
    codec.send(Noop())
    codec.receive_data(b"520-Invalid command syntax.  Proper usage follows:\nUsage: x\n")
    assert codec.next_event() is NEED_DATA
    codec.receive_data(b"HANGUP\n520 End of proper usage.\n")
    reply = codec.next_event()
    assert isinstance(reply, AGIResponse)
    assert reply.code == 520
    assert reply.text.split("\n")[1:] == ["Usage: x", "HANGUP", "520 End of proper usage."]


def test_given_eof_before_anything_then_connection_closed_repeatedly() -> None:
    codec = AGICodec()
    codec.receive_data(b"")
    assert codec.next_event() == ConnectionClosed()
    assert codec.next_event() == ConnectionClosed()
    assert codec.state is CodecState.CLOSED
    with pytest.raises(LocalProtocolError):
        codec.send(Answer())


@pytest.mark.parametrize(
    ("before", "message"),
    [
        (b"agi_network: y", "middle of a line"),
        (b"agi_network: yes\n", "environment was complete"),
    ],
    ids=["mid-line", "mid-environment"],
)
def test_given_eof_in_the_environment_then_remote_error(before: bytes, message: str) -> None:
    codec = AGICodec()
    codec.receive_data(before)
    codec.receive_data(b"")
    with pytest.raises(RemoteProtocolError, match=message):
        codec.next_event()


def test_given_eof_in_the_middle_of_a_reply_then_remote_error() -> None:
    codec = ready_codec()
    codec.send(Answer())
    codec.receive_data(b"200 resu")
    codec.receive_data(b"")
    with pytest.raises(RemoteProtocolError, match="middle of a line"):
        codec.next_event()


def test_given_eof_inside_a_520_block_then_remote_error() -> None:
    codec = ready_codec()
    codec.send(Noop())
    codec.receive_data(b"520-Invalid command syntax.  Proper usage follows:\n")
    codec.receive_data(b"")
    with pytest.raises(RemoteProtocolError, match="multi-line"):
        codec.next_event()


def test_given_eof_when_more_data_arrives_then_local_error() -> None:
    codec = AGICodec()
    codec.receive_data(b"")
    with pytest.raises(LocalProtocolError, match="after the end"):
        codec.receive_data(b"x")


def test_given_a_200_without_result_then_remote_error() -> None:
    codec = ready_codec()
    codec.send(Noop())
    codec.receive_data(b"200 ok\n")
    with pytest.raises(RemoteProtocolError, match="without result="):
        codec.next_event()


@pytest.mark.parametrize(
    ("line", "decoded"),
    [
        ("200 result=0 (timeout) endpos=8000", ("0", "timeout", 8000)),
        ("200 result=35 (dtmf) endpos=160", ("35", "dtmf", 160)),
        ("200 result=-1 (hangup) endpos=4000", ("-1", "hangup", 4000)),
        ("200 result=-1 (writefile)", ("-1", "writefile", None)),
        ("200 result=12 (timeout)", ("12", "timeout", None)),
        ("200 result=1 (a (nested) value)", ("1", "a (nested) value", None)),
        ("200 result=1 (x) endpos=5)", ("1", "x) endpos=5", None)),
        ("200 result=1 (speech) endpos=0 results=1 score0=1000", ("1", "speech", 0)),
    ],
)
def test_reply_forms_from_res_agi(line: str, decoded: tuple[str, str, int | None]) -> None:
    codec = ready_codec()
    codec.send(Noop())
    codec.receive_data(line.encode() + b"\n")
    reply = codec.next_event()
    assert isinstance(reply, AGIResponse)
    assert (reply.result, reply.data, reply.endpos) == decoded
    assert reply.text == line


def test_result_int_is_none_for_digit_strings_too_long_to_matter() -> None:
    reply = AGIResponse(code=200, result="9" * 5000, data=None, endpos=None, text="")
    assert reply.result_int is None
    assert AGIResponse(code=200, result="-1", data=None, endpos=None, text="").result_int == -1
