"""Fuzzing the decoder: any bytes, any split, only the codec's own errors, bounded memory."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.agi import (
    NEED_DATA,
    AGICodec,
    CodecState,
    ConnectionClosed,
    Noop,
    ProtocolError,
)

MAX_LINE = 64
MAX_MESSAGE = 256
ENVIRONMENT = b"agi_network: yes\nagi_network_script: ivr\nagi_accountcode: \n\n"
VOCABULARY = [
    b"200 result=0\n",
    b"200 result=49 endpos=20000\n",
    b"200 result= (timeout)\n",
    b"200 result=1 (5550001)\n",
    b"200 result=1 (a) endpos=9)\n",
    b"510 Invalid or unknown command\n",
    b"511 Command Not Permitted on a dead channel or intercept routine\n",
    b"520-Invalid command syntax.  Proper usage follows:\n",
    b"Usage line\n",
    b"520 End of proper usage.\n",
    b"HANGUP\n",
    b"\n",
    b"agi_arg_1: x\n",
    b"200 result=" + b"9" * 60 + b"\n",
    b"\xff\xfe\r\n",
]

STREAMS = st.one_of(
    st.binary(max_size=600),
    st.builds(lambda tail: ENVIRONMENT + tail, st.binary(max_size=300)),
    st.builds(
        lambda lines: ENVIRONMENT + b"".join(lines),
        st.lists(st.sampled_from(VOCABULARY) | st.binary(max_size=20), max_size=40),
    ),
)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@settings(max_examples=300, deadline=None)
@given(data=STREAMS, cuts=st.lists(st.integers(min_value=0), max_size=30), eof=st.booleans())
def test_any_bytes_in_any_split_raise_only_protocol_errors_and_stay_bounded(
    data: bytes, cuts: list[int], eof: bool
) -> None:
    codec = AGICodec(max_line_bytes=MAX_LINE, max_message_bytes=MAX_MESSAGE)
    chunks = split(data, cuts) + ([b""] if eof else [])
    try:
        for chunk in chunks:
            codec.receive_data(chunk)
            while True:
                event = codec.next_event()
                if event is NEED_DATA:
                    assert codec.buffered_bytes <= MAX_LINE
                    break
                if isinstance(event, ConnectionClosed):
                    return
                if codec.state is CodecState.IDLE:
                    # Keep a command in flight so that replies are legal and get decoded.
                    codec.send(Noop())
    except ProtocolError:
        assert codec.state is CodecState.ERROR
