"""One call's AGI conversation, as typed helpers a handler awaits.

Strategy: one command at a time; `HANGUP` lines that arrive while a command runs mark the
call as hung up and never stand in for its reply. What the recordings in
`tests/fixtures/asterisk/agi/` teach about hang-ups becomes one exception, AGIHangup:
a `HANGUP` line (agi-s2-*), a `result=-1` that means the channel went away (STREAM FILE
interrupted, agi-s3-*; EXEC MusicOnHold when the caller is bridged away, agi-s5-*), a 511
on a dead channel, or the connection closing (`hangup_seen` tells the first three, and our
own HANGUP, from a connection that just closed: Asterisk gone, or a peer that was never
Asterisk). Once the call is over, every helper raises AGIHangup at once without touching
the socket; `command(..., after_hangup=True)` is the deliberate way to run the commands
Asterisk still allows on a dead channel (GET VARIABLE DIALSTATUS, SET VARIABLE). A missing
sound file answers `result=-1 endpos=0` and the call goes on (agi-s8-*), so STREAM FILE
reports it as AGIPlaybackFailed, not as a hang-up.

GET DATA answers a missing prompt with a bare `200 result=-1` (res_agi.c handle_getdata:
ast_app_getdata_full returns ast_streamfile's -1 at once), the very line a hang-up gives.
The two are told apart by asking: when a hang-up (or a bridge or redirect) caused the -1,
res_agi.c's run_agi has marked the channel dead and written `HANGUP` before it reads our
next command, so `CHANNEL STATUS` (not allowed on a dead channel) answers 511; on a live
channel it answers the state. One extra round trip, and only after a -1.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from callcenter.agi import commands as cmd
from callcenter.agi.codec import CodecState
from callcenter.agi.errors import (
    AGICommandError,
    AGIConnectionError,
    AGIHangup,
    AGIPlaybackFailed,
    LocalProtocolError,
    ProtocolError,
)
from callcenter.agi.events import NEED_DATA, ConnectionClosed, HangupNotice
from callcenter.agi.request import AGIRequest
from callcenter.agi.responses import AGIResponse
from callcenter.agi.stream import AGIStream


@dataclass(frozen=True, slots=True)
class DigitsResult:
    """What GET DATA collected: the digits (maybe none), and whether it ended by timeout."""

    digits: str
    timed_out: bool


@dataclass(frozen=True, slots=True)
class RecordResult:
    """How RECORD FILE ended: `reason` is Asterisk's word (dtmf, timeout, hangup ...)."""

    reason: str
    digit: str | None
    endpos: int | None

    @property
    def hung_up(self) -> bool:
        """True when the caller hung up while recording (the recording is kept)."""
        return self.reason == "hangup"


class AGISession:
    """The handler's side of one FastAGI call. Built by the server, one per connection."""

    def __init__(
        self, request: AGIRequest, stream: AGIStream, *, command_timeout: float | None = None
    ) -> None:
        self.request = request
        """The call's environment: channel, uniqueid, caller, script and arguments."""
        self.hung_up = False
        """True once the call is over; every helper then raises AGIHangup at once."""
        self.hangup_seen = False
        """True once Asterisk said the call is over for this session (a `HANGUP` line, a -1
        result, a 511), or we hung it up. A session that ends without it lost its
        connection (Asterisk went away, or the peer was not Asterisk at all): whether the
        caller is still there is then for AMI to say."""
        self.commands_sent = 0
        """Commands written to Asterisk so far."""
        self._stream = stream
        self._command_timeout = command_timeout
        self._busy = False
        self._broken: str | None = None

    @property
    def peer(self) -> str:
        """The IP address the session's connection comes from ("" when unknown)."""
        return self._stream.peer

    async def command(self, command: cmd.AGICommand, *, after_hangup: bool = False) -> AGIResponse:
        """Send one command and return Asterisk's 200 reply, whatever its result.

        Raises AGIHangup if the call is over before or while the command runs (unless
        `after_hangup`, which sends it anyway and returns the reply), AGICommandError for
        510/520 and other non-200 replies, AGITimeoutError if Asterisk stays silent.
        """
        was_hung_up = self.hung_up
        response = await self._exchange(command, after_hangup=after_hangup)
        if self.hung_up and not was_hung_up and not after_hangup:
            raise AGIHangup("the call hung up while the command ran", response)
        return response

    async def answer(self) -> None:
        """Answer the channel."""
        self._hangup_on_failure(await self.command(cmd.Answer()))

    async def stream_file(self, name: str, escape_digits: str = "") -> str | None:
        """Play `name`; return the escape digit pressed, or None if it played through.

        Raises AGIPlaybackFailed when Asterisk cannot play the file (the call goes on).
        """
        response = await self.command(cmd.StreamFile(name, escape_digits))
        if response.result_int == -1 and response.endpos == 0:
            # A hang-up that interrupts a playback reports how far it got (agi-s3-*);
            # nothing played at all is a file Asterisk could not open (agi-s8-*).
            raise AGIPlaybackFailed(name, response)
        return self._digit(response)

    async def get_data(
        self, prompt: str, timeout_ms: int | None = None, max_digits: int | None = None
    ) -> DigitsResult:
        """Play `prompt` and collect digits until `#`, `max_digits` or the timeout.

        An empty `prompt` plays nothing and only collects. Raises AGIPlaybackFailed when
        Asterisk cannot play the prompt: it then collected nothing, and the call goes on.
        """
        response = await self.command(cmd.GetData(prompt, timeout_ms, max_digits))
        if response.result_int == -1:
            if prompt and await self._still_up():
                raise AGIPlaybackFailed(prompt, response)
            self.hung_up = self.hangup_seen = True
            raise AGIHangup("Asterisk answered -1: the channel is gone", response)
        return DigitsResult(digits=response.result, timed_out=response.data == "timeout")

    async def wait_for_digit(self, timeout_ms: int) -> str | None:
        """Wait up to `timeout_ms` (-1: for ever) for one digit; None if none came."""
        return self._digit(await self.command(cmd.WaitForDigit(timeout_ms)))

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        """Say `digits` one by one; return the escape digit pressed, if any."""
        return self._digit(await self.command(cmd.SayDigits(digits, escape_digits)))

    async def say_number(self, number: int, escape_digits: str = "") -> str | None:
        """Say `number` as a number; return the escape digit pressed, if any."""
        return self._digit(await self.command(cmd.SayNumber(number, escape_digits)))

    async def say_date(self, epoch_seconds: int, escape_digits: str = "") -> str | None:
        """Say the date of a Unix time; return the escape digit pressed, if any."""
        return self._digit(await self.command(cmd.SayDate(epoch_seconds, escape_digits)))

    async def record_file(  # noqa: PLR0917  (positional order is the pinned public API)
        self,
        name: str,
        fmt: str = "wav",
        escape_digits: str = "#",
        timeout_ms: int = -1,
        beep: bool = True,
        silence_s: int | None = None,
    ) -> RecordResult:
        """Record the caller into `name`.`fmt`.

        The one helper that returns on a hang-up (`reason == "hangup"`), because a voicemail
        normally ends that way and the recording is kept; the next helper raises AGIHangup.
        Raises AGICommandError when Asterisk recorded nothing on a live channel: `(writefile)`,
        the file could not be opened (RECORD FILE makes no folders: res_agi.c), or another
        -1 (the beep could not be played, the silence detector could not start).
        """
        record = cmd.RecordFile(name, fmt, escape_digits, timeout_ms, beep, silence_s)
        response = await self._exchange(record, after_hangup=False)
        if response.data == "writefile":
            raise AGICommandError(
                f"Asterisk could not write {name}.{fmt}: its folder is missing or not writable",
                response,
            )
        code = response.result_int
        # `(randomerror)`, `(waitfor)` or a bare -1 is a hang-up only if the channel is gone.
        unclear = response.data != "hangup" and code == -1 and not self.hung_up
        if unclear and await self._still_up():
            raise AGICommandError(f"RECORD FILE {name}: {response.text}", response)
        if response.data == "hangup" or code == -1 or self.hung_up:
            self.hung_up = True
            self.hangup_seen = self.hangup_seen or response.data == "hangup" or code == -1
            return RecordResult(reason="hangup", digit=None, endpos=response.endpos)
        digit = chr(code) if code is not None and 0 < code < 0x110000 else None
        return RecordResult(reason=response.data or "", digit=digit, endpos=response.endpos)

    async def set_variable(self, name: str, value: str) -> None:
        """Set a channel variable (caller text is safe here: it is quoted, never expanded)."""
        await self.command(cmd.SetVariable(name, value))

    async def get_variable(self, name: str) -> str | None:
        """Read a channel variable or function; None when it is not set."""
        response = await self.command(cmd.GetVariable(name))
        return (response.data or "") if response.result == "1" else None

    async def exec(self, application: str, *args: str) -> AGIResponse:
        """Run a dialplan application with `args` joined by `,` (`MusicOnHold default,30`).

        An application that ends with -1 has ended the call for this AGI (hang-up, or the
        caller was bridged or redirected away): that raises AGIHangup.
        """
        response = await self.command(cmd.Exec(application, args))
        if response.result_int == -2:
            raise AGICommandError(f"no dialplan application {application!r}", response)
        self._hangup_on_failure(response)
        return response

    async def verbose(self, message: str, level: int = 1) -> None:
        """Write `message` to Asterisk's verbose log."""
        await self.command(cmd.Verbose(message, level))

    async def channel_status(self) -> int:
        """The channel state as Asterisk numbers it (4 ringing, 6 up ...)."""
        response = await self.command(cmd.ChannelStatus())
        status = response.result_int
        if status is None or status < 0:
            raise AGICommandError("CHANNEL STATUS gave no state", response)
        return status

    async def hangup(self) -> None:
        """Hang up the call. On a call that is already over this does nothing."""
        if self.hung_up:
            return
        self.hangup_seen = True  # ours: the call ends here whatever the reply
        try:
            await self._exchange(cmd.Hangup(), after_hangup=False)
        except AGIHangup:
            return
        self.hung_up = True

    async def _still_up(self) -> bool:
        """After an ambiguous -1: is the channel still there? (See the module's strategy.)"""
        try:
            await self.command(cmd.ChannelStatus())
        except AGIHangup:
            return False
        return True

    async def _exchange(self, command: cmd.AGICommand, *, after_hangup: bool) -> AGIResponse:
        if self._broken is not None:
            raise AGIConnectionError(f"the AGI session is closed: {self._broken}")
        if self._busy:
            raise LocalProtocolError("another command is already waiting for its reply")
        self._busy = True
        try:
            if not self._stream.codec.idle:
                self._take_pending_notices()
            if self.hung_up and not after_hangup:
                raise AGIHangup("the call has already hung up")
            if self._stream.codec.state is CodecState.CLOSED:
                self.hung_up = True
                raise AGIHangup("Asterisk has closed the connection")
            return await self._round_trip(command)
        except (ProtocolError, TimeoutError) as error:
            self._broken = str(error)
            self._stream.abort()
            raise
        finally:
            self._busy = False

    def _take_pending_notices(self) -> None:
        """A HANGUP that arrived between commands ends the call before we send another."""
        while (event := self._stream.codec.next_event()) is not NEED_DATA:
            if isinstance(event, HangupNotice | ConnectionClosed):
                self.hung_up = True
            if isinstance(event, HangupNotice):
                self.hangup_seen = True
            if isinstance(event, ConnectionClosed):
                return

    async def _round_trip(self, command: cmd.AGICommand) -> AGIResponse:
        try:
            await self._stream.send(command)
        except ConnectionError as error:
            self.hung_up = True
            raise AGIHangup("the connection to Asterisk was lost") from error
        self.commands_sent += 1
        deadline = None
        if self._command_timeout is not None:
            deadline = asyncio.get_running_loop().time() + self._command_timeout
        while True:
            event = await self._stream.next_event(deadline)
            if isinstance(event, HangupNotice):
                self.hung_up = self.hangup_seen = True
            elif isinstance(event, ConnectionClosed):
                self.hung_up = True
                raise AGIHangup("Asterisk closed the connection")
            elif isinstance(event, AGIResponse):
                return self._check_code(command, event)

    def _check_code(self, command: cmd.AGICommand, response: AGIResponse) -> AGIResponse:
        if response.code == 511:
            self.hung_up = self.hangup_seen = True
            raise AGIHangup("the channel is dead", response)
        if response.code != 200:
            first_line = response.text.split("\n", 1)[0]
            raise AGICommandError(f"{command.tokens()[0]}: {first_line}", response)
        return response

    def _hangup_on_failure(self, response: AGIResponse) -> None:
        if response.result_int == -1:
            self.hung_up = self.hangup_seen = True
            raise AGIHangup("Asterisk answered -1: the channel is gone", response)

    def _digit(self, response: AGIResponse) -> str | None:
        """Turn `result=<ASCII code>` into the digit; 0 means none; -1 means hang-up."""
        self._hangup_on_failure(response)
        code = response.result_int
        if code is None or not 0 <= code < 0x110000:
            raise AGICommandError("Asterisk answered no digit code", response)
        return chr(code) if code else None
