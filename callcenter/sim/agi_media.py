"""What each AGI command does on a live simulated channel, and the line Asterisk answers.

Strategy: one method per command, written from the recordings in
`tests/fixtures/asterisk/agi/`: `200 result=49 endpos=20160` (STREAM FILE cut by a digit,
endpos in 8 kHz samples), `200 result=23` / `200 result= (timeout)` (GET DATA), `200
result=0` (WAIT FOR DIGIT with none, EXEC that ran through), `200 result=1 (5550001)` (GET
VARIABLE), `200 result=-1 endpos=0` (a missing sound file), `510 Invalid or unknown
command`, the `520-` usage block. Time passes through `CallSide.wait`, which returns False
when the call is interrupted (hang-up, bridge, redirect); the command then answers
`200 result=-1` (STREAM FILE adds endpos, RECORD FILE `(hangup) endpos=`), as recorded.
Digits come from the caller's script through `CallSide.next_step`.

Not recorded, from res_agi.c (handle_getdata, ast_app_getdata_full) and app_playback.c: GET
DATA of a missing prompt answers `200 result=-1` at once, with no digit read and the
channel still up; an empty prompt (`GET DATA ""`) plays nothing and only collects; Playback
of a missing file answers `200 result=0` with PLAYBACKSTATUS FAILED. RECORD FILE makes no
folders (handle_recordfile): into a folder that does not exist it answers
`200 result=-1 (writefile)` after the beep, the channel still up; into one that does, the
message is written as `<name>.<format>` (kept when the caller hangs up), here as silence.
"""

from __future__ import annotations

import os
import wave
from dataclasses import dataclass
from typing import Protocol

from callcenter.agi import commands as cmd
from callcenter.sim import events as ev
from callcenter.sim.channel import Channel
from callcenter.sim.options import SimOptions
from callcenter.sim.participants import CallRecord, Press, Step
from callcenter.sim.wire import Pairs

SAMPLES_PER_S = 8000
BEEP_S = 0.2
"""How long RECORD FILE's beep plays before it records (or fails to)."""
GET_DATA_USAGE = (
    "Stream the given <replaceable>file</replaceable>, and receive DTMF data.",
    "Returns the digits received from the channel at the other end.",
)
"""The usage text of GET DATA, as s8 recorded it after a GET DATA with no arguments."""


class CallSide(Protocol):
    """What a command needs from the call it runs on."""

    channel: Channel
    record: CallRecord
    prompt_s: float
    options: SimOptions
    in_survey: bool

    def emit(self, pairs: Pairs) -> None:
        """Broadcast one AMI event."""

    async def wait(self, seconds: float | None) -> bool:
        """Let `seconds` of simulated time pass (None: for ever); False if interrupted."""

    def next_step(self) -> Step | None:
        """The caller's reaction to the next prompt that accepts digits."""

    def push_back(self, step: Step) -> None:
        """Give digits back so that the next prompt receives them."""

    async def hold(self, seconds: float) -> bool:
        """Music on hold for up to `seconds`; False if interrupted (patience included)."""

    def hangup_requested(self, by: str) -> None:
        """The dialplan or the AGI server hangs the call up."""

    def hangup_other(self, channel: str) -> bool:
        """Hang up another channel by name (HANGUP <channel>); False if there is none."""


@dataclass(frozen=True, slots=True)
class Reply:
    """The line(s) Asterisk writes back, and how AGIExecEnd reports the command.

    `failed`: the command's handler returned RESULT_FAILURE (interrupted by a hang-up, a
    sound STREAM FILE cannot open, a file RECORD FILE cannot write); AGIExecEnd then says
    `-1 Failure`, and on a live channel the session goes on.
    """

    lines: tuple[str, ...]
    failed: bool = False

    @property
    def exec_result(self) -> tuple[str, str]:
        """`(ResultCode, Result)` of the AGIExecEnd event."""
        if self.failed:
            return ("-1", "Failure")
        code = self.lines[0][:3]
        return (code, "Success") if code == "200" else (code, self.lines[0][4:])


def ok(result: str, extra: str = "") -> Reply:
    """`200 result=<result>` plus an optional suffix."""
    return Reply((f"200 result={result}{extra}",))


HUNG = Reply(("200 result=-1",), failed=True)


class Media:
    """Runs commands for one live channel."""

    def __init__(self, side: CallSide) -> None:
        self.side = side

    async def run(self, command: cmd.AGICommand) -> Reply:
        """Execute `command` and return Asterisk's answer."""
        s = self.side
        match command:
            case cmd.Answer() | cmd.Noop() | cmd.SetMusic():
                return ok("0")
            case cmd.ChannelStatus(channel=None):
                return ok(str(s.channel.state))
            case cmd.Verbose():
                return ok("1")
            case cmd.SetVariable(name=name, value=value):
                s.channel.variables[name] = value
                s.record.variables[name] = value
                s.emit(ev.varset(s.channel, name, value))
                return ok("1")
            case cmd.GetVariable(name=name) | cmd.GetFullVariable(expression=name):
                found = s.channel.variable(name.removeprefix("${").removesuffix("}"))
                return ok("0") if found is None else ok("1", f" ({found})")
            case cmd.StreamFile(filename=name, escape_digits=escape):
                return await self._stream(name, escape)
            case cmd.GetData(prompt=prompt, timeout_ms=timeout, max_digits=most):
                return await self._get_data(prompt, timeout or 6000, most or 1024)
            case cmd.WaitForDigit(timeout_ms=timeout):
                return await self._wait_digit(timeout)
            case cmd.SayDigits(digits=text, escape_digits=escape):
                return await self._say(f"digits:{text}", len(text), escape)
            case cmd.SayNumber(number=number, escape_digits=escape):
                return await self._say(f"number:{number}", len(str(number)), escape)
            case cmd.SayAlpha(text=text, escape_digits=escape):
                return await self._say(f"alpha:{text}", len(text), escape)
            case cmd.RecordFile(filename=name, fmt=fmt, escape_digits=escape, timeout_ms=timeout):
                return await self._record(name, fmt, escape, timeout)
            case cmd.Exec(application=app, arguments=args):
                return await self._exec(app, args)
            case cmd.Hangup(channel=str(other)):
                return ok("1" if s.hangup_other(other) else "-1")
        return ok("0")

    def _press(self, step: Step | None, accept: str) -> Press | None:
        """The press that interrupts a prompt with escape digits `accept`, if any."""
        if not isinstance(step, Press) or not step.digits or not accept:
            return None
        if step.digits[0] not in accept:
            return None  # Asterisk ignores digits that are not escape digits
        if len(step.digits) > 1:
            self.side.push_back(Press(step.digits[1:], 0.1))
        return step

    def _pressed(self, digits: str) -> None:
        for digit in digits:
            self.side.emit(ev.dtmf_end(self.side.channel, digit))
        self.side.record.digits_sent.append(digits)
        if self.side.in_survey:
            self.side.record.survey_answers.append(digits)

    async def _stream(self, name: str, escape: str) -> Reply:
        s = self.side
        s.record.prompts.append(name)
        if not s.options.sound_exists(name):
            return Reply(("200 result=-1 endpos=0",), failed=True)
        press = self._press(s.next_step() if escape else None, escape)
        played = min(press.after_s, s.prompt_s) if press else s.prompt_s
        if not await s.wait(played):
            s.emit(ev.varset(s.channel, "PLAYBACKSTATUS", "FAILED"))
            return Reply((f"200 result=-1 endpos={int(played * SAMPLES_PER_S)}",), True)
        endpos = f" endpos={int(played * SAMPLES_PER_S)}"
        if press is None:
            return ok("0", endpos)
        self._pressed(press.digits[0])
        s.emit(ev.varset(s.channel, "PLAYBACKSTATUS", "FAILED"))
        return ok(str(ord(press.digits[0])), endpos)

    async def _get_data(self, prompt: str, timeout_ms: int, most: int) -> Reply:
        s = self.side
        if prompt:
            s.record.prompts.append(prompt)
            if not s.options.sound_exists(prompt):
                # handle_getdata answers -1 and returns RESULT_SUCCESS: no Failure here.
                return ok("-1")
        step = s.next_step()
        if not isinstance(step, Press):
            playing = s.prompt_s if prompt else 0.0
            if not await s.wait(playing + timeout_ms / 1000):
                return HUNG
            return ok("", " (timeout)")
        if not await s.wait(step.after_s):
            return HUNG
        digits, ended = "", False
        self._pressed(step.digits)
        for digit in step.digits:
            if digit == "#":
                ended = True
                break
            digits += digit
            if len(digits) >= most:
                ended = True
                break
        if ended:
            return ok(digits)
        if not await s.wait(timeout_ms / 1000):
            return HUNG
        return ok(digits, " (timeout)")

    async def _wait_digit(self, timeout_ms: int) -> Reply:
        s = self.side
        press = self._press(s.next_step(), "0123456789*#ABCD")
        if press is None:
            if not await s.wait(None if timeout_ms < 0 else timeout_ms / 1000):
                return HUNG
            return ok("0")
        if not await s.wait(press.after_s):
            return HUNG
        self._pressed(press.digits[0])
        return ok(str(ord(press.digits[0])))

    async def _say(self, what: str, length: int, escape: str) -> Reply:
        s = self.side
        s.record.prompts.append(what)
        press = self._press(s.next_step() if escape else None, escape)
        if not await s.wait(press.after_s if press else 0.5 * max(1, length)):
            return HUNG
        if press is None:
            return ok("0")
        self._pressed(press.digits[0])
        return ok(str(ord(press.digits[0])))

    async def _record(self, name: str, fmt: str, escape: str, timeout_ms: int) -> Reply:
        s = self.side
        if not s.options.folder_exists(name):
            # res_agi.c: the beep plays, then ast_writefile fails; the channel stays up.
            if not await s.wait(BEEP_S):
                return HUNG
            return Reply(("200 result=-1 (writefile)",), failed=True)
        s.record.prompts.append(f"record:{name}")
        press = self._press(s.next_step(), escape)
        spoken = press.after_s if press else (timeout_ms / 1000 if timeout_ms > 0 else 10.0)
        if not await s.wait(spoken):
            # A caller who hangs up ends the message; Asterisk keeps what was recorded.
            _write_recording(name, fmt, spoken)
            return Reply((f"200 result=-1 (hangup) endpos={int(spoken * SAMPLES_PER_S)}",), True)
        _write_recording(name, fmt, spoken)
        endpos = f" endpos={int(spoken * SAMPLES_PER_S)}"
        if press is None:
            return ok("0", f" (timeout){endpos}")
        self._pressed(press.digits[0])
        return ok(str(ord(press.digits[0])), f" (dtmf){endpos}")

    async def _exec(self, app: str, args: tuple[str, ...]) -> Reply:
        s = self.side
        name = app.lower()
        if name == "musiconhold":
            seconds = float(args[1]) if len(args) > 1 and args[1] else None
            return ok("0") if await s.hold(seconds if seconds else 3600.0) else HUNG
        if name in ("playback", "background"):
            status = "PLAYBACKSTATUS" if name == "playback" else "BACKGROUNDSTATUS"
            s.record.prompts.extend(a for a in args[:1] if a)
            if args and args[0] and not s.options.sound_exists(args[0]):
                s.emit(ev.varset(s.channel, status, "FAILED"))
                return ok("0")
            if not await s.wait(s.prompt_s):
                return HUNG
            s.emit(ev.varset(s.channel, status, "SUCCESS"))
            return ok("0")
        if name == "wait":
            return ok("0") if await s.wait(float(args[0]) if args else 1.0) else HUNG
        if name == "hangup":
            s.hangup_requested("agi")
            return HUNG
        return ok("0")  # applications the simulator does not model return at once


def _write_recording(name: str, fmt: str, seconds: float) -> None:
    """Leave the message where Asterisk would: `<name>.<fmt>`, for `wav` a 16-bit 8 kHz mono
    file of `seconds` of silence (the simulated caller says nothing). Only into a folder
    that exists on this machine (the tests' spool); a folder the options merely declare
    stays empty, as before."""
    if fmt != "wav" or not os.path.isdir(os.path.dirname(name) or "."):
        return
    with wave.open(f"{name}.{fmt}", "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLES_PER_S)
        out.writeframes(b"\x00\x00" * int(seconds * SAMPLES_PER_S))
