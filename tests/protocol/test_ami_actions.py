"""Actions: exact bytes against what was sent to a real Asterisk, and ActionID correlation
of the recorded replies (list actions gathered, events never taken for replies)."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.ami import (
    NEED_DATA,
    Action,
    ActionResult,
    AMIProtocol,
    Event,
    LocalProtocolError,
    encode_action,
)
from callcenter.ami import actions as act
from callcenter.ami.codec import CLOSED
from callcenter.ami.messages import Banner, Response
from tests.asterisk_fixtures import ami_sent, fixtures_root, read_transcript

AMI = fixtures_root() / "ami"


def parse_action(data: bytes) -> Action:
    lines = data.decode().split("\r\n")
    assert lines[-2:] == ["", ""], "an action ends with an empty line"
    name = lines[0].split(": ", 1)[1]
    action_id = None
    fields = []
    for line in lines[1:-2]:
        key, value = line.split(": ", 1)
        if key == "ActionID" and action_id is None:
            action_id = value
        else:
            fields.append((key, value))
    return Action(name, tuple(fields), action_id)


def sent_actions(path: Path) -> list[bytes]:
    return [block + b"\r\n\r\n" for block in path.read_bytes().split(b"\r\n\r\n") if block]


ALL_SENT = [(p.name, i, data) for p in ami_sent() for i, data in enumerate(sent_actions(p))]


@pytest.mark.parametrize(("file", "index", "data"), ALL_SENT, ids=lambda v: str(v)[:40])
def test_every_recorded_action_reencodes_to_the_same_bytes(
    file: str, index: int, data: bytes
) -> None:
    assert encode_action(parse_action(data)) == data


def recorded(file: str, action: str) -> Action:
    for data in sent_actions(AMI / file):
        parsed = parse_action(data)
        if parsed.name == action:
            return parsed
    raise AssertionError(f"{file} has no {action}")


def test_offer_originate_is_byte_identical_to_the_recorded_bridge_originate() -> None:
    built = act.originate(
        "PJSIP/agent1001",
        application="Bridge",
        data="PJSIP/caller-00000053",
        caller_id="Queue <8000>",
        timeout_ms=15000,
    ).with_id("orig-bridge")
    assert encode_action(built) == encode_action(
        recorded("ami-s5-originate-bridge-actions.sent.txt", "Originate")
    )


@pytest.mark.parametrize(
    ("built", "file", "name"),
    [
        (act.login("callcenter", "callcenter", True), "ami-s1-ivr-dtmf-events.sent.txt", "Login"),
        (
            act.login("callcenter", "callcenter", False),
            "ami-s4-ami-actions-actions.sent.txt",
            "Login",
        ),
        (act.ping(), "ami-s4-ami-actions-actions.sent.txt", "Ping"),
        (act.core_show_channels(), "ami-s4-ami-actions-actions.sent.txt", "CoreShowChannels"),
        (act.command("core show channels"), "ami-s4-ami-actions-actions.sent.txt", "Command"),
        (act.getvar("CC_GLOBAL"), "ami-s4-ami-actions-actions.sent.txt", "Getvar"),
        (act.setvar("CC_GLOBAL", "42"), "ami-s4-ami-actions-actions.sent.txt", "Setvar"),
        (act.status(), "ami-s4-ami-actions-actions.sent.txt", "Status"),
        (
            act.redirect("PJSIP/caller-00000050", "redirected", "s", 1),
            "ami-s4-ami-actions-actions.sent.txt",
            "Redirect",
        ),
        (act.hangup("PJSIP/caller-00000050", 16), "ami-s4-ami-actions-actions.sent.txt", "Hangup"),
        (
            act.originate(
                "PJSIP/agent1001",
                context="originated",
                exten="s",
                priority=1,
                timeout_ms=15000,
                caller_id="CallCenter <9000>",
                variables={"CC_ORIG": "1"},
            ),
            "ami-s4-ami-actions-actions.sent.txt",
            "Originate",
        ),
        (act.logoff(), "ami-s4-ami-actions-actions.sent.txt", "Logoff"),
        (act.events("on"), "ami-s12-ami-misc-actions.sent.txt", "Events"),
        (
            act.user_event(
                "CallCenter",
                QueueName="sales",
                Agent="agent1001",
                Waiting="3",
                Note="events on, queue sales",
            ),
            "ami-s12-ami-misc-actions.sent.txt",
            "UserEvent",
        ),
        (act.challenge(), "ami-s12-ami-misc-md5.sent.txt", "Challenge"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_builders_send_the_headers_asterisk_was_sent(built: Action, file: str, name: str) -> None:
    want = recorded(file, name)
    if name == "Challenge":
        # The recording first tried a Challenge without AuthType (and got an error).
        want = next(parse_action(d) for d in sent_actions(AMI / file) if b"AuthType" in d)
    assert built.name == want.name
    assert sorted(built.fields) == sorted(want.fields)


def test_md5_login_key_matches_the_one_asterisk_accepted() -> None:
    rows = read_transcript(AMI / "ami-s12-ami-misc-md5.timeline.txt")
    challenge = (
        next(r.data for r in rows if r.direction == "RX" and b"Challenge:" in r.data)
        .split(b"Challenge: ")[1]
        .split(b"\r\n")[0]
        .decode()
    )
    login = next(parse_action(r.data) for r in rows if r.direction == "TX" and b"Key:" in r.data)
    built = act.login_md5("callcenter", "callcenter", challenge, login.get("Events") or "on")
    assert built.get("Key") == login.get("Key")


def test_bridge_action_matches_the_recorded_one() -> None:
    want = recorded("ami-s5b-ami-bridge-action-actions.sent.txt", "Bridge")
    built = act.bridge(want.get("Channel1") or "", want.get("Channel2") or "")
    assert sorted(built.fields) == sorted(want.fields)


@pytest.mark.parametrize("bad", ["x\r\nAction: Hangup", "x\nEvents: on", "nul\x00"])
def test_a_value_with_cr_lf_or_nul_is_refused_before_it_can_inject_a_header(bad: str) -> None:
    with pytest.raises(LocalProtocolError, match="inject"):
        encode_action(act.setvar("CC_NOTE", bad, channel="PJSIP/caller-1"))


@pytest.mark.parametrize("key", ["", "Bad Key", "Bad:Key", "X\r\n"])
def test_a_malformed_header_name_is_refused(key: str) -> None:
    with pytest.raises(LocalProtocolError):
        encode_action(Action("Setvar", ((key, "1"),)))


def test_secrets_never_show_in_repr() -> None:
    text = repr(act.login("callcenter", "s3cret")) + repr(act.login_md5("u", "s3cret", "1"))
    assert "s3cret" not in text
    assert "***" in text


# -- correlation over whole recorded sessions ------------------------------------------

TIMELINES = [*sorted(AMI.glob("*actions.timeline.txt")), AMI / "ami-s12-ami-misc-md5.timeline.txt"]


def replay(path: Path) -> tuple[list[Action], list[ActionResult | Event | Response]]:
    proto = AMIProtocol()
    sent: list[Action] = []
    out: list[ActionResult | Event | Response] = []
    for row in read_transcript(path):
        if row.direction == "TX":
            action = parse_action(row.data)
            assert proto.send(action) == row.data
            sent.append(action)
        elif row.direction == "RX":
            proto.receive_data(row.data)
            while (item := proto.next_event()) is not NEED_DATA:
                assert item is not CLOSED
                if not isinstance(item, Banner):
                    out.append(item)  # type: ignore[arg-type]
    return sent, out


@pytest.mark.parametrize("path", TIMELINES, ids=lambda p: p.name)
def test_every_recorded_action_gets_exactly_one_complete_result(path: Path) -> None:
    sent, out = replay(path)
    results = [o for o in out if isinstance(o, ActionResult)]
    answered = [r.response.action_id for r in results]
    assert len(answered) == len(set(answered)), "an action was completed twice"
    assert not [o for o in out if isinstance(o, Response)], "a reply matched no action"
    for result in results:
        if result.complete is not None:
            items = result.complete.get("ListItems")
            if items is not None:
                assert int(items) == len(result.events)
            assert all(e.action_id == result.response.action_id for e in result.events)
    # The actions that were answered in the recording are all answered here.
    assert set(answered) == {a.action_id for a in sent} - _unanswered(path)


def _unanswered(path: Path) -> set[str | None]:
    # Actions whose reply is not in the recording (the session ended first).
    rows = read_transcript(path)
    rx = b"".join(r.data for r in rows if r.direction == "RX")
    return {
        parse_action(r.data).action_id
        for r in rows
        if r.direction == "TX"
        and f"ActionID: {parse_action(r.data).action_id}\r\n".encode() not in rx
    }


def test_command_output_lines_and_getvar_values_come_back_whole() -> None:
    sent, out = replay(AMI / "ami-s4-ami-actions-actions.timeline.txt")
    by_id = {o.response.action_id: o for o in out if isinstance(o, ActionResult)}
    names = {a.action_id: a for a in sent}
    command = next(by_id[i] for i, a in names.items() if a.name == "Command")
    assert command.response.output[-1].endswith("calls processed")
    getvar = by_id["s4-ami-actions-actions-getvar-15"]
    assert getvar.response.get("Value") == "42"
    second_hangup = by_id["s4-ami-actions-actions-hangup-28"]
    assert not second_hangup.ok
    assert second_hangup.response.message == "No such channel"


def test_async_originate_is_queued_and_its_outcome_is_an_event_not_a_reply() -> None:
    events_path = AMI / "ami-s9-originate-no-answer-actions.timeline.txt"
    sent, out = replay(events_path)
    results = {o.response.action_id: o for o in out if isinstance(o, ActionResult)}
    originates = [a for a in sent if a.name == "Originate"]
    assert originates
    for action in originates:
        assert results[action.action_id].response.message == "Originate successfully queued"


def test_user_event_repeating_an_action_id_is_never_taken_for_the_reply() -> None:
    _, out = replay(AMI / "ami-s12-ami-misc-actions.timeline.txt")
    user_events = [o for o in out if isinstance(o, Event) and o.name == "UserEvent"]
    assert user_events, "the recording has UserEvents"
    replies = {o.response.action_id for o in out if isinstance(o, ActionResult)}
    for event in user_events:
        assert event.action_id in replies  # its action still got its own reply


def test_list_action_gathers_items_even_when_split_byte_by_byte() -> None:
    proto = AMIProtocol()
    proto.send(act.core_show_channels().with_id("x1"))
    raw = (
        b"Asterisk Call Manager/11.0.0\r\n"
        b"Response: Success\r\nActionID: x1\r\nEventList: start\r\n"
        b"Message: Channels will follow\r\n\r\n"
        b"Event: Newchannel\r\nChannel: PJSIP/a-1\r\nUniqueid: 1.1\r\n\r\n"
        b"Event: CoreShowChannel\r\nActionID: x1\r\nChannel: PJSIP/a-1\r\nUniqueid: 1.1\r\n\r\n"
        b"Event: CoreShowChannelsComplete\r\nActionID: x1\r\n"
        b"EventList: Complete\r\nListItems: 1\r\n\r\n"
    )
    out = []
    for i in range(len(raw)):
        proto.receive_data(raw[i : i + 1])
        while (item := proto.next_event()) is not NEED_DATA:
            out.append(item)
    assert isinstance(out[0], Banner)
    assert isinstance(out[1], Event)
    assert out[1].name == "Newchannel"  # an unrelated event in the middle passes through
    result = out[2]
    assert isinstance(result, ActionResult)
    assert [e.name for e in result.events] == ["CoreShowChannel"]
    assert proto.pending == 0


def test_reusing_a_pending_action_id_is_refused() -> None:
    proto = AMIProtocol()
    proto.send(act.ping().with_id("p"))
    with pytest.raises(LocalProtocolError, match="already waiting"):
        proto.send(act.ping().with_id("p"))
    with pytest.raises(LocalProtocolError, match="needs an ActionID"):
        proto.send(act.ping())


def test_a_dropped_connection_hands_back_every_pending_action() -> None:
    proto = AMIProtocol()
    for i in range(3):
        proto.send(act.ping().with_id(f"p{i}"))
    assert sorted(proto.abandon_pending()) == ["p0", "p1", "p2"]
    assert proto.pending == 0


def test_the_event_filter_has_the_recorded_shape_and_refuses_odd_names() -> None:
    recorded = (fixtures_root() / "ami" / "ami-s12-ami-misc-filter.sent.txt").read_bytes()
    wanted = act.filter_events(["Newchannel", "Hangup", "Hangup"]).with_id("f-1")
    encoded = act.encode_action(wanted)
    assert encoded == (
        b"Action: Filter\r\nActionID: f-1\r\nOperation: Add\r\n"
        b"Filter: Event: (Hangup|Newchannel)[[:space:]]\r\n\r\n"
    )
    # The same headers in the same order as the recorded Filter action.
    assert (
        b"Action: Filter\r\nActionID: s12-ami-misc-filter-filter-37\r\nOperation: Add\r\n"
        b"Filter: Event: UserEvent\r\n\r\n"
    ) in recorded
    for bad in ([], ["Hangup|VarSet"], ["New channel"], ["Hängup"]):
        with pytest.raises(LocalProtocolError, match="letters and digits"):
            act.filter_events(bad)
