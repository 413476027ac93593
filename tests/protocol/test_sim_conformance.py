"""The PBX simulator held to the recordings of a real Asterisk 22 (tests/fixtures/asterisk).

AMI: the recorded actions are sent over a real socket to the simulator, and its answers
must have the recorded shape: the same message kinds (Response status or Event name) in
the same order, each with the same field names in the same order (values such as
Uniqueid and timestamps may differ). Call flows (s3, s5, s7, s9) are replayed the same way
and the whole event stream of a monitoring connection is compared, leaving out the events
the simulator does not model (RTCP, QueueMemberStatus, DeviceStateChange, RTP QoS VarSets,
security events). Where the recordings themselves disagree on the order of events Asterisk
raises from different threads (DialBegin/DialState/Newstate Ringing: three orders in s5,
s7, s9), that group is compared as a set.

AGI: a replaying FastAGI server sends the recorded command lines of each session and reads
the simulator's answers: the `agi_*` names in the recorded order, the recorded reply lines
(endpos values aside), and as many `HANGUP` lines in all as Asterisk wrote.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from callcenter.sim import AgentPhone, CallerScript, PhoneMode, Press
from tests.asterisk_fixtures import fixtures_root, read_transcript
from tests.sim.sim_harness import TIMEOUT, Pairs, RawAMI, is_event, parse, simulator

AMI, AGI = fixtures_root() / "ami", fixtures_root() / "agi"
NOISE = {
    "RTCPSent", "RTCPReceived", "QueueMemberStatus", "DeviceStateChange", "FullyBooted",
    "SuccessfulAuth", "InvalidPassword", "ChallengeResponseFailed", "RequestBadFormat",
}  # fmt: skip
RING_GROUP = {"DialBegin", "DialState", "Newstate:Ringing"}
Shape = tuple[str, tuple[str, ...]]


def kind(msg: Pairs) -> str:
    key, value = msg[0]
    if key == "Event" and value == "Newstate":
        return f"Newstate:{dict(msg)['ChannelStateDesc']}"
    return value if key == "Event" else f"{key}: {value}"


def shape(msg: Pairs) -> Shape:
    return kind(msg), tuple(k for k, _ in msg)


def relevant(msg: Pairs) -> bool:
    d = dict(msg)
    return d.get("Event") not in NOISE and not d.get("Variable", "").startswith("RTPAUDIOQOS")


def canonical(shapes: list[Shape]) -> list[Shape | tuple[Shape, ...]]:
    """Runs of ring-group events become one sorted tuple (their order is a race)."""
    out: list[Shape | tuple[Shape, ...]] = []
    run: list[Shape] = []
    for item in [*shapes, ("", ())]:
        if item[0] in RING_GROUP:
            run.append(item)
            continue
        if run:
            out.append(tuple(sorted(run)))
            run = []
        if item[0]:
            out.append(item)
    return out


def recorded_stream(name: str) -> list[Pairs]:
    """Every message of a recorded AMI stream after the banner."""
    text = (AMI / f"ami-{name}.txt").read_bytes().split(b"\r\n", 1)[1]
    return [parse(m) for m in text.split(b"\r\n\r\n") if m.strip()]


def exchanges(name: str) -> list[tuple[bytes, list[Pairs], bool]]:
    """(action bytes, replies, closed after) per action of a `.timeline.txt`."""
    out: list[tuple[bytes, list[Pairs], bool]] = []
    for row in read_transcript(AMI / f"ami-{name}.timeline.txt"):
        if row.direction == "TX":
            out.append((row.data, [], False))
        elif row.direction == "RX" and out:
            out[-1][1].append(parse(row.data))
        elif "EOF from Asterisk" in row.note and out:
            out[-1] = (out[-1][0], out[-1][1], True)
    return out


PHONES = [AgentPhone(f"agent100{n}") for n in range(1, 6)]


async def test_banner_is_the_recorded_one() -> None:
    async with simulator(1, *PHONES) as sim:
        ami = await RawAMI.connect(sim.ami_port, login=False)
        recorded = read_transcript(AMI / "ami-cli-actions.timeline.txt")[0].data
        assert ami.banner == recorded == b"Asterisk Call Manager/11.0.0\r\n"
        await ami.close()


@pytest.mark.parametrize(
    ("recording", "picked"),
    [
        ("cli-actions", [0, 1, 2, 3, 6, 7, 8, 9]),
        ("cli-badlogin", None),
        ("s4-ami-actions-badlogin", None),
        ("s12-ami-misc-md5", None),
        ("s12-ami-misc-md5bad", None),
        ("s4-ami-actions-actions", [0, 1, 2, 5, 6, 7, 14, 20, 23, 24, 25, 26]),
        ("s12-ami-misc-actions", [0, 1, 6, 8, 9, 10, 11, 12, 13, 15, 16, 17]),
    ],
)
async def test_actions_are_answered_in_the_recorded_shape(
    recording: str, picked: list[int] | None
) -> None:
    """Each recorded action, sent as recorded (ActionID included), gets the same shapes.

    Actions about calls that were up during the recording, and actions the simulator
    does not model (QueueStatus, Command, ListCommands), are left out by index.
    """
    steps = exchanges(recording)
    secret = "wrong-secret" if recording.endswith("md5bad") else "callcenter"
    challenge = ""
    async with simulator(1, *PHONES) as sim:
        ami = await RawAMI.connect(sim.ami_port, login=False)
        for index, (recorded, replies, closed) in enumerate(steps):
            if picked is not None and index not in picked:
                continue
            action = recorded
            if b"\r\nKey: " in action:  # the MD5 key answers this session's challenge
                key = hashlib.md5((challenge + secret).encode(), usedforsecurity=False)
                action = re.sub(rb"Key: [0-9a-f]+", b"Key: " + key.hexdigest().encode(), action)
            ami.writer.write(action)
            got = [await ami.read() for _ in replies]
            challenge = next(
                (dict(m)["Challenge"] for m in got if "Challenge" in dict(m)), challenge
            )
            assert [shape(m) for m in got] == [shape(m) for m in replies], action
            for mine, theirs in zip(got, replies, strict=True):
                d, r = dict(mine), dict(theirs)
                assert d.get("ActionID") == r.get("ActionID")
                if "Message" in r and "Response" in r:
                    assert d.get("Message") == r.get("Message"), action
            if closed:
                assert await ami.reader.read() == b""
                break
        await ami.close()


def recorded_agi(path: Path) -> tuple[list[str], list[bytes], list[list[str]], int]:
    """Environment keys, commands sent, reply lines per command and HANGUP lines in all."""
    rows = [r for r in read_transcript(path) if r.direction in ("RX", "TX")]
    env: list[str] = []
    commands: list[bytes] = []
    replies: list[list[str]] = []
    hangups = 0
    for row in rows:
        line = row.data.decode().rstrip("\n")
        if row.direction == "TX":
            commands.append(row.data)
            replies.append([])
        elif line == "HANGUP":
            hangups += 1
        elif not commands:
            if line:
                env.append(line.split(":", 1)[0])
        else:
            replies[-1].append(normal(line))
    return env, commands, replies, hangups


def normal(line: str) -> str:
    return re.sub(r"endpos=\d+", "endpos=N", line)


@dataclass
class AGIReplay:
    """A FastAGI server that sends a recording's commands and keeps what it heard."""

    scripts: dict[str, Path]
    heard: dict[str, tuple[list[str], list[list[str]], int]] = field(default_factory=dict)
    sent: dict[str, asyncio.Event] = field(default_factory=dict)
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    def when_sent(self, prefix: str) -> asyncio.Event:
        return self.sent.setdefault(prefix, asyncio.Event())

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        env: list[tuple[str, str]] = []
        while (line := (await reader.readline()).decode().rstrip("\n")) != "":
            key, _, value = line.partition(": ")
            env.append((key, value))
        script = dict(env)["agi_network_script"]
        _, commands, _, _ = recorded_agi(self.scripts[script])
        replies: list[list[str]] = []
        hangups = 0
        for command in commands:
            writer.write(command)
            for prefix, event in self.sent.items():
                if command.decode().startswith(prefix):
                    event.set()
            lines: list[str] = []
            while True:
                line = (await reader.readline()).decode().rstrip("\n")
                if line == "HANGUP":
                    hangups += 1
                    continue
                lines.append(normal(line))
                if not lines[0].startswith("520-") or line.startswith("520 "):
                    break
            replies.append(lines)
        writer.write_eof()
        hangups += (await reader.read()).count(b"HANGUP\n")
        writer.close()
        self.heard[script] = ([k for k, _ in env], replies, hangups)
        if len(self.heard) == len(self.scripts):
            self.finished.set()


async def originate(ami: RawAMI, endpoint: str, data: str, action_id: str, timeout: int) -> None:
    fields = [
        ("Channel", f"PJSIP/{endpoint}"),
        ("Application", "Bridge"),
        ("Data", data),
        ("CallerID", "Queue <8000>"),
        ("Timeout", str(timeout)),
        ("Async", "true"),
    ]
    reply = await ami.action("Originate", fields, action_id)
    assert dict(reply)["Message"] == "Originate successfully queued"


@dataclass(frozen=True)
class Scenario:
    agi: dict[str, str]
    caller: CallerScript
    events: str | None = None
    phones: tuple[AgentPhone, ...] = ()
    speed: float = 100.0
    options: dict[str, object] = field(default_factory=dict)
    trigger: str | None = None
    slice_from: str | None = None
    only_channel: str | None = None


CALLER = CallerScript("5550001", "100", name="Caller 1")
SCENARIOS = {
    "s1": Scenario({"ivr": "agi-s1-ivr-dtmf-100-01.txt"},
                   CallerScript("5550001", "100", name="Caller 1",
                                steps=(Press("1"), Press("23#"))),
                   events="s1-ivr-dtmf-events", only_channel="PJSIP/caller-00000040"),
    "s3": Scenario({"ivr": "agi-s3-hangup-during-agi-200-01.txt"},
                   CallerScript("5550001", "200", name="Caller 1", hangup_after_s=1.0),
                   events="s3-hangup-during-agi-events", options={"prompt_s": 3.5}),
    "s8": Scenario({"ivr": "agi-s8-get-data-timeout-800-01.txt"},
                   CallerScript("5550001", "800", name="Caller 1"),
                   options={"missing_sounds": frozenset({"no-such-file-xyz"})}),
    "s4": Scenario({"ivr": "agi-s4-ami-actions-300-01.txt"},
                   CallerScript("5550001", "300", name="Caller 1"), speed=10.0,
                   trigger="WAIT FOR DIGIT"),
    "s5": Scenario({"ivr": "agi-s5-originate-bridge-400-01.txt"},
                   CallerScript("5550001", "400", name="Caller 1", talk_s=3.0),
                   events="s5-originate-bridge-events",
                   phones=(AgentPhone("agent1001", answer_after_s=0.5),),
                   trigger="EXEC MusicOnHold", slice_from="HangupRequest"),
    "s7": Scenario({"ivr": "agi-s7-survey-after-agent-hangup-700-01.txt",
                    "survey": "agi-s7-survey-after-agent-hangup-s-02.txt"},
                   CallerScript("5550001", "700", name="Caller 1", survey_answers=("4",)),
                   events="s7-survey-after-agent-hangup-events",
                   phones=(AgentPhone("agent1001", answer_after_s=0.5, talk_s=2.0),),
                   trigger="EXEC MusicOnHold"),
    "s9": Scenario({"ivr": "agi-s9-originate-no-answer-900-01.txt"},
                   CallerScript("5550001", "900", name="Caller 1"), speed=40.0,
                   events="s9-originate-no-answer-events",
                   phones=(AgentPhone("agent1003", PhoneMode.NO_ANSWER),
                           AgentPhone("agent1004", PhoneMode.BUSY)),
                   trigger="EXEC MusicOnHold"),
}  # fmt: skip


async def drive(name: str, act: RawAMI, answered: asyncio.Event, channel: str) -> None:
    """What the recorded client did on AMI once the trigger command was sent."""
    if name == "s4":
        fields = [
            ("Channel", channel),
            ("Context", "redirected"),
            ("Exten", "s"),
            ("Priority", "1"),
        ]
        assert dict(await act.action("Redirect", fields, "r-1"))["Message"] == "Redirect successful"
    elif name in ("s5", "s7"):
        data = channel + (",F(survey^s^1)" if name == "s7" else "")
        await originate(act, "agent1001", data, "orig-bridge", 15000)
    elif name == "s9":
        await originate(act, "agent1003", channel, "orig-ring", 5000)
        async with asyncio.timeout(TIMEOUT):
            await answered.wait()
        await originate(act, "agent1004", channel, "orig-busy", 5000)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_call_flows_match_the_recordings(name: str) -> None:
    scenario = SCENARIOS[name]
    replay = AGIReplay({k: AGI / v for k, v in scenario.agi.items()})
    trigger = replay.when_sent(scenario.trigger) if scenario.trigger else None
    server = await asyncio.start_server(replay.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    seen: list[Pairs] = []
    answered = asyncio.Event()
    async with server, simulator(port, *scenario.phones, speed=scenario.speed,
                                 **scenario.options) as sim:  # fmt: skip
        mon = await RawAMI.connect(sim.ami_port)
        act = await RawAMI.connect(sim.ami_port, events="off")

        async def monitor() -> None:
            while True:
                seen.append(await mon.read(timeout=TIMEOUT * 4))
                if is_event("OriginateResponse")(seen[-1]):
                    answered.set()

        watcher = asyncio.create_task(monitor())
        call = await sim.place_call(scenario.caller)
        if trigger is not None:
            async with asyncio.timeout(TIMEOUT):
                await trigger.wait()
            await drive(name, act, answered, call.channel)
        async with asyncio.timeout(TIMEOUT):
            await call.done
            await replay.finished.wait()
        await asyncio.sleep(0.02)
        watcher.cancel()
        await mon.close()
        await act.close()
    for script, path in replay.scripts.items():
        env, _, replies, hangups = recorded_agi(path)
        assert replay.heard[script] == (env, replies, hangups), script
    if scenario.events is not None:
        assert_same_events(scenario, [m for m in seen if m[0][0] == "Event"])


def assert_same_events(scenario: Scenario, mine: list[Pairs]) -> None:
    assert scenario.events is not None
    theirs = [m for m in recorded_stream(scenario.events) if m[0][0] == "Event"]
    if scenario.only_channel is not None:
        theirs = [m for m in theirs if dict(m).get("Channel") == scenario.only_channel]
    mine, theirs = [m for m in mine if relevant(m)], [m for m in theirs if relevant(m)]
    if scenario.slice_from is not None:

        def start(stream: list[Pairs]) -> int:
            return next(i for i, m in enumerate(stream) if kind(m) == scenario.slice_from)

        mine, theirs = mine[start(mine) :], theirs[start(theirs) :]
    assert len(theirs) >= 10, "the recording should hold a whole call flow"
    assert canonical([shape(m) for m in mine]) == canonical([shape(m) for m in theirs])
