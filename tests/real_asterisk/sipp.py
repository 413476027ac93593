"""SIPp as the people around the call center: agents' phones, callers, the trunk.

Strategy: each role is a SIPp scenario written here and run as its own SIPp process on
loopback, so a test drives real SIP against the real Asterisk. Every scenario logs what
its party did (rang, answered, was cancelled, hung up ...) as `EV <sec> <usec> <what>
<call-id> <peer>` lines through SIPp's `<log>` action; `events()` reads them back, so a
test compares what the phones and callers did with what the product recorded.

- A phone registers with digest auth (a UAC run of its own, `-m 1`), then a UAS on the
  same local port takes the calls Asterisk sends it (`rewrite_contact=yes` keeps the
  contact on that port): answers after a while, only rings, or answers 486 Busy. Qualify
  OPTIONS are answered.
- A caller dials the hotline through the trunk (any caller ID, as from the phone
  company) or as the `caller` softphone (digest auth), sends digits as RFC 4733 events
  (`play_dtmf`) or SIP INFO, and hangs up when its patience ends unless Asterisk hung
  up first. Every wait is a `recv BYE` with a timeout, so a hang-up from Asterisk at
  any moment ends the script cleanly.
- The trunk answers the calls Asterisk places through it (callbacks, automated follow-up
  calls) and logs the number dialled; as the customer of a follow-up call it may wait and
  press keys (RFC 4733) once it has answered, as a caller does.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.real_asterisk.pbx import TRUNK_HOST, Build, free_udp_port

_SDP = """v=0
o=sipp 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 96
a=rtpmap:0 PCMU/8000
a=rtpmap:96 telephone-event/8000
a=fmtp:96 0-16
a=sendrecv"""
"""SIPp's play_dtmf sends RFC 4733 events with payload type 96."""

FOREVER_MS = 3_600_000


def _log(what: str) -> str:
    # usec is not zero-padded by SIPp: the reader joins sec and usec itself.
    return f'<gettimeofday assign_to="sec,usec"/><log message="EV [$sec] [$usec] {what}"/>'


def _scenario(name: str, body: str) -> str:
    return (
        '<?xml version="1.0" encoding="ISO-8859-1" ?>\n'
        f'<scenario name="{name}">\n{body}\n</scenario>\n'
    )


def _reply(status: str, *, to_tag: bool = True, sdp: bool = False, contact: bool = False) -> str:
    lines = [
        f"SIP/2.0 {status}",
        "[last_Via:]",
        "[last_From:]",
        "[last_To:];tag=[pid]t[call_number]" if to_tag else "[last_To:]",
        "[last_Call-ID:]",
        "[last_CSeq:]",
    ]
    if contact:
        lines.append("Contact: <sip:[local_ip]:[local_port];transport=[transport]>")
    if sdp:
        lines += ["Content-Type: application/sdp", "Content-Length: [len]", "", _SDP]
    else:
        lines.append("Content-Length: 0")
    return "\n".join(lines)


def _send(message: str, *, retrans: bool = False, action: str = "") -> str:
    retrans_attr = ' retrans="500"' if retrans else ""
    actions = f"<action>{action}</action>" if action else ""
    return f"<send{retrans_attr}><![CDATA[\n{message}\n]]>{actions}</send>"


def register_scenario(user: str, expires: int) -> str:
    """REGISTER as `user` (Expires `expires`; 0 unregisters), answering the challenge."""
    request = "\n".join(
        [
            "REGISTER sip:[remote_ip]:[remote_port] SIP/2.0",
            "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
            f"From: <sip:{user}@[remote_ip]>;tag=[pid]reg[call_number]",
            f"To: <sip:{user}@[remote_ip]>",
            "Call-ID: [call_id]",
            "CSeq: [cseq] REGISTER",
            f"Contact: <sip:{user}@[local_ip]:[local_port]>",
            f"Expires: {expires}",
            "Max-Forwards: 70",
            "{auth}Content-Length: 0",
        ]
    )
    return _scenario(
        "register",
        "\n".join(
            [
                _send(request.replace("{auth}", ""), retrans=True),
                '<recv response="401" auth="true"/>',
                _send(request.replace("{auth}", "[authentication]\n"), retrans=True),
                '<recv response="200"/>',
            ]
        ),
    )


@dataclass(frozen=True)
class Answer:
    """Answer after `after_s` of ringing; hang up after `talk_s` (None: wait for the caller)."""

    after_s: float = 0.5
    talk_s: float | None = None


@dataclass(frozen=True)
class Ring:
    """Ring and never answer (until Asterisk cancels)."""


@dataclass(frozen=True)
class Busy:
    """Answer every call 486 Busy Here."""


Behaviour = Answer | Ring | Busy

_REMEMBER_DIALOG = """
  <ereg regexp=".*" search_in="hdr" header="From:" assign_to="their_from"/>
  <ereg regexp=".*" search_in="hdr" header="To:" assign_to="our_to"/>
  <ereg regexp="&lt;([^&gt;]*)&gt;" search_in="hdr" header="Contact:" assign_to="c,their_contact"/>
  <ereg regexp="sip:([^@]*)@" search_in="hdr" header="From:" assign_to="f,peer"/>
  <log message="dialog [$c] [$f] [$our_to] [$their_from] [$their_contact]"/>"""
"""Keeps what a UAS needs to hang up itself: their From and Contact, our To (SIPp wants
every variable read as well as set, hence the `dialog` line)."""


def _hangup_as_uas(label: str) -> str:
    bye = "\n".join(
        [
            "BYE [$their_contact] SIP/2.0",
            "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
            "From:[$our_to];tag=[pid]t[call_number]",
            "To:[$their_from]",
            "[last_Call-ID:]",
            "CSeq: 9 BYE",
            "Max-Forwards: 70",
            "Content-Length: 0",
        ]
    )
    return "\n".join(
        [
            f'<label id="{label}"/>',
            _send(bye, retrans=True, action=_log("hangup [call_id] [$peer]")),
            '<recv response="200"/>',
        ]
    )


def _talk(talk_ms: int, media: Path | None) -> str:
    """Talk (sending `media`) until the other side hangs up, or hang up after `talk_ms`."""
    stream = f'<exec rtp_stream="{media},-1,0"/>' if media else ""
    return "\n".join(
        [
            f"<nop><action>{stream}{_log('talk [call_id] [$peer]')}</action></nop>",
            f'<recv request="BYE" timeout="{talk_ms}" ontimeout="hangup">'
            f"<action>{_log('remote_bye [call_id] [$peer]')}</action></recv>",
            _send(_reply("200 OK", to_tag=False)),
            '<nop next="end"/>',
            _hangup_as_uas("hangup"),
            '<nop next="end"/>',
        ]
    )


def _info_as_uas(digit: str, cseq: int) -> str:
    """SIP INFO with a key (application/dtmf-relay) from the side that answered the call."""
    return "\n".join(
        [
            "INFO [$their_contact] SIP/2.0",
            "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
            "From:[$our_to];tag=[pid]t[call_number]",
            "To:[$their_from]",
            "[last_Call-ID:]",
            f"CSeq: {cseq} INFO",
            "Max-Forwards: 70",
            "Content-Type: application/dtmf-relay",
            "Content-Length: [len]",
            "",
            f"Signal={digit}",
            "Duration=160",
        ]
    )


def _answered_steps(steps: Sequence[Step], media: Path | None) -> tuple[str, str]:
    """The keys an answered party presses (RFC 4733, while sending `media`), and the
    `pbye` block a hang-up from Asterisk during them jumps to."""
    stream = f'<exec rtp_stream="{media},-1,0"/>' if media else ""
    parts = [f"<nop><action>{stream}{_log('talk [call_id] [$peer]')}</action></nop>"]
    for n, step in enumerate(steps):
        if isinstance(step, Wait):
            parts.append(
                f'<recv request="BYE" timeout="{int(step.seconds * 1000)}" ontimeout="p{n}" '
                f'next="pbye"/>'
            )
            parts.append(f'<label id="p{n}"/>')
        elif step.info:
            for k, digit in enumerate(step.digits):
                parts += [
                    _send(
                        _info_as_uas(digit, 5 + n * 10 + k),
                        retrans=True,
                        action=_log(f"press [call_id] {digit}"),
                    ),
                    '<recv response="200"/>',
                ]
        else:
            parts.append(
                f'<nop><action><exec play_dtmf="{step.digits},160"/>'
                f"{_log(f'press [call_id] {step.digits}')}</action></nop>"
            )
    bye = "\n".join(
        [
            '<label id="pbye"/>',
            f"<nop><action>{_log('remote_bye [call_id] [$peer]')}</action></nop>",
            _send(_reply("200 OK", to_tag=False)),
            '<nop next="end"/>',
        ]
    )
    return "\n".join(parts), bye


def phone_scenario(
    behaviour: Behaviour, media: Path | None = None, steps: Sequence[Step] = ()
) -> str:
    """A phone's UAS: qualify OPTIONS answered, each INVITE as `behaviour` says; once
    answered, `steps` (waits and keys) before it talks on."""
    parts = [
        '<recv request="OPTIONS" optional="true" next="options"/>',
        f'<recv request="INVITE"><action>{_REMEMBER_DIALOG}'
        f"{_log('invite [call_id] [$peer]')}</action></recv>",
    ]
    if isinstance(behaviour, Busy):
        parts += [
            _send(_reply("486 Busy Here"), action=_log("busy [call_id] [$peer]")),
            '<recv request="ACK" next="end"/>',
        ]
    else:
        wait_ms = FOREVER_MS if isinstance(behaviour, Ring) else int(behaviour.after_s * 1000)
        talk_ms = (
            FOREVER_MS
            if isinstance(behaviour, Ring) or behaviour.talk_s is None
            else int(behaviour.talk_s * 1000)
        )
        terminated = _reply("487 Request Terminated").replace("[last_CSeq:]", "CSeq: [cseq] INVITE")
        parts += [
            _send(_reply("180 Ringing", contact=True)),
            f'<recv request="CANCEL" timeout="{wait_ms}" ontimeout="answer">'
            f"<action>{_log('cancel [call_id] [$peer]')}</action></recv>",
            _send(_reply("200 OK")),
            _send(terminated),
            '<recv request="ACK" next="end"/>',
            '<label id="answer"/>',
            _send(
                _reply("200 OK", sdp=True, contact=True),
                retrans=True,
                action=_log("answer [call_id] [$peer]"),
            ),
            '<recv request="ACK"/>',
        ]
        if steps:
            pressed, bye = _answered_steps(steps, media)
            parts += [pressed, _talk(talk_ms, None), bye]
        else:
            parts.append(_talk(talk_ms, media))
    parts += ['<label id="options"/>', _send(_reply("200 OK")), '<label id="end"/>']
    return _scenario("phone", "\n".join(parts))


@dataclass(frozen=True)
class Wait:
    """Stay on the line `seconds` (ended early if Asterisk hangs up)."""

    seconds: float


@dataclass(frozen=True)
class Press:
    """Press `digits` (RFC 4733 events, or SIP INFO with `info=True`)."""

    digits: str
    info: bool = False


Step = Wait | Press


def _info(digit: str) -> str:
    return "\n".join(
        [
            "INFO [next_url] SIP/2.0",
            "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
            "[last_From:]",
            "[last_To:]",
            "Call-ID: [call_id]",
            "CSeq: [cseq] INFO",
            "Max-Forwards: 70",
            "Content-Type: application/dtmf-relay",
            "Content-Length: [len]",
            "",
            f"Signal={digit}",
            "Duration=160",
        ]
    )


def caller_scenario(
    number: str,
    steps: Sequence[Step],
    *,
    hotline: str = "100",
    auth: bool = False,
    media: Path | None = None,
) -> str:
    """A caller from `number` who dials `hotline`, then follows `steps` and hangs up.

    A hang-up from Asterisk at any point ends the script (`remote_bye`); after the last
    step the caller hangs up itself (`hangup`).
    """
    invite = "\n".join(
        [
            f"INVITE sip:{hotline}@[remote_ip]:[remote_port] SIP/2.0",
            "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
            f'From: "Caller" <sip:{number}@[local_ip]:[local_port]>;tag=[pid]c[call_number]',
            f"To: <sip:{hotline}@[remote_ip]:[remote_port]>",
            "Call-ID: [call_id]",
            "CSeq: [cseq] INVITE",
            f"Contact: <sip:{number}@[local_ip]:[local_port]>",
            "Max-Forwards: 70",
            "{auth}Content-Type: application/sdp",
            "Content-Length: [len]",
            "",
            _SDP,
        ]
    )
    ack = "\n".join(
        [
            "ACK [next_url] SIP/2.0",
            "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
            "[last_From:]",
            "[last_To:]",
            "Call-ID: [call_id]",
            "CSeq: [cseq] ACK",
            "Max-Forwards: 70",
            "Content-Length: 0",
        ]
    )
    challenge_ack = ack.replace("ACK [next_url]", f"ACK sip:{hotline}@[remote_ip]:[remote_port]")
    parts = [_send(invite.replace("{auth}", ""), retrans=True, action=_log("dial [call_id] -"))]
    if auth:
        parts += [
            '<recv response="100" optional="true"/>',
            '<recv response="401" auth="true"/>',
            _send(challenge_ack),
            _send(invite.replace("{auth}", "[authentication]\n"), retrans=True),
        ]
    parts += [
        '<recv response="100" optional="true"/>',
        '<recv response="180" optional="true"/>',
        '<recv response="183" optional="true"/>',
        '<recv response="200" rrs="true"/>',
        _send(ack, action=_log("answered [call_id] -")),
    ]
    if media:
        parts.append(f'<nop><action><exec rtp_stream="{media},-1,0"/></action></nop>')
    for n, step in enumerate(steps):
        if isinstance(step, Wait):
            parts.append(
                f'<recv request="BYE" timeout="{int(step.seconds * 1000)}" ontimeout="s{n}" '
                f'next="remote_bye"/>'
            )
            parts.append(f'<label id="s{n}"/>')
        elif step.info:
            for digit in step.digits:
                parts += [
                    _send(_info(digit), retrans=True, action=_log(f"press [call_id] {digit}")),
                    '<recv response="200"/>',
                ]
        else:
            parts.append(
                f'<nop><action><exec play_dtmf="{step.digits},160"/>'
                f"{_log(f'press [call_id] {step.digits}')}</action></nop>"
            )
    bye = "\n".join(
        [
            "BYE [next_url] SIP/2.0",
            "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
            "[last_From:]",
            "[last_To:]",
            "Call-ID: [call_id]",
            "CSeq: [cseq] BYE",
            "Max-Forwards: 70",
            "Content-Length: 0",
        ]
    )
    parts += [
        _send(bye, retrans=True, action=_log("hangup [call_id] -")),
        '<recv response="200"/>',
        '<nop next="end"/>',
        '<label id="remote_bye"/>',
        f"<nop><action>{_log('remote_bye [call_id] -')}</action></nop>",
        _send(_reply("200 OK", to_tag=False)),
        '<label id="end"/>',
    ]
    return _scenario("caller", "\n".join(parts))


def trunk_scenario(media: Path | None = None, steps: Sequence[Step] = ()) -> str:
    """The phone company: answers each call at once, follows `steps` (the customer's keys
    in an automated follow-up call) and talks until it is hung up."""
    return phone_scenario(Answer(after_s=0.2), media, steps)


@dataclass(frozen=True)
class Event:
    """One thing a SIPp party did."""

    at: float
    what: str
    call_id: str
    detail: str


def read_events(log: Path) -> list[Event]:
    """The `EV` lines of a SIPp log file, in order."""
    if not log.exists():
        return []
    events = []
    for line in log.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0] == "EV":
            sec, usec = float(parts[1]), float(parts[2])
            events.append(Event(sec + usec / 1e6, parts[3], parts[4], " ".join(parts[5:])))
    return events


def silence_ulaw(path: Path, seconds: float = 2.0) -> Path:
    """A quiet 400 Hz tone in raw mu-law (what the phones and callers send as audio)."""
    samples = int(8000 * seconds)
    out = bytearray()
    for n in range(samples):
        value = int(800 * math.sin(2 * math.pi * 400 * n / 8000))
        out.append(_ulaw(value))
    path.write_bytes(bytes(out))
    return path


def _ulaw(sample: int) -> int:
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), clip) + bias
    exponent = 7
    for bit in range(7, -1, -1):
        if magnitude & (1 << (bit + 7)):
            exponent = bit
            break
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


class Sipp:
    """Runs SIPp processes against one Asterisk and keeps their logs in `dir`."""

    def __init__(self, build: Build, asterisk_sip: int, directory: Path) -> None:
        """SIPp from `build`, aimed at 127.0.0.1:`asterisk_sip`, files under `directory`."""
        self.build = build
        self.remote = f"127.0.0.1:{asterisk_sip}"
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self._count = itertools.count(1)
        self._processes: list[asyncio.subprocess.Process] = []
        self.media = silence_ulaw(self.dir / "tone.ulaw")

    def _files(self, name: str, scenario: str) -> tuple[Path, Path]:
        n = next(self._count)
        xml = self.dir / f"{n:03d}-{name}.xml"
        xml.write_text(scenario)
        return xml, self.dir / f"{n:03d}-{name}.log"

    async def _spawn(self, xml: Path, log: Path, args: Sequence[str]) -> asyncio.subprocess.Process:
        errors = log.with_suffix(".err")
        process = await asyncio.create_subprocess_exec(
            str(self.build.sipp),
            self.remote,
            "-sf",
            str(xml),
            "-trace_logs",
            "-log_file",
            str(log),
            "-trace_err",
            "-error_file",
            str(errors),
            "-nostdin",
            "-timeout_error",
            *args,
            env=self.build.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        self._processes.append(process)
        return process

    async def register(self, user: str, password: str, port: int, *, expires: int = 3600) -> None:
        """Register `user` from 127.0.0.1:`port` (digest auth); raises if refused."""
        xml, log = self._files(f"register-{user}", register_scenario(user, expires))
        process = await self._spawn(
            xml,
            log,
            [
                "-i",
                "127.0.0.1",
                "-p",
                str(port),
                "-m",
                "1",
                "-au",
                user,
                "-ap",
                password,
                "-timeout",
                "10s",
            ],
        )
        code = await process.wait()
        if code != 0:
            raise RuntimeError(f"{user} could not register (sipp exit {code}); see {log}")

    async def phone(self, behaviour: Behaviour, port: int, name: str) -> SippParty:
        """A phone's UAS on 127.0.0.1:`port` (after `register` on the same port)."""
        xml, log = self._files(f"phone-{name}", phone_scenario(behaviour, self.media))
        media_port = free_udp_port()
        process = await self._spawn(
            xml, log, ["-i", "127.0.0.1", "-p", str(port), "-mp", str(media_port)]
        )
        return SippParty(name, process, log)

    async def trunk(self, steps: Sequence[Step] = ()) -> SippParty:
        """The phone company's side of the trunk, on TRUNK_HOST:5060; each answered call
        follows `steps` (waits and keys)."""
        xml, log = self._files("trunk", trunk_scenario(self.media, steps))
        process = await self._spawn(
            xml, log, ["-i", TRUNK_HOST, "-p", "5060", "-mp", str(free_udp_port(TRUNK_HOST))]
        )
        return SippParty("trunk", process, log)

    async def missing_customer(self, behaviour: Behaviour) -> SippParty:
        """The trunk as a customer who does not answer: each call `Busy` (486) or `Ring`
        until Asterisk's Dial gives up. On TRUNK_HOST:5060 like `trunk`: stop that first
        (and start it again for a customer who answers)."""
        xml, log = self._files("trunk", phone_scenario(behaviour, self.media))
        process = await self._spawn(
            xml, log, ["-i", TRUNK_HOST, "-p", "5060", "-mp", str(free_udp_port(TRUNK_HOST))]
        )
        return SippParty("trunk", process, log)

    async def call(
        self,
        number: str,
        steps: Sequence[Step],
        *,
        hotline: str = "100",
        softphone: tuple[str, str] | None = None,
        timeout_s: float = 120,
    ) -> SippParty:
        """One caller: through the trunk from `number`, or as `softphone` (user, password)."""
        scenario = caller_scenario(
            number, steps, hotline=hotline, auth=softphone is not None, media=self.media
        )
        xml, log = self._files(f"caller-{number}", scenario)
        host = "127.0.0.1" if softphone else TRUNK_HOST
        args = ["-i", host, "-p", str(free_udp_port(host)), "-mp", str(free_udp_port(host))]
        args += ["-m", "1", "-s", hotline, "-timeout", f"{int(timeout_s)}s"]
        if softphone:
            args += ["-au", softphone[0], "-ap", softphone[1]]
        process = await self._spawn(xml, log, args)
        return SippParty(f"caller {number}", process, log)

    async def close(self) -> None:
        """Stop every SIPp process still running."""
        for process in self._processes:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
        for process in self._processes:
            try:
                await asyncio.wait_for(process.wait(), 3)
            except TimeoutError:
                process.kill()
                await process.wait()


@dataclass
class SippParty:
    """A running SIPp process and the log of what its party did."""

    name: str
    process: asyncio.subprocess.Process
    log: Path
    _seen: int = field(default=0)

    def events(self) -> list[Event]:
        """Everything it logged so far."""
        return read_events(self.log)

    def did(self, what: str) -> list[Event]:
        """The events of one kind (`answer`, `cancel`, `hangup` ...)."""
        return [event for event in self.events() if event.what == what]

    async def wait_for(self, what: str, count: int = 1, timeout: float = 30) -> list[Event]:
        """Wait until it has logged `count` events of kind `what`; those events."""
        async with asyncio.timeout(timeout):
            while len(found := self.did(what)) < count:
                if self.process.returncode is not None and len(self.did(what)) < count:
                    raise AssertionError(
                        f"{self.name} ended ({self.process.returncode}) "
                        f"without {what}: {self.events()}"
                    )
                await asyncio.sleep(0.05)
        return found

    async def finished(self, timeout: float = 60) -> int:
        """Wait for the process to end; its exit status (0: the script ran through)."""
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def stop(self) -> None:
        """Stop the process (a phone going away)."""
        if self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()
