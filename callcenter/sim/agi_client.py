"""Asterisk's side of one FastAGI session: connect, send `agi_*`, answer every command.

Strategy: `AGILeg.run()` connects to the product's FastAGI server, writes the environment
(every variable, in the order of `tests/fixtures/asterisk/agi/*.txt`), then reads command
lines and answers them through `Media` while the channel is live. `interrupt(kind)` ends
the call for this session the way the recordings show: the running command answers
`200 result=-1` and a `HANGUP` line follows (at once if no command is running). From then
on the channel is dead to the session: commands Asterisk allows on a dead channel (EXEC,
GET/SET VARIABLE, VERBOSE, NOOP) still answer, the others get
`511 Command Not Permitted on a dead channel or intercept routine`. A caller bridged away
leaves an empty shell: its variables read `200 result=1 ()` and no AGIExec events are
emitted (s5). When the server closes its side, Asterisk writes `HANGUP` once more (twice
after the server's own HANGUP, s1) and closes; a live channel just closes and the dialplan
goes on. A server that never closes is given up on after `close_timeout_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import random
import threading

import structlog

from callcenter.agi import commands as cmd
from callcenter.agi.command_parser import parse_command
from callcenter.sim import events as ev
from callcenter.sim.agi_media import GET_DATA_USAGE, CallSide, Media, Reply, ok

log = structlog.get_logger(__name__)

DEAD = "511 Command Not Permitted on a dead channel or intercept routine"
KNOWN_COMMANDS = frozenset(
    {
        "ANSWER", "ASYNCAGI BREAK", "CHANNEL STATUS", "CONTROL STREAM FILE", "DATABASE DEL",
        "DATABASE DELTREE", "DATABASE GET", "DATABASE PUT", "EXEC", "GET DATA",
        "GET FULL VARIABLE", "GET OPTION", "GET VARIABLE", "HANGUP", "NOOP", "RECEIVE CHAR",
        "RECEIVE TEXT", "RECORD FILE", "SAY ALPHA", "SAY DATE", "SAY DATETIME", "SAY DIGITS",
        "SAY NUMBER", "SAY PHONETIC", "SAY TIME", "SEND IMAGE", "SEND TEXT",
        "SET AUTOHANGUP", "SET CALLERID", "SET CONTEXT", "SET EXTENSION", "SET MUSIC",
        "SET PRIORITY", "SET VARIABLE", "STREAM FILE", "TDD MODE", "VERBOSE",
        "WAIT FOR DIGIT", "SPEECH CREATE", "SPEECH DESTROY", "GOSUB",
    }
)  # fmt: skip


class Interrupt(enum.Enum):
    """Why a session lost its channel."""

    HANGUP = "hangup"
    BRIDGED = "bridged"
    REDIRECT = "redirect"


class Outcome(enum.Enum):
    """How a session ended, for the call to decide what the channel does next."""

    CLOSED = "closed"
    """The server closed while the channel was live: the dialplan goes on."""
    INTERRUPTED = "interrupted"
    """The channel was hung up, bridged or redirected during the session."""
    UNREACHABLE = "unreachable"
    """No FastAGI server answered (AGISTATUS=FAILURE): the dialplan goes on."""


class AGILeg:
    """One FastAGI session of a caller's channel."""

    def __init__(
        self, side: CallSide, *, host: str, port: int, script: str, close_timeout_s: float
    ) -> None:
        self.side = side
        self.host, self.port, self.script = host, port, script
        self.close_timeout_s = close_timeout_s
        self.interrupted: asyncio.Future[Interrupt] = asyncio.get_running_loop().create_future()
        self.by_command = False
        self._writer: asyncio.StreamWriter | None = None
        self._busy = False
        self._notice_sent = False
        self._media = Media(side)

    def interrupt(self, kind: Interrupt, *, notice: bool = True) -> None:
        """End the call for this session; the running command (or the idle socket) hears it."""
        if self.interrupted.done():
            return
        self.interrupted.set_result(kind)
        if not notice:
            self._notice_sent = True
        elif not self._busy and self._writer is not None and not self._writer.is_closing():
            self._writer.write(b"HANGUP\n")
            self._notice_sent = True

    def break_connection(self) -> None:
        """The TCP connection breaks (a reset, a test's fault): no `HANGUP` is sent, and the
        session ends as if the server had closed; the channel lives on in the dialplan."""
        if self._writer is not None:
            self._writer.transport.abort()

    def environment(self) -> bytes:
        """The `agi_*` block, in the recorded order, ended by an empty line."""
        chan = self.side.channel
        num, name = chan.variable("CALLERID(num)"), chan.variable("CALLERID(name)")
        pairs = [
            ("network", "yes"),
            ("network_script", self.script),
            ("request", f"agi://{self.host}:{self.port}/{self.script}"),
            ("channel", chan.name),
            ("language", "en"),
            ("type", "PJSIP"),
            ("uniqueid", chan.uniqueid),
            ("version", "22.10.1"),
            ("callerid", num or "unknown"),
            ("calleridname", name or "unknown"),
            ("callingpres", "0"),
            ("callingani2", "0"),
            ("callington", "0"),
            ("callingtns", "0"),
            ("dnid", chan.dnid or "unknown"),
            ("rdnis", "unknown"),
            ("context", chan.context),
            ("extension", chan.exten),
            ("priority", str(chan.priority)),
            ("enhanced", "0.0"),
            ("accountcode", ""),
            ("threadid", str(threading.get_ident())),
        ]
        return "".join(f"agi_{k}: {v}\n" for k, v in pairs).encode() + b"\n"

    async def run(self) -> Outcome:
        """Run the session until the server closes (or stays silent too long when dead)."""
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as exc:
            log.warning("sim.agi_unreachable", port=self.port, error=str(exc))
            return Outcome.UNREACHABLE
        self._writer = writer
        try:
            writer.write(self.environment())
            await self._converse(reader, writer)
            if not writer.is_closing() and self.interrupted.done():
                writer.write(b"HANGUP\nHANGUP\n" if self.by_command else b"HANGUP\n")
        except ConnectionError as exc:
            log.info("sim.agi_connection_lost", error=str(exc))
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        return Outcome.INTERRUPTED if self.interrupted.done() else Outcome.CLOSED

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                async with asyncio.timeout(self._read_deadline()):
                    line = await reader.readline()
            except TimeoutError:
                log.warning("sim.agi_server_silent", channel=self.side.channel.name)
                return
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            self._busy = True
            try:
                reply = await self._execute(text)
            finally:
                self._busy = False
            writer.write("".join(f"{out}\n" for out in reply.lines).encode())
            if self.interrupted.done() and not self._notice_sent:
                writer.write(b"HANGUP\n")
                self._notice_sent = True
            await writer.drain()

    def _read_deadline(self) -> float | None:
        """Asterisk waits for ever on a live channel; a dead one is given a bound here."""
        if not self.interrupted.done():
            return None
        clock = getattr(self.side, "clock", None)
        return clock.real_seconds(self.close_timeout_s) if clock else self.close_timeout_s

    async def _execute(self, text: str) -> Reply:
        try:
            command = parse_command(text)
        except ValueError:
            return Reply(("510 Invalid or unknown command",))
        side = self.side
        self.side.record.commands.append(text)
        command_id = random.randrange(1, 2**31)
        if not self._shell():
            side.emit(ev.agi_exec(side.channel, command_id, text, None))
        reply = await self._answer(command, self._shell())
        if not self._shell():
            side.emit(ev.agi_exec(side.channel, command_id, text, reply.exec_result))
        return reply

    def _shell(self) -> bool:
        """True once the channel was bridged away: the session holds an empty shell."""
        return self.interrupted.done() and self.interrupted.result() is Interrupt.BRIDGED

    async def _answer(self, command: cmd.AGICommand, shell: bool) -> Reply:
        if isinstance(command, cmd.GenericCommand):
            if command.name not in KNOWN_COMMANDS:
                return Reply(("510 Invalid or unknown command",))
            usage = GET_DATA_USAGE if command.name == "GET DATA" else (f"Usage: {command.name}",)
            head = "520-Invalid command syntax.  Proper usage follows:"
            return Reply((head, *usage, "520 End of proper usage."))
        if not self.interrupted.done():
            if isinstance(command, cmd.Hangup) and command.channel is None:
                # Asterisk answers 200 result=1 and writes its HANGUP lines only at the close.
                self.by_command = True
                self.interrupt(Interrupt.HANGUP, notice=False)
                self.side.hangup_requested("agi")
                return ok("1")
            return await self._media.run(command)
        return self._dead(command, shell)

    def _dead(self, command: cmd.AGICommand, shell: bool) -> Reply:
        chan = self.side.channel
        match command:
            case cmd.GetVariable(name=name) | cmd.GetFullVariable(expression=name):
                if shell:
                    return ok("1", " ()") if "(" in name else ok("0")
                value = chan.variable(name.removeprefix("${").removesuffix("}"))
                return ok("0") if value is None else ok("1", f" ({value})")
            case cmd.SetVariable(name=name, value=value):
                if not shell:
                    chan.variables[name] = value
                    self.side.emit(ev.varset(chan, name, value))
                return ok("1")
            case cmd.Verbose():
                return ok("1")
            case cmd.Noop():
                return ok("0")
            case cmd.Exec():
                return ok("-1")
        return Reply((DEAD,))
