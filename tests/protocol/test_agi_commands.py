"""Command encoding: the exact bytes of the recordings, and no injection through arguments.

Every command the product sends is checked against the TX bytes of the recordings, and
every TX line of every recording reads back (as Asterisk splits it) into a typed command
that encodes to the same bytes. Arguments are checked with a port of res_agi.c
`parse_args()`: whatever text goes in, Asterisk reads exactly that text back, as one
argument, on one line.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.agi import (
    AGICodec,
    AGICommand,
    AGIRequest,
    Answer,
    ChannelStatus,
    Exec,
    GenericCommand,
    GetData,
    GetFullVariable,
    GetVariable,
    Hangup,
    Noop,
    RecordFile,
    SayAlpha,
    SayDate,
    SayDatetime,
    SayDigits,
    SayNumber,
    SetMusic,
    SetVariable,
    StreamFile,
    UnsafeArgumentError,
    Verbose,
    WaitForDigit,
)
from callcenter.agi.command_parser import parse_command
from callcenter.agi.quoting import MAX_COMMAND_BYTES, split_like_asterisk
from callcenter.agi.transcript import load_transcript
from tests.agi_fixtures import fixtures_root

RECORDED_TX = sorted(
    {
        row.data
        for path in (fixtures_root() / "agi").rglob("*.txt")
        for row in load_transcript(path).rows
        if row.kind == "TX"
    }
)

# What the product's handlers send, written the way they write it, and the recorded bytes.
PRODUCT_COMMANDS: list[tuple[AGICommand, bytes]] = [
    (Answer(), b"ANSWER\n"),
    (StreamFile("demo-congrats", "0123456789#*"), b'STREAM FILE demo-congrats "0123456789#*"\n'),
    (StreamFile("tt-monkeys"), b'STREAM FILE tt-monkeys ""\n'),
    (StreamFile("no-such-file-xyz"), b'STREAM FILE no-such-file-xyz ""\n'),
    (GetData("beep", 3000, 4), b"GET DATA beep 3000 4\n"),
    (GetData("beep", 5000, 1), b"GET DATA beep 5000 1\n"),
    (GetData("beep", 2000, 4), b"GET DATA beep 2000 4\n"),
    (WaitForDigit(2000), b"WAIT FOR DIGIT 2000\n"),
    (WaitForDigit(1000), b"WAIT FOR DIGIT 1000\n"),
    (SayNumber(42), b'SAY NUMBER 42 ""\n'),
    (SayDigits("123"), b'SAY DIGITS 123 ""\n'),
    (SetVariable("IVR_RESULT", "sales"), b"SET VARIABLE IVR_RESULT sales\n"),
    (SetVariable("SURVEY_Q1", "4"), b"SET VARIABLE SURVEY_Q1 4\n"),
    (GetVariable("CALLERID(num)"), b"GET VARIABLE CALLERID(num)\n"),
    (GetVariable("DIALSTATUS"), b"GET VARIABLE DIALSTATUS\n"),
    (Exec("Playback", ("beep",)), b"EXEC Playback beep\n"),
    (Exec("MusicOnHold", ("default", "30")), b"EXEC MusicOnHold default,30\n"),
    (Exec("Dial", ("PJSIP/agent1001", "20")), b"EXEC Dial PJSIP/agent1001,20\n"),
    (Verbose("hello", 1), b'VERBOSE "hello" 1\n'),
    (Verbose("after hangup"), b'VERBOSE "after hangup" 1\n'),
    (ChannelStatus(), b"CHANNEL STATUS\n"),
    (Hangup(), b"HANGUP\n"),
    (GenericCommand("FOO BAR"), b"FOO BAR\n"),
    (GenericCommand("GET DATA"), b"GET DATA\n"),
]

# Commands the recordings do not hold, with the bytes res_agi.c documents for them.
OTHER_COMMANDS: list[tuple[AGICommand, bytes]] = [
    (SayAlpha("abc"), b'SAY ALPHA abc ""\n'),
    (SayDate(1700000000, "#"), b'SAY DATE 1700000000 "#"\n'),
    (SayDatetime(1700000000), b'SAY DATETIME 1700000000 ""\n'),
    (
        SayDatetime(1700000000, "", "ABdY 'digits/at' IMp", "Europe/Berlin"),
        b'SAY DATETIME 1700000000 "" "ABdY \'digits/at\' IMp" Europe/Berlin\n',
    ),
    (RecordFile("vm/1"), b'RECORD FILE vm/1 wav "#" -1 BEEP\n'),
    (
        RecordFile("vm/1", "gsm", "#*", 60000, True, 3),
        b'RECORD FILE vm/1 gsm "#*" 60000 BEEP s=3\n',
    ),
    (RecordFile("vm/1", beep=False, silence_s=5), b'RECORD FILE vm/1 wav "#" -1 s=5\n'),
    (RecordFile("vm/1", beep=False), b'RECORD FILE vm/1 wav "#" -1\n'),
    (GetFullVariable("${CALLERID(num)}"), b"GET FULL VARIABLE ${CALLERID(num)}\n"),
    (StreamFile("welcome", "", 8000), b'STREAM FILE welcome "" 8000\n'),
    (SetMusic(True, "default"), b"SET MUSIC on default\n"),
    (SetMusic(False), b"SET MUSIC off\n"),
    (Noop(), b"NOOP\n"),
    (Hangup("PJSIP/agent1001-0001"), b"HANGUP PJSIP/agent1001-0001\n"),
    (GetData("main menu"), b'GET DATA "main menu"\n'),
    (GetData("beep", max_digits=4), b"GET DATA beep 0 4\n"),
    (Exec("Playback", ()), b"EXEC Playback\n"),
    (
        SetVariable("CALLER_NOTE", 'say "hi" \\ bye'),
        b'SET VARIABLE CALLER_NOTE "say \\"hi\\" \\\\ bye"\n',
    ),
    (SetVariable("EMPTY", ""), b'SET VARIABLE EMPTY ""\n'),
]


@pytest.mark.parametrize(("command", "wire"), PRODUCT_COMMANDS, ids=lambda v: repr(v)[:60])
def test_product_commands_encode_to_the_recorded_bytes(command: AGICommand, wire: bytes) -> None:
    assert wire in RECORDED_TX
    assert command.encode() == wire
    codec = AGICodec()
    codec.receive_data(b"agi_network: yes\n\n")
    assert isinstance(codec.next_event(), AGIRequest)
    assert codec.send(command) == wire


@pytest.mark.parametrize(("command", "wire"), OTHER_COMMANDS, ids=lambda v: repr(v)[:60])
def test_other_commands_encode_as_documented(command: AGICommand, wire: bytes) -> None:
    assert command.encode() == wire
    assert parse_command(wire).encode() == wire


@pytest.mark.parametrize("wire", RECORDED_TX, ids=lambda v: v.decode().strip())
def test_every_recorded_command_reads_back_into_the_same_bytes(wire: bytes) -> None:
    command = parse_command(wire)
    assert not isinstance(command, GenericCommand) or wire in (b"FOO BAR\n", b"GET DATA\n")
    assert command.encode() == wire


@pytest.mark.parametrize(
    "build",
    [
        lambda bad: SetVariable("IVR_RESULT", bad),
        lambda bad: SetVariable(bad, "x"),
        Verbose,
        StreamFile,
        lambda bad: StreamFile("beep", bad),
        lambda bad: GetData(bad, 3000, 4),
        SayDigits,
        lambda bad: Exec("Playback", (bad,)),
        GetVariable,
        RecordFile,
        lambda bad: GenericCommand("NOOP", (bad,)),
    ],
)
@pytest.mark.parametrize("breaker", ["\n", "\r", "\x00", "\r\n"], ids=["LF", "CR", "NUL", "CRLF"])
def test_line_breaks_in_any_argument_are_refused(build: object, breaker: str) -> None:
    assert callable(build)
    with pytest.raises(UnsafeArgumentError, match="end the AGI command line"):
        build(f"sales{breaker}HANGUP")


def test_exec_refuses_commas_inside_one_argument_and_bad_application_names() -> None:
    with pytest.raises(UnsafeArgumentError, match="split it in two"):
        Exec("Dial", ("PJSIP/agent1001,20",))
    with pytest.raises(UnsafeArgumentError, match="application"):
        Exec("Playback beep", ())


def test_a_command_longer_than_asterisks_buffer_is_refused() -> None:
    assert len(SetVariable("X", "a" * 2000).encode()) <= MAX_COMMAND_BYTES
    with pytest.raises(UnsafeArgumentError, match="at most 2047"):
        SetVariable("X", "a" * 2100)


def test_a_generic_command_name_must_be_upper_case_words() -> None:
    with pytest.raises(UnsafeArgumentError):
        GenericCommand("NOOP\nHANGUP")
    with pytest.raises(UnsafeArgumentError):
        GenericCommand("")


def test_parse_args_port_matches_res_agi_on_known_lines() -> None:
    assert split_like_asterisk('a "b c" d') == ["a", "b c", "d"]
    assert split_like_asterisk('STREAM FILE x ""') == ["STREAM", "FILE", "x", ""]
    assert split_like_asterisk("a\\ b  c") == ["a b", "c"]
    assert split_like_asterisk('"a\\"b\\\\"') == ['a"b\\']
    assert split_like_asterisk('x"y z"w') == ["xy zw"]


SAFE_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\x00"))


@given(value=SAFE_TEXT, name=SAFE_TEXT)
def test_any_safe_text_reads_back_as_exactly_one_argument(value: str, name: str) -> None:
    wire = SetVariable(name or "X", value).encode()
    assert wire.count(b"\n") == 1
    assert wire.endswith(b"\n")
    assert split_like_asterisk(wire.decode()[:-1]) == ["SET", "VARIABLE", name or "X", value]


@given(message=SAFE_TEXT, digits=SAFE_TEXT, data=st.lists(SAFE_TEXT.filter(lambda t: "," not in t)))
def test_quoted_and_joined_arguments_read_back_exactly(
    message: str, digits: str, data: list[str]
) -> None:
    assert split_like_asterisk(Verbose(message, 3).encode().decode()[:-1]) == [
        "VERBOSE",
        message,
        "3",
    ]
    assert split_like_asterisk(StreamFile("beep", digits).encode().decode()[:-1])[3] == digits
    command = Exec("Dial", tuple(data))
    words = split_like_asterisk(command.encode().decode()[:-1])
    assert words[2:] == ([",".join(data)] if data else [])
    assert parse_command(command.encode()).encode() == command.encode()


@given(
    command=st.one_of(
        st.builds(StreamFile, SAFE_TEXT, SAFE_TEXT, st.none() | st.integers(0, 10**9)),
        st.builds(GetData, SAFE_TEXT, st.none() | st.integers(1, 10**6), st.integers(1, 99)),
        st.builds(SayNumber, st.integers(-(10**9), 10**9), SAFE_TEXT),
        st.builds(SayDatetime, st.integers(0, 2**31), SAFE_TEXT, st.none() | SAFE_TEXT),
        st.builds(RecordFile, SAFE_TEXT, st.sampled_from(["wav", "gsm"]), SAFE_TEXT),
        st.builds(GetFullVariable, SAFE_TEXT, st.none() | SAFE_TEXT),
        st.builds(SetMusic, st.booleans(), st.none() | SAFE_TEXT),
    )
)
def test_parse_command_reads_back_what_was_encoded(command: AGICommand) -> None:
    assert parse_command(command.encode()).encode() == command.encode()
