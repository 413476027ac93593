"""The IVR runner over a real loopback FastAGI connection, against a scripted caller.

`ScriptedCaller` plays Asterisk: it sends the `agi_*` environment recorded in
tests/fixtures/asterisk/agi/agi-s1-ivr-dtmf-100-01.txt and answers each command line the
way Asterisk does in those recordings: `200 result=0`; a key over STREAM FILE as
`200 result=<ascii> endpos=...`; GET DATA as `200 result=<digits>` or
`200 result= (timeout)`; WAIT FOR DIGIT as `200 result=<ascii>` or `200 result=0`; a
missing sound as `200 result=-1 endpos=0` (STREAM FILE) or `200 result=-1` (GET DATA, which
then reads no key: res_agi.c); and a hang-up as `200 result=-1` followed by a `HANGUP` line
(or, for commands that do not return -1, `HANGUP` then a 511).

The caller's `keys` are entries, in order: a string of keys typed at the next prompt that
listens (the first key interrupts it, the rest answer WAIT FOR DIGIT or GET DATA), SILENT
(nothing typed when the IVR waits for a key: a timeout), or LISTEN (an interruptible prompt
is let play to its end). The real `FastAGIServer` routes the call to a handler running
`IvrRunner` with ten-line fakes.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import structlog.testing

from callcenter.agi import AGISession, FastAGIServer, SessionEnded, SessionEvent, SessionOutcome
from callcenter.agi.quoting import split_like_asterisk
from callcenter.app.settings import IVRSettings
from callcenter.ivr.loader import FlowLibrary
from callcenter.ivr.lookups import CustomerRecord, OrderStatus
from callcenter.ivr.runner import IvrResult, IvrRunner, VoicemailFailed, VoicemailRecorded
from ivr_flows import EnqueueCall, RequestCallback, StoreSurvey
from tests.asterisk_fixtures import fixtures_root, read_transcript

TIMEOUT = 5.0
BERLIN = ZoneInfo("Europe/Berlin")
OPEN = datetime(2026, 5, 20, 10, 0, tzinfo=BERLIN)
CLOSED = datetime(2026, 5, 20, 22, 0, tzinfo=BERLIN)
SILENT = None
LISTEN = ""
DEAD = b"511 Command Not Permitted on a dead channel or intercept routine\n"
ALICE = CustomerRecord("Alice Example", "gold", "de", "10000009", "custom/names/alice")
VICTOR = CustomerRecord("Victor Important", "vip", "en", "4000123457")


def recorded_environment() -> list[bytes]:
    rows = read_transcript(fixtures_root() / "agi" / "agi-s1-ivr-dtmf-100-01.txt")
    lines: list[bytes] = []
    for row in rows:
        if row.direction == "RX":
            lines.append(row.data)
            if row.data == b"\n":
                return lines
    raise AssertionError("the recording has no environment")


ENVIRONMENT = recorded_environment()


@dataclass
class ScriptedCaller:
    """Asterisk's side of one call, answering as in the recordings."""

    keys: list[str | None] = field(default_factory=list)
    script: str = "ivr"
    dnid: str = "100"
    caller: str = "5550001"
    channel_status: int = 6
    hangup_at: int | None = None
    missing_sounds: frozenset[str] = frozenset()
    """Sound names, or folders written with their `/` (`custom/`)."""
    spool_dirs: frozenset[str] = frozenset({"/var/spool/asterisk/callcenter"})
    """The folders RECORD FILE can write into (it makes none)."""
    commands: list[str] = field(default_factory=list)
    after_hangup: list[str] = field(default_factory=list)
    _typing: str = ""
    _in_entry: bool = False
    _hung_up: bool = False

    def environment(self) -> bytes:
        fields = {
            b"agi_network_script": self.script.encode(),
            b"agi_request": f"agi://127.0.0.1:4573/{self.script}".encode(),
            b"agi_dnid": self.dnid.encode(),
            b"agi_extension": self.dnid.encode(),
            b"agi_callerid": self.caller.encode(),
        }
        out = []
        for line in ENVIRONMENT:
            key = line.split(b":", 1)[0]
            out.append(key + b": " + fields[key] + b"\n" if key in fields else line)
        return b"".join(out)

    def reply(self, line: bytes) -> list[bytes]:
        text = line.decode().rstrip("\n")
        words = split_like_asterisk(text)
        self.commands.append(text)
        if self._hung_up:
            self.after_hangup.append(text)
            return [DEAD]
        if self.hangup_at == len(self.commands) - 1 and not text.startswith("HANGUP"):
            self._hung_up = True
            return self._hang_up(text)
        if not text.startswith("WAIT FOR DIGIT") and not self._typing:
            self._in_entry = False  # the IVR moved on: the entry being typed is over
        return [self._answer(text, words).encode()]

    def _hang_up(self, text: str) -> list[bytes]:
        if text.startswith("STREAM FILE"):
            return [b"200 result=-1 endpos=1234\n", b"HANGUP\n"]
        if text.startswith("RECORD FILE"):
            return [b"200 result=-1 (hangup) endpos=8000\n", b"HANGUP\n"]
        if text.startswith(("GET DATA", "WAIT FOR DIGIT", "SAY", "EXEC")):
            return [b"200 result=-1\n", b"HANGUP\n"]
        return [b"HANGUP\n", DEAD]

    def _answer(self, text: str, words: list[str]) -> str:
        if text.startswith("STREAM FILE"):
            if self._missing(words[2]):
                return "200 result=-1 endpos=0\n"
            key = self._key() if words[3] else None
            return f"200 result={ord(key)} endpos=4000\n" if key else "200 result=0 endpos=16000\n"
        if text.startswith("WAIT FOR DIGIT"):
            key = self._next_key()
            return f"200 result={ord(key) if key else 0}\n"
        if text.startswith("GET DATA"):
            if words[2] and self._missing(words[2]):
                return "200 result=-1\n"
            return self._get_data(int(words[4]))
        if text.startswith("CHANNEL STATUS"):
            return f"200 result={self.channel_status}\n"
        if text.startswith("RECORD FILE"):
            if words[2].rsplit("/", 1)[0] not in self.spool_dirs:
                return "200 result=-1 (writefile)\n"
            return "200 result=35 (dtmf) endpos=96000\n"
        if text.startswith(("SET VARIABLE", "HANGUP")):
            return "200 result=1\n"
        if text.startswith(("ANSWER", "SAY", "EXEC")):
            return "200 result=0\n"
        return "510 Invalid or unknown command\n"

    def _missing(self, sound: str) -> bool:
        return sound in self.missing_sounds or any(
            folder.endswith("/") and sound.startswith(folder) for folder in self.missing_sounds
        )

    def _key(self) -> str | None:
        """A key over a prompt: the next one being typed, or the start of the next entry."""
        if not self._typing and self.keys and self.keys[0] == LISTEN:
            self.keys.pop(0)
        elif not self._typing and self.keys and self.keys[0] is not SILENT:
            self._typing, self._in_entry = self.keys.pop(0) or "", True
        return self._pop()

    def _next_key(self) -> str | None:
        """WAIT FOR DIGIT: the next key of the entry; silence ends it or is an entry itself."""
        if self._typing:
            return self._pop()
        if self._in_entry:
            self._in_entry = False
            return None
        entry = self.keys.pop(0) if self.keys else SILENT
        self._typing, self._in_entry = entry or "", entry is not SILENT
        return self._pop()

    def _pop(self) -> str | None:
        if not self._typing:
            return None
        key, self._typing = self._typing[0], self._typing[1:]
        return key

    def _get_data(self, max_digits: int) -> str:
        entry = self.keys.pop(0) if self.keys else SILENT
        if not entry:
            return "200 result= (timeout)\n"
        digits = entry.split("#", 1)[0][:max_digits]
        ended = "#" in entry or len(digits) == max_digits
        return f"200 result={digits}\n" if ended else f"200 result={digits} (timeout)\n"


async def place_call(port: int, caller: ScriptedCaller) -> None:
    """Connect, send the environment, answer every command until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        async with asyncio.timeout(TIMEOUT):
            writer.write(caller.environment())
            await writer.drain()
            while line := await reader.readline():
                writer.writelines(caller.reply(line))
                await writer.drain()
    finally:
        writer.close()
        with suppress(OSError):
            await writer.wait_closed()


class Directory:
    """Customers by phone and by account."""

    def __init__(self, **by_phone: CustomerRecord) -> None:
        self.by_number = by_phone
        self.by_acct = {c.account: c for c in by_phone.values() if c.account}

    async def by_phone(self, number: str) -> CustomerRecord | None:
        return self.by_number.get(number)

    async def by_account(self, account: str) -> CustomerRecord | None:
        return self.by_acct.get(account)


class BrokenDirectory(Directory):
    """A directory whose database is down."""

    async def by_phone(self, number: str) -> CustomerRecord | None:
        raise ConnectionRefusedError("database down")


class Orders:
    """One shipped order."""

    async def order_status(self, order_number: str) -> OrderStatus | None:
        return OrderStatus("shipped", date(2026, 5, 12)) if order_number == "123456" else None


class Waits:
    """Fixed estimated waits per queue."""

    def __init__(self, **seconds: float) -> None:
        self.seconds = seconds

    def estimated_wait(self, queue: str) -> float | None:
        return self.seconds.get(queue)


@dataclass
class Line:
    """A FastAGI server running the IVR, and what its calls ended with."""

    server: FastAGIServer
    results: list[IvrResult]
    ends: asyncio.Queue[SessionEnded]

    async def call(self, caller: ScriptedCaller) -> tuple[IvrResult, SessionEnded]:
        await place_call(self.server.port, caller)
        async with asyncio.timeout(TIMEOUT):
            ended = await self.ends.get()
        return self.results[-1], ended


LineFactory = Callable[..., Awaitable[Line]]


@pytest.fixture
async def line_factory() -> AsyncIterator[LineFactory]:
    servers: list[FastAGIServer] = []

    async def start(
        now: datetime = OPEN,
        directory: Directory | None = None,
        waits: Waits | None = None,
        flows_dir: Path | None = None,
    ) -> Line:
        ivr = {"timezone": "Europe/Berlin", "dnis": {"100": "main_hotline"}}
        if flows_dir is not None:
            ivr["flows_dir"] = str(flows_dir)
        library = FlowLibrary(IVRSettings(**ivr))
        runner = IvrRunner(
            library,
            directory or Directory(**{"5550001": ALICE, "5550002": VICTOR}),
            Orders(),
            waits=waits or Waits(billing=40.0, support=40.0),
            clock=lambda: now,
        )
        results: list[IvrResult] = []
        ends: asyncio.Queue[SessionEnded] = asyncio.Queue()

        def observe(event: SessionEvent) -> None:
            if isinstance(event, SessionEnded):
                ends.put_nowait(event)

        async def handler(session: AGISession) -> None:
            results.append(await runner.run(session))

        server = FastAGIServer(port=0, idle_timeout=TIMEOUT, close_linger=TIMEOUT, observer=observe)
        server.route("/ivr", handler)
        server.route("/survey", handler)
        await server.start()
        servers.append(server)
        return Line(server, results, ends)

    yield start
    for server in servers:
        await server.close(grace=0.5)


MENU_KEYS = '"0123456789*#"'
# Listens to the welcome, picks Deutsch, has no account number (silent twice), picks the
# order status, keys the order number, and says nothing more after hearing it.
ORDER_KEYS = (LISTEN, "2", SILENT, SILENT, "1", "123456#", SILENT)


async def test_a_known_caller_is_greeted_by_name_and_queued_with_the_session_kept_open(
    line_factory: LineFactory,
) -> None:
    line: Line = await line_factory()
    caller = ScriptedCaller(keys=["2"])

    result, ended = await line.call(caller)

    assert caller.commands == [
        "CHANNEL STATUS",
        'STREAM FILE custom/welcome-back ""',
        'STREAM FILE custom/names/alice ""',
        "SET VARIABLE CHANNEL(language) de",
        f"STREAM FILE custom/main-menu {MENU_KEYS}",
    ]
    assert (result.flow, result.outcome, result.hung_up) == ("main_hotline", "queued", False)
    (enqueue,) = result.handoffs
    assert isinstance(enqueue, EnqueueCall)
    assert (enqueue.queue, enqueue.priority) == ("billing", 5)
    assert enqueue.data["customer.name"] == "Alice Example"
    assert enqueue.data["call_id"] == "1795340984.73"
    assert ended.outcome is SessionOutcome.COMPLETED


async def test_a_vip_keying_an_account_after_a_silent_language_question_is_prioritised(
    line_factory: LineFactory,
) -> None:
    line: Line = await line_factory()
    caller = ScriptedCaller(keys=[SILENT, "1", "4000123457#"], caller="5559999")

    result, _ = await line.call(caller)

    assert caller.commands == [
        "CHANNEL STATUS",
        f"STREAM FILE custom/welcome {MENU_KEYS}",
        f"STREAM FILE custom/choose-language {MENU_KEYS}",
        "WAIT FOR DIGIT 4000",
        f"STREAM FILE custom/choose-language {MENU_KEYS}",
        "SET VARIABLE CHANNEL(language) en",
        "GET DATA custom/enter-account 6000 10",
    ]
    assert result.outcome == "queued"
    assert result.data["account_number"] == "4000123457"
    assert result.handoffs[0] == EnqueueCall(
        "general",
        {"lang-en": 1},
        10,
        dict(result.handoffs[0].data),  # type: ignore[union-attr]
    )
    assert result.path[-2:] == ("vip_priority", "vip_queue")


async def test_the_order_status_is_read_back_and_the_ivr_hangs_up(
    line_factory: LineFactory,
) -> None:
    line: Line = await line_factory()
    caller = ScriptedCaller(keys=list(ORDER_KEYS), caller="5559999")

    result, ended = await line.call(caller)

    assert 'SAY DIGITS 123456 ""' in caller.commands
    assert 'SAY DATE 1778587200 ""' in caller.commands  # 2026-05-12 12:00 UTC
    assert caller.commands[-1] == "HANGUP"
    assert result.outcome == "self_service"
    assert result.data["order.status"] == "shipped"
    assert result.data["language"] == "de"
    assert "SET VARIABLE CHANNEL(language) de" in caller.commands
    assert ended.outcome is SessionOutcome.COMPLETED


async def test_a_long_wait_turns_into_a_callback(line_factory: LineFactory) -> None:
    line: Line = await line_factory(waits=Waits(support=900.0))
    caller = ScriptedCaller(keys=["3", "1"])

    result, _ = await line.call(caller)

    assert 'SAY DIGITS 5550001 ""' in caller.commands
    assert [type(h) for h in result.handoffs] == [RequestCallback]
    assert result.outcome == "callback"


async def test_a_caller_id_that_is_no_valid_number_is_not_offered_a_callback_to_it(
    line_factory: LineFactory,
) -> None:
    # 123 is digits but no number in Germany (cti.default_region): the caller is asked for
    # the number to call; 110 cannot be called back either, so the caller keeps waiting.
    line: Line = await line_factory(waits=Waits(support=900.0))
    keys = [None, "1", "#", "#", "3", "110#"]  # unknown: English, no account, support
    caller = ScriptedCaller(caller="123", keys=keys)

    result, _ = await line.call(caller)

    assert not any(c.startswith("SAY DIGITS") for c in caller.commands)
    assert [c for c in caller.commands if "callback-enter-number" in c] == [
        "GET DATA custom/callback-enter-number 5000 20"
    ]
    assert [type(h) for h in result.handoffs] == [EnqueueCall]
    assert result.outcome == "queued"


async def test_after_hours_a_voicemail_is_recorded_for_the_team(line_factory: LineFactory) -> None:
    line: Line = await line_factory(now=CLOSED)
    caller = ScriptedCaller(keys=[LISTEN, LISTEN, "1"])

    result, ended = await line.call(caller)

    # Into the spool folder the deployment makes: RECORD FILE makes no folder per queue.
    assert [c for c in caller.commands if c.startswith("RECORD FILE")] == [
        'RECORD FILE /var/spool/asterisk/callcenter/general-1795340984.73 wav "#" 120000 BEEP s=5'
    ]
    assert result.handoffs == (
        VoicemailRecorded("general", "/var/spool/asterisk/callcenter/general-1795340984.73", 12.0),
    )
    assert result.outcome == "voicemail"
    assert result.path[:3] == ("check_hours", "after_hours", "after_hours/closed")
    assert caller.commands[-1] == "HANGUP"
    assert ended.outcome is SessionOutcome.COMPLETED


async def test_a_voicemail_asterisk_cannot_write_is_apologised_for_and_reported(
    line_factory: LineFactory,
) -> None:
    line: Line = await line_factory(now=CLOSED)
    caller = ScriptedCaller(keys=[LISTEN, LISTEN, "1"], spool_dirs=frozenset())

    with structlog.testing.capture_logs() as logs:
        result, ended = await line.call(caller)

    record = caller.commands.index(
        'RECORD FILE /var/spool/asterisk/callcenter/general-1795340984.73 wav "#" 120000 BEEP s=5'
    )
    # The caller is still there: told, then hung up by us (not cut off mid-call).
    assert caller.commands[record + 1 :] == [
        'STREAM FILE custom/message-failed ""',
        'STREAM FILE vm-goodbye ""',
        "HANGUP",
    ]
    assert (result.outcome, result.hung_up) == ("voicemail_failed", False)
    assert result.handoffs == (
        VoicemailFailed(
            "general",
            "/var/spool/asterisk/callcenter/general-1795340984.73",
            "200 result=-1 (writefile)",
        ),
    )
    assert ended.outcome is SessionOutcome.COMPLETED
    (failed,) = [e for e in logs if e["event"] == "voicemail.record_failed"]
    assert failed["log_level"] == "error"
    assert failed["reply"] == "200 result=-1 (writefile)"
    assert failed["file"] == "/var/spool/asterisk/callcenter/general-1795340984.73.wav"


async def test_the_survey_runs_on_a_channel_that_is_already_up(line_factory: LineFactory) -> None:
    line: Line = await line_factory()
    caller = ScriptedCaller(keys=[LISTEN, "5", "4", "5"], script="survey", dnid="700")

    result, _ = await line.call(caller)

    assert caller.commands[0] == "CHANNEL STATUS"
    assert "ANSWER" not in caller.commands
    assert result.flow == "post_call_survey"
    assert result.handoffs == (
        StoreSurvey((("satisfaction", 5), ("resolved", 4), ("recommend", 5)), complete=True),
    )
    assert caller.commands[-1] == "HANGUP"


async def test_a_channel_that_is_not_up_is_answered_first(line_factory: LineFactory) -> None:
    line: Line = await line_factory()
    caller = ScriptedCaller(keys=["2"], channel_status=4)

    await line.call(caller)

    assert caller.commands[:2] == ["CHANNEL STATUS", "ANSWER"]


async def test_a_missing_sound_is_skipped_and_the_call_goes_on(line_factory: LineFactory) -> None:
    line: Line = await line_factory()
    caller = ScriptedCaller(keys=["2"], missing_sounds=frozenset({"custom/names/alice"}))

    result, _ = await line.call(caller)

    assert result.outcome == "queued"
    assert not result.hung_up


async def test_a_missing_account_prompt_still_lets_the_caller_key_in_the_account(
    line_factory: LineFactory,
) -> None:
    line: Line = await line_factory()
    caller = ScriptedCaller(
        keys=[SILENT, "1", "4000123457#"],
        caller="5559999",
        missing_sounds=frozenset({"custom/enter-account"}),
    )

    result, ended = await line.call(caller)

    # GET DATA's -1 is asked about (the channel is up: 6), then the keys are read unprompted.
    assert caller.commands[6:9] == [
        "GET DATA custom/enter-account 6000 10",
        "CHANNEL STATUS",
        'GET DATA "" 6000 10',
    ]
    assert (result.outcome, result.hung_up) == ("queued", False)
    (enqueue,) = result.handoffs
    assert isinstance(enqueue, EnqueueCall)
    assert (enqueue.data["account_number"], enqueue.priority) == ("4000123457", 10)
    assert ended.outcome is SessionOutcome.COMPLETED


async def test_a_caller_who_hears_none_of_the_company_prompts_still_reaches_the_queue(
    line_factory: LineFactory,
) -> None:
    line: Line = await line_factory()
    caller = ScriptedCaller(caller="5559999", missing_sounds=frozenset({"custom/"}))

    with structlog.testing.capture_logs() as logs:
        result, ended = await line.call(caller)

    assert (result.outcome, result.hung_up) == ("queued", False)
    (enqueue,) = result.handoffs
    assert isinstance(enqueue, EnqueueCall)
    assert enqueue.queue == "general"  # silence everywhere: the menu's fallback, the operator
    assert "HANGUP" not in caller.commands
    assert ended.outcome is SessionOutcome.COMPLETED
    missing = [e for e in logs if e["event"] == "ivr.prompt_missing"]
    assert {e["log_level"] for e in missing} == {"warning"}
    named = [e["prompt"] for e in missing]
    assert len(named) == len(set(named)), "each missing prompt is logged once per call"
    assert {"custom/welcome", "custom/enter-account", "custom/main-menu"} <= set(named)


async def test_a_failed_customer_lookup_lets_the_caller_through_as_unknown(
    line_factory: LineFactory,
) -> None:
    line: Line = await line_factory(directory=BrokenDirectory())
    caller = ScriptedCaller(keys=["1", "1", SILENT, SILENT, "0"])

    result, ended = await line.call(caller)

    assert result.path[:3] == ("check_hours", "identify_by_number", "welcome")
    assert result.outcome == "queued"
    assert ended.outcome is SessionOutcome.COMPLETED


SCENARIOS: dict[str, tuple[datetime, ScriptedCaller, str]] = {
    "billing": (OPEN, ScriptedCaller(keys=["2"]), "queued"),
    "account_vip": (
        OPEN,
        ScriptedCaller(keys=[SILENT, "1", "4000123457#"], caller="5559999"),
        "queued",
    ),
    "order_status": (OPEN, ScriptedCaller(keys=list(ORDER_KEYS), caller="5559999"), "self_service"),
    "voicemail": (CLOSED, ScriptedCaller(keys=[LISTEN, LISTEN, "1"]), "voicemail"),
    "callback": (CLOSED, ScriptedCaller(keys=[LISTEN, LISTEN, "2", "1"]), "callback"),
    "survey": (OPEN, ScriptedCaller(keys=[LISTEN, "5", "4", "5"], script="survey"), "survey"),
}


def fresh(template: ScriptedCaller, hangup_at: int | None) -> ScriptedCaller:
    return ScriptedCaller(
        keys=list(template.keys),
        script=template.script,
        caller=template.caller,
        hangup_at=hangup_at,
    )


def is_prefix(part: Iterable[str], whole: tuple[str, ...]) -> bool:
    part = tuple(part)
    return whole[: len(part)] == part


@pytest.mark.parametrize("name", SCENARIOS)
async def test_each_shipped_flow_reaches_its_end_and_survives_a_hang_up_at_any_step(
    line_factory: LineFactory, name: str
) -> None:
    now, template, outcome = SCENARIOS[name]
    line = await line_factory(now=now)
    full_caller = fresh(template, None)
    full, _ = await line.call(full_caller)
    assert (full.outcome, full.hung_up) == (outcome, False)

    steps = [i for i, command in enumerate(full_caller.commands) if command != "HANGUP"]
    assert len(steps) >= 5
    for step in steps:
        command = full_caller.commands[step]
        caller = fresh(template, step)
        result, ended = await line.call(caller)

        assert result.hung_up, f"hang-up at {command!r}"
        assert is_prefix(result.path, full.path), (command, result.path, full.path)
        assert caller.commands == full_caller.commands[: step + 1]
        assert caller.after_hangup == [], f"commands after the hang-up at {command!r}"
        assert ended.outcome is SessionOutcome.COMPLETED


async def test_a_transfer_tells_the_dialplan_the_ivr_is_done_before_it_dials(
    line_factory: LineFactory, tmp_path: Path
) -> None:
    # The dialplan's FastAGI fail-over takes a session that ends without CC_DONE for a
    # backend that went away: a transferred caller must not run the flow again after
    # their talk, whatever happens to this backend meanwhile.
    flows = tmp_path / "flows"
    shutil.copytree(IVRSettings().flows_dir, flows)
    (flows / "main_hotline.yaml").write_text(
        "description: Straight to the front desk.\nstart: out\n"
        "nodes:\n  out:\n    type: transfer\n    number: '5550100'\n"
    )
    line = await line_factory(flows_dir=flows)
    caller = ScriptedCaller()

    result, _ = await line.call(caller)

    assert result.outcome == "transferred"
    assert caller.commands[-2:] == [
        "SET VARIABLE CC_DONE 1",
        "EXEC Dial Local/5550100@outbound,60",
    ]


def test_the_scripted_caller_uses_the_recorded_environment() -> None:
    environment = ScriptedCaller().environment()

    assert environment.startswith(b"agi_network: yes\nagi_network_script: ivr\n")
    assert b"agi_uniqueid: 1795340984.73\n" in environment
    assert environment.endswith(b"agi_accountcode: \nagi_threadid: 140697718048448\n\n")
    assert Path(fixtures_root()).is_dir()
