"""Load on the real Asterisk 22: SIPp callers and agents' phones, the service beside it.

What runs (one fresh set per rate):

* Asterisk 22 on loopback with the product's `config/asterisk/`, rendered as the real-Asterisk
  tests do it (`tests/real_asterisk/pbx.py`), plus the benchmark's own edits: a wider RTP
  range, and `pjsip_bench.conf` with one endpoint per agent (`agent2001` ...) whose AOR has
  a static contact on the agents' SIPp (no registration; Asterisk needs no digest auth for
  calls it places). Prompts and hold music are the product's own (`callcenter prompts
  build`, with the two texts of this benchmark's menus added by `--texts`).
* The service in a child process of its own, built exactly as `callcenter serve` builds it
  from a generated YAML file (SQLite file, the production batching and log level), as
  `benchmarks/e2e_load.py` runs it; only the logins verify against cheap argon2 parameters.
* One SIPp UAS answers for every agent's phone: it rings `--ring` seconds, answers, sends
  audio, and hangs up after `--talk` seconds. One SIPp UAC places the calls through the
  trunk at a steady `-r <rate>`, each from its own number (`-inf`; half of them customers
  on file): it sends audio, presses the four IVR keys as RFC 4733 events while the menus
  play (timed from the generated prompts' lengths), then a 5 every two seconds, which
  nothing hears on hold or in talk and which answers the three survey questions once the
  agent has hung up; Asterisk hangs up after the survey. (SIPp sends keys only as pcap
  plays, one at a time per call, and Asterisk's strict RTP takes a call's media from one
  port: so the caller's audio is a pcap play too, resumed after each key.)
* The benchmark process logs every agent in over the API, opens their desktop websocket
  (/ws/agent) and sets them ready, then notes when each `offer` arrives.

The call: greeting, the four keys (language, reason, product, confirmation: the flow
`bench_line` below), queue `general`, `--ring` s ring, `--talk` s talk, the agent hangs up,
the three-question survey (`post_call_survey`, shipped), `--wrap-up` s of wrap-up.

How each figure is measured, over a window of `--seconds` after `--warmup` seconds of
traffic (both processes measured from outside, over the same window):

* offered calls/s: calls SIPp dialled in the window / window.
* completed calls/s: calls whose caller Asterisk hung up in the window after a call the
  database records as answered with all three survey answers / window.
* backend / Asterisk CPU ms per call: user + system CPU of the service's process, and of
  Asterisk's, from /proc/<pid>/stat (all threads) over the window / calls dialled in it.
* ring -> pop: the agent's phone receiving the INVITE (the SIPp log's timestamp) to the
  `offer` message on that agent's websocket (same clock). The pop is made as the offer is,
  so it may arrive before the INVITE: negative values are real.
* failed: calls dialled in the window that did not end answered with a full survey and an
  Asterisk hang-up (SIPp errors, a key not heard, no agent, a survey answer missing).

Below the table: peak channels in Asterisk (`core show channels count`, sampled every 2 s)
and in the service (FastAGI sessions and agent legs it follows), the CPU of the SIPp
processes and of this process, and the service's warnings and errors.

    .venv/bin/python benchmarks/real_load.py [--rates 5,10,20] [--seconds 40] [--warmup 30]

The warm-up covers one whole call (about 25 s), so the window sees calls in every phase.
`--profile FILE` runs cProfile (CPU time of the event loop's thread) in the service over
the window and `--py-spy FILE` samples it with py-spy (on PATH); both slow the service, so
the CPU figures of such a run are not comparable. The CPU of the service's event loop and
of its other threads (SQLite's) is printed in any case. `--keep DIR` keeps each rate's
logs, SIPp scenarios and database.

It needs the Asterisk build beside the checkout (`../shared/asterisk`, see
tests/real_asterisk/pbx.py), root (SIPp sends pcap plays through a raw socket), and
Debian's espeak-ng and sox for the prompts. The machine's other work shows in every figure:
run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import math
import os
import pstats
import re
import secrets
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import aiohttp.web
import yaml

from benchmarks._common import print_table
from benchmarks.e2e_load import HASHER, Desktops
from callcenter.app.logsetup import configure_logging
from callcenter.db import (
    CustomerRepository,
    InteractionRepository,
    NewCustomer,
    UserRepository,
    make_engine,
    make_sessions,
    upgrade,
)
from callcenter.demo.run import open_hotline_flows
from tests.real_asterisk.pbx import (
    TRUNK_HOST,
    Build,
    RealAsterisk,
    build,
    free_tcp_port,
    free_udp_port,
    rtp_range,
)
from tests.real_asterisk.sipp import Event, silence_ulaw

QUEUE = "general"
FLOW_NAME = "bench_line"
KEYS = ("1", "3", "1", "1")
"""What each caller presses, one key per menu of FLOW (language, reason, product, device)."""
FLOW = {
    "description": "Benchmark line: greeting, four keys (language, reason, product, device).",
    "start": "identify",
    "nodes": {
        "identify": {
            "type": "lookup_customer",
            "by": "caller_number",
            "found": "welcome",
            "not_found": "welcome",
        },
        "welcome": {"type": "play", "prompts": "custom/welcome", "next": "language"},
        "language": {
            "type": "language",
            "prompts": "custom/choose-language",
            "choices": {1: "en", 2: "de"},
            "default": "en",
            "timeout_s": 5,
            "retries": 1,
            "next": "reason",
        },
        "reason": {
            "type": "menu",
            "prompts": "custom/main-menu",
            "choices": {2: "product", 3: "product", 4: "product", 0: "product"},
            "store_as": "menu_choice",
            "timeout_s": 5,
            "retries": 1,
            "fallback": "product",
        },
        "product": {
            "type": "menu",
            "prompts": "custom/bench-product",
            "choices": {1: "device", 2: "device", 3: "device"},
            "store_as": "product",
            "timeout_s": 5,
            "retries": 1,
            "fallback": "device",
        },
        "device": {
            "type": "menu",
            "prompts": "custom/bench-device",
            "choices": {1: QUEUE, 2: QUEUE},
            "store_as": "device_on",
            "timeout_s": 5,
            "retries": 1,
            "fallback": QUEUE,
        },
        QUEUE: {"type": "queue", "queue": QUEUE, "priority_by_tier": {"gold": 5, "vip": 10}},
    },
}
ANSWERS = {"menu_choice": KEYS[1], "product": KEYS[2], "device_on": KEYS[3]}
"""What the stored IVR data of a call must hold when every key was heard."""
TEXTS = {
    "languages": {
        "en": {
            "texts": {
                "custom/bench-product": (
                    "For your internet connection, press 1. For television, press 2. "
                    "For your phone line, press 3."
                ),
                "custom/bench-device": (
                    "If your device is switched on, press 1. If it is not, press 2."
                ),
            }
        },
        "de": {
            "texts": {
                "custom/bench-product": (
                    "Für Ihren Internetanschluss drücken Sie die 1. Für Fernsehen die 2. "
                    "Für Ihren Telefonanschluss die 3."
                ),
                "custom/bench-device": (
                    "Wenn Ihr Gerät eingeschaltet ist, drücken Sie die 1, sonst die 2."
                ),
            }
        },
    }
}
FIRST_KEY_S = 3.0
"""The first key is pressed this long after the greeting ends (it is heard DTMF_HEARD_S
later, in the language menu's prompt)."""
PRESS_EVERY_S = 2.0
"""The next key is pressed this long after the one before (every prompt is longer, and
interruptible: the next menu starts as a key is heard)."""
DTMF_S = 1.0
"""SIPp's play_dtmf sends 400 ms of no-op packets, then the event 320 ms later for 160 ms:
the caller's audio goes on after this."""
DTMF_HEARD_S = 0.88
"""When Asterisk has the key (the event's end) after play_dtmf starts."""
SURVEY_PRESSES = 40
"""5s pressed every PRESS_EVERY_S after the last key (the survey needs three of them)."""


def _number(n: int) -> str:
    return f"+4930{7000000 + n}"


# --- SIPp scenarios ------------------------------------------------------------------------


def _sdp(port: str) -> str:
    return f"""v=0
o=sipp 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [{port}] RTP/AVP 0 96
a=rtpmap:0 PCMU/8000
a=rtpmap:96 telephone-event/8000
a=fmtp:96 0-16
a=sendrecv"""


AGENT_SDP = _sdp("rtpstream_audio_port")
"""An agent's phone streams its audio from a port of its own per call (rtp_stream)."""
CALLER_SDP = _sdp("auto_media_port")
"""A caller's audio and its RFC 4733 keys (payload 96) both leave from this per-call port:
SIPp sends keys (`play_dtmf`) only as pcap plays, and Asterisk's strict RTP takes a
call's media from one source, so the caller's audio is a pcap play too."""


def _ev(what: str) -> str:
    # The `EV <sec> <usec> <what>` lines tests/real_asterisk/sipp.py's read_events reads.
    return f'<gettimeofday assign_to="sec,usec"/><log message="EV [$sec] [$usec] {what}"/>'


def _send(message: str, *, retrans: bool = False, action: str = "") -> str:
    attr = ' retrans="500"' if retrans else ""
    actions = f"<action>{action}</action>" if action else ""
    return f"<send{attr}><![CDATA[\n{message}\n]]>{actions}</send>"


def _response(status: str, *, sdp: str = "", contact: bool = True, tag: bool = True) -> str:
    lines = [
        f"SIP/2.0 {status}",
        "[last_Via:]",
        "[last_From:]",
        "[last_To:];tag=[pid]a[call_number]" if tag else "[last_To:]",
        "[last_Call-ID:]",
        "[last_CSeq:]",
    ]
    if contact:
        lines.append("Contact: <sip:[local_ip]:[local_port];transport=[transport]>")
    if sdp:
        lines += ["Content-Type: application/sdp", "Content-Length: [len]", "", sdp]
    else:
        lines.append("Content-Length: 0")
    return "\n".join(lines)


def _scenario(name: str, parts: list[str]) -> str:
    head = '<?xml version="1.0" encoding="ISO-8859-1" ?>'
    body = "\n".join(parts)
    return f'{head}\n<scenario name="{name}">\n{body}\n</scenario>\n'


def agents_scenario(ring_s: float, talk_s: float, media: Path | None) -> str:
    """Every agent's phone: ring `ring_s`, answer, talk `talk_s` (sending `media`), hang up.

    The agent is the user of the request URI (the AOR's static contact names it).
    """
    remember = (
        '<ereg regexp="INVITE sip:([^@]*)@" search_in="msg" check_it="true" '
        'assign_to="r,agent"/>'
        '<ereg regexp=".*" search_in="hdr" header="From:" assign_to="their_from"/>'
        '<ereg regexp=".*" search_in="hdr" header="To:" assign_to="our_to"/>'
        '<ereg regexp="&lt;([^&gt;]*)&gt;" search_in="hdr" header="Contact:" '
        'assign_to="c,their_contact"/>'
        # SIPp wants every variable read as well as set.
        '<log message="dialog [$r] [$c] [$our_to] [$their_from] [$their_contact]"/>'
    )
    bye = "\n".join(
        [
            "BYE [$their_contact] SIP/2.0",
            "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
            "From:[$our_to];tag=[pid]a[call_number]",
            "To:[$their_from]",
            "[last_Call-ID:]",
            "CSeq: 9 BYE",
            "Max-Forwards: 70",
            "Content-Length: 0",
        ]
    )
    terminated = _response("487 Request Terminated", contact=False).replace(
        "[last_CSeq:]", "CSeq: [cseq] INVITE"
    )
    stream = f'<exec rtp_stream="{media},-1,0"/>' if media else ""
    parts = [
        f'<recv request="INVITE"><action>{remember}{_ev("invite [call_id] [$agent]")}'
        "</action></recv>",
        _send(_response("180 Ringing")),
        f'<recv request="CANCEL" timeout="{int(ring_s * 1000)}" ontimeout="answer">'
        f"<action>{_ev('cancel [call_id] [$agent]')}</action></recv>",
        _send(_response("200 OK", contact=False)),
        _send(terminated),
        '<recv request="ACK" next="end"/>',
        '<label id="answer"/>',
        _send(
            _response("200 OK", sdp=AGENT_SDP),
            retrans=True,
            action=_ev("answer [call_id] [$agent]"),
        ),
        '<recv request="ACK"/>',
        f"<nop><action>{stream}</action></nop>",
        f'<recv request="BYE" timeout="{int(talk_s * 1000)}" ontimeout="hangup">'
        f"<action>{_ev('remote_bye [call_id] [$agent]')}</action></recv>",
        _send(_response("200 OK", contact=False, tag=False)),
        '<nop next="end"/>',
        '<label id="hangup"/>',
        _send(bye, retrans=True, action=_ev("hangup [call_id] [$agent]")),
        '<recv response="200"/>',
        '<label id="end"/>',
    ]
    return _scenario("agents", parts)


def callers_scenario(first_s: float, audio: Path | None) -> str:
    """A caller from the injection file's number: dial 100, press the first key `first_s`
    after the answer and the next ones every PRESS_EVERY_S, then 5s as often, and wait for
    Asterisk to hang up (logged `remote_bye`; `hangup` if it never does).

    `audio` (a pcap of RTP) plays from the answer on, and again after each key: a key
    stops it (SIPp plays one pcap at a time per call).
    """
    invite = "\n".join(
        [
            "INVITE sip:100@[remote_ip]:[remote_port] SIP/2.0",
            "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
            'From: "Caller" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]c[call_number]',
            "To: <sip:100@[remote_ip]:[remote_port]>",
            "Call-ID: [call_id]",
            "CSeq: [cseq] INVITE",
            "Contact: <sip:[field0]@[local_ip]:[local_port]>",
            "Max-Forwards: 70",
            "Content-Type: application/sdp",
            "Content-Length: [len]",
            "",
            CALLER_SDP,
        ]
    )

    def in_dialog(method: str) -> str:
        return "\n".join(
            [
                f"{method} [next_url] SIP/2.0",
                "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
                "[last_From:]",
                "[last_To:]",
                "Call-ID: [call_id]",
                f"CSeq: [cseq] {method}",
                "Max-Forwards: 70",
                "Content-Length: 0",
            ]
        )

    play = f'<nop><action><exec play_pcap_audio="{audio}"/></action></nop>' if audio else ""
    parts = [
        _send(invite, retrans=True, action=_ev("dial [call_id] [field0]")),
        '<recv response="100" optional="true"/>',
        '<recv response="180" optional="true"/>',
        '<recv response="183" optional="true"/>',
        '<recv response="200" rrs="true"/>',
        _send(in_dialog("ACK"), action=_ev("answered [call_id] -")),
        play,
    ]
    labels = iter(range(10_000))

    def wait(seconds: float) -> list[str]:
        label = f"w{next(labels)}"
        return [
            f'<recv request="BYE" timeout="{int(seconds * 1000)}" ontimeout="{label}" '
            'next="remote_bye"/>',
            f'<label id="{label}"/>',
        ]

    presses = [(key, True) for key in KEYS] + [("5", False)] * SURVEY_PRESSES
    for n, (key, logged) in enumerate(presses):
        note = _ev(f"press [call_id] {key}") if logged else ""
        parts += wait(first_s if n == 0 else PRESS_EVERY_S - (DTMF_S if audio else 0.0))
        parts.append(f'<nop><action><exec play_dtmf="{key},160"/>{note}</action></nop>')
        if audio:
            parts += [*wait(DTMF_S), play]
    parts += [
        *wait(30.0),
        _send(in_dialog("BYE"), retrans=True, action=_ev("hangup [call_id] -")),
        '<recv response="200"/>',
        '<nop next="end"/>',
        '<label id="remote_bye"/>',
        f"<nop><action>{_ev('remote_bye [call_id] -')}</action></nop>",
        _send(_response("200 OK", contact=False, tag=False)),
        '<label id="end"/>',
    ]
    return _scenario("callers", parts)


def rtp_pcap(path: Path, tone: bytes, seconds: float = 10.0) -> Path:
    """A pcap (Ethernet, IPv4, UDP) of RTP carrying `tone` (mu-law) in 20 ms packets, the
    way SIPp's play_pcap_audio wants it; it sends the RTP from the call's own port."""
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for n in range(int(seconds * 50)):
        chunk = bytes(tone[(n * 160 + i) % len(tone)] for i in range(160))
        rtp = struct.pack("!BBHII", 0x80, 0, n & 0xFFFF, n * 160, 0x5EED) + chunk
        udp = struct.pack("!HHHH", 6000, 7000, 8 + len(rtp), 0) + rtp
        ip = struct.pack(
            "!BBHHHBBH4s4s",
            0x45,
            0,
            20 + len(udp),
            n & 0xFFFF,
            0,
            64,
            17,
            0,
            bytes([127, 0, 0, 3]),
            bytes([127, 0, 0, 1]),
        )
        frame = bytes(6) + bytes(6) + b"\x08\x00" + ip + udp
        at_us = n * 20_000
        out += struct.pack("<IIII", at_us // 1_000_000, at_us % 1_000_000, len(frame), len(frame))
        out += frame
    path.write_bytes(bytes(out))
    return path


# --- prompts, Asterisk's extra configuration, the service's settings ---------------------


def _flows(target: Path) -> Path:
    """The shipped flows (the survey among them) and this benchmark's line."""
    flows = open_hotline_flows(target)
    (flows / f"{FLOW_NAME}.yaml").write_text(yaml.safe_dump(FLOW, sort_keys=False), "utf-8")
    return flows


def make_sounds(work: Path, config: Path, env: dict[str, str]) -> tuple[Path, Path]:
    """Every prompt the flows play and the hold music, made by `callcenter prompts build`."""
    sounds, moh = work / "sounds", work / "moh"
    texts = work / "bench-texts.yaml"
    texts.write_text(yaml.safe_dump(TEXTS, allow_unicode=True), "utf-8")
    command = [sys.executable, "-m", "callcenter", "--config", str(config), "prompts", "build"]
    command += [str(sounds), "--moh", str(moh), "--texts", str(texts)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"callcenter prompts build failed:\n{done.stdout}{done.stderr}")
    return sounds, moh


def prompt_seconds(sounds: Path, name: str, language: str = "en") -> float:
    """How long a generated prompt plays (8 kHz mu-law: 8000 bytes a second)."""
    return (sounds / language / f"{name}.ulaw").stat().st_size / 8000


def bench_endpoints(count: int) -> list[str]:
    """The agents' PJSIP endpoints of this benchmark: agent2001, agent2002 ..."""
    return [f"agent{2001 + n}" for n in range(count)]


def pjsip_bench(endpoints: list[str], port: int) -> str:
    """One endpoint per agent, reached at the agents' SIPp (127.0.0.1:`port`)."""
    lines = [
        "; The benchmark's agents (benchmarks/real_load.py): static contacts, no registration.",
        "[bench-aor](!)",
        "type = aor",
        "max_contacts = 1",
        "qualify_frequency = 0",
    ]
    for name in endpoints:
        lines += [
            f"[{name}](bench-aor)",
            f"contact = sip:{name}@127.0.0.1:{port}",
            f"[{name}](phone-endpoint)",
            "context = agents",
            f"aors = {name}",
            f"callerid = Agent {name[5:]} <{name[5:]}>",
        ]
    return "\n".join(lines) + "\n"


def customise(
    asterisk: RealAsterisk, endpoints: list[str], port: int, rtp: tuple[int, int]
) -> None:
    """The benchmark's edits of the rendered configuration (before Asterisk starts)."""
    etc = asterisk.dir / "etc"
    (etc / "pjsip_bench.conf").write_text(pjsip_bench(endpoints, port))
    with (etc / "pjsip.conf").open("a") as pjsip:
        pjsip.write("\n#include pjsip_bench.conf\n")
    text = (etc / "rtp.conf").read_text()
    text = re.sub(r"(?m)^rtpstart = \d+$", f"rtpstart = {rtp[0]}", text)
    text = re.sub(r"(?m)^rtpend = \d+$", f"rtpend = {rtp[1]}", text)
    (etc / "rtp.conf").write_text(text)
    asterisk.rtp = rtp


def service_settings(
    tmp: Path,
    flows: Path,
    agents: list[str],
    ami_port: int,
    agi_port: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """The service's YAML settings: production defaults but for ports, agents and files."""
    return {
        "service": {"log_level": args.log_level, "shutdown_grace_s": 1},
        "asterisk": {
            "servers": [
                {
                    "name": "pbx1",
                    "host": "127.0.0.1",
                    "port": ami_port,
                    "username": "callcenter",
                    "auth": "md5",
                }
            ],
        },
        "fastagi": {"host": "127.0.0.1", "port": agi_port, "max_sessions": 2000},
        "ivr": {
            "flows_dir": str(flows),
            "timezone": "Europe/Berlin",
            "default_flow": FLOW_NAME,
            "dnis": {"100": FLOW_NAME},
        },
        "database": {"url": f"sqlite+aiosqlite:///{tmp / 'bench.db'}"},
        "web": {"host": "127.0.0.1", "port": 0},
        "acd": {
            "queues": [
                {"name": QUEUE, "ring_timeout_seconds": 15, "wrap_up_seconds": args.wrap_up}
            ],
            "agents": [{"id": a, "name": f"Agent {a[5:]}", "queues": [QUEUE]} for a in agents],
        },
        "telephony": {
            "agent_endpoints": {
                a: f"PJSIP/{e}" for a, e in zip(agents, bench_endpoints(len(agents)), strict=True)
            },
            "voicemail_dir": str(tmp / "voicemail"),
        },
    }


# --- the service, in its own process -------------------------------------------------------


async def _serve(config: Path, profile: Path | None) -> None:
    """The child: the service as `callcenter serve` runs it, driven over stdin.

    stdin lines: `window` (the measured window begins: start the profiler), `end` (it
    ended), `dump` (print the peaks as JSON, stop). The peaks are sampled twice a second.
    """
    from callcenter.app.service import Service, settle_heap
    from callcenter.app.settings import load_settings

    settings = load_settings(config)
    configure_logging(settings.service.log_level, settings.service.log_format)
    service = Service.build(settings)
    service.backend.context.users = UserRepository(make_sessions(service.engine), HASHER)
    await service.start()
    settle_heap()  # as `callcenter serve` does once the service is up
    peaks = {"agi_sessions": 0, "calls": 0, "agent_legs": 0}

    async def sample() -> None:
        calls = service.telephony.calls
        while True:
            peaks["agi_sessions"] = max(peaks["agi_sessions"], service.agi.active_sessions)
            peaks["calls"] = max(peaks["calls"], len(calls))
            peaks["agent_legs"] = max(peaks["agent_legs"], len(calls.legs()))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    counts = _Counts.install(service)
    # CPU time of the event loop's thread, not wall time: waiting is not cost.
    profiler = cProfile.Profile(time.thread_time) if profile is not None else None
    window: dict[str, dict[str, int]] = {}
    try:
        for client in service.ami:
            await client.wait_connected(timeout=30)
        print(f"ready {service.backend.server.port}", flush=True)
        loop = asyncio.get_running_loop()
        while (line := (await loop.run_in_executor(None, sys.stdin.readline)).strip()) not in (
            "dump",
            "",
        ):
            if line in ("window", "end"):
                window[line] = counts.snapshot(service)
            if profiler is not None and line == "window":
                profiler.enable()
            elif profiler is not None and line == "end":
                profiler.disable()
        print(json.dumps({"peaks": peaks, **window}), flush=True)
        sys.stdout.close()
        if profiler is not None and profile is not None:
            profiler.dump_stats(str(profile))
    finally:
        sampler.cancel()
        await service.stop()


@dataclass
class _Counts:
    """What the service did, counted in its process: AMI events by name (what Asterisk
    sent after the session's `Filter`), database transactions of the batched writer, the
    call path's lookups, websocket messages to the desktops, event-loop wake-ups."""

    ami_events: dict[str, int] = field(default_factory=dict)
    transactions: int = 0
    reads: int = 0
    wakeups: int = 0
    messages: int = 0

    @classmethod
    def install(cls, service: Any) -> _Counts:
        from callcenter.ami.connection import Connection
        from callcenter.ami.messages import Event as AmiEvent

        counts = cls()
        # Every AMI connection in this process is one of the service's clients'.
        deliver = Connection.deliver

        def counted(conn: Connection, batch: list[AmiEvent]) -> None:
            for event in batch:
                counts.ami_events[event.name] = counts.ami_events.get(event.name, 0) + 1
            deliver(conn, batch)

        Connection.deliver = counted  # type: ignore[method-assign,assignment]
        apply = service.writer._apply

        async def transaction(ops: list[Any]) -> Any:
            counts.transactions += 1
            return await apply(ops)

        service.writer._apply = transaction
        rows = service.reads.rows

        async def read(statement: Any, params: Any) -> Any:
            counts.reads += 1
            return await rows(statement, params)

        service.reads.rows = read
        selector = asyncio.get_running_loop()._selector  # type: ignore[attr-defined]
        select = selector.select

        def woke(timeout: float | None = None) -> Any:
            counts.wakeups += 1
            return select(timeout)

        selector.select = woke
        send_str = aiohttp.web.WebSocketResponse.send_str

        async def sent(self: Any, data: str, compress: int | None = None) -> None:
            counts.messages += 1
            await send_str(self, data, compress)

        aiohttp.web.WebSocketResponse.send_str = sent  # type: ignore[method-assign]
        return counts

    def snapshot(self, service: Any) -> dict[str, int]:
        """The totals so far."""
        return {
            **{f"ami {name}": n for name, n in self.ami_events.items()},
            "db transactions": self.transactions,
            "db reads": self.reads,
            "loop wakeups": self.wakeups,
            "websocket messages": self.messages,
            "db writes": service.writer.written,
            "agi sessions": service.agi.counters.accepted,
            "agi commands": service.agi.counters.commands,
        }


# --- measuring ------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process `pid` (all its threads) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of `pid`'s main thread (the event loop) in user and in system (kernel)
    mode, and of its other threads (SQLite's, the executor's) together."""
    out = {"event loop user": 0.0, "event loop system": 0.0, "other threads": 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    with contextlib.suppress(FileNotFoundError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                user, system = int(fields[11]) / tick, int(fields[12]) / tick
                if task.name == str(pid):
                    out["event loop user"] += user
                    out["event loop system"] += system
                else:
                    out["other threads"] += user + system
    return out


def _ms(values: list[float], q: int) -> str:
    if len(values) < 2:
        return "n/a"
    return f"{statistics.quantiles(values, n=100)[q - 1] * 1000:.0f}"


@dataclass
class Result:
    """What one rate measured inside its window."""

    rate: float
    window_s: float
    agents: int
    dialled: int = 0
    completed: int = 0
    failed: int = 0
    why_failed: dict[str, int] = field(default_factory=dict)
    backend_cpu_s: float = 0.0
    asterisk_cpu_s: float = 0.0
    sipp_cpu_s: float = 0.0
    bench_cpu_s: float = 0.0
    threads: dict[str, float] = field(default_factory=dict)
    ring_to_pop: list[float] = field(default_factory=list)
    rung_without_pop: int = 0
    asterisk_peak_channels: int = 0
    service_peaks: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    """What the service did in the window (AMI events by name, writer transactions ...)."""
    load_average: list[float] = field(default_factory=list)
    """The machine's 1-minute load average as the window began and ended."""
    warnings: list[str] = field(default_factory=list)
    profile: str = ""

    def bottleneck(self, cores: int, cheapest_asterisk_ms: float) -> str:
        """Who ran out first at this rate: the machine's cores (and who held them) or nobody.

        `cheapest_asterisk_ms` is Asterisk's CPU per call at the rate where it was lowest:
        what this rate would ask of Asterisk alone had nothing been saturated."""
        held = {
            "Asterisk": self.asterisk_cpu_s / self.window_s,
            "SIPp": self.sipp_cpu_s / self.window_s,
            "the service": self.backend_cpu_s / self.window_s,
            "this process": self.bench_cpu_s / self.window_s,
        }
        busy = sum(held.values())
        shares = ", ".join(f"{who} {used:.2f}" for who, used in held.items())
        if busy < 0.85 * cores:
            return f"nobody: {busy:.2f} of the machine's {cores} cores busy ({shares})"
        first = max(held, key=lambda who: held[who])
        need = self.rate * cheapest_asterisk_ms / 1000
        return (
            f"the machine: {busy:.2f} of its {cores} cores busy ({shares}), most of them"
            f" {first}'s; Asterisk alone needs {need:.1f} cores at {self.rate:g} calls/s"
            f" ({cheapest_asterisk_ms:.0f} ms a call)"
        )

    def row(self) -> list[str]:
        """The table's row."""
        per_call = max(1, self.dialled)
        backend = 1000 * self.backend_cpu_s / per_call
        asterisk = 1000 * self.asterisk_cpu_s / per_call
        return [
            f"{self.dialled / self.window_s:.1f}",
            f"{self.completed / self.window_s:.1f}",
            f"{backend:.1f}",
            f"{asterisk:.1f}",
            f"{backend / asterisk:.2f}" if asterisk else "n/a",
            f"{_ms(self.ring_to_pop, 50)} / {_ms(self.ring_to_pop, 99)}",
            f"{100 * self.failed / per_call:.1f}%",
        ]


HEADERS = [
    "offered calls/s",
    "completed calls/s",
    "backend CPU ms/call",
    "Asterisk CPU ms/call",
    "backend/Asterisk",
    "ring->pop p50/p99 ms",
    "failed",
]


async def _spawn_sipp(
    unpacked: Build, remote: str, xml: Path, log: Path, args: list[str]
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        str(unpacked.sipp),
        remote,
        "-sf",
        str(xml),
        "-trace_logs",
        "-log_file",
        str(log),
        "-trace_err",
        "-error_file",
        str(log.with_suffix(".err")),
        "-nostdin",
        *args,
        env=unpacked.env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def _media_range(width: int, taken: list[tuple[int, int]]) -> tuple[int, int]:
    """An even-aligned run of `width` free UDP ports below 64000 overlapping none of
    `taken` (SIPp's RTP; Asterisk's is `rtp_range`)."""
    for _ in range(200):
        start = 20000 + 2 * secrets.randbelow((64000 - width - 20000) // 2)
        end = start + width - 1
        if all(end < low or start > high for low, high in taken) and all(
            _udp_free(port) for port in range(start, end, 50)
        ):
            return start, end
    raise RuntimeError("no free run of UDP ports for SIPp's RTP")


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def _seed(url: str, agents: list[str], numbers: list[str]) -> None:
    engine = make_engine(url)
    await upgrade(engine)
    sessions = make_sessions(engine)
    users = UserRepository(sessions, HASHER)
    for agent in agents:
        await users.add(agent, f"{agent}-password", "agent")
    await CustomerRepository(sessions).add_many(
        [
            NewCustomer(name=f"Customer {n}", account=str(100000 + n), phones=(number,))
            for n, number in enumerate(numbers)
            if n % 2 == 0  # half the callers are on file
        ]
    )
    await engine.dispose()


async def _stored_calls(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        records = await InteractionRepository(make_sessions(engine)).search(limit=1_000_000)
    finally:
        await engine.dispose()
    return {r.caller_number: r for r in records if r.caller_number}


async def _py_spy(
    args: argparse.Namespace, pid: int, rate: float
) -> asyncio.subprocess.Process | None:
    """py-spy sampling the service over the window (`--py-spy`)."""
    if not args.py_spy:
        return None
    binary = shutil.which("py-spy")
    if binary is None:
        raise SystemExit("--py-spy needs py-spy on PATH (pip install py-spy, anywhere)")
    command = [binary, "record", "--pid", str(pid), "--duration", f"{int(args.seconds)}"]
    command += ["--rate", "200", "--gil", "--threads", "--format", "raw"]
    command += ["--output", f"{args.py_spy}.{rate:g}"]
    return await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )


async def _at(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.time()))


async def _channel_peak(asterisk: RealAsterisk, until: float) -> int:
    peak = 0
    while time.time() < until:
        out = await asterisk.cli("core show channels count", check=False)
        found = re.search(r"(\d+) active channels?", out)
        if found:
            peak = max(peak, int(found.group(1)))
        await asyncio.sleep(2)
    return peak


def agents_for(rate: float, args: argparse.Namespace) -> int:
    """Agents enough for `rate`: each call holds one for ring + talk + wrap-up and the
    round trips between, with room to spare (the queue must stay empty)."""
    if args.agents:
        return args.agents
    return math.ceil(rate * (args.ring + args.talk + args.wrap_up + 2.0)) + 5


async def measure(
    rate: float, args: argparse.Namespace, work: Path, sounds: tuple[Path, Path]
) -> Result:
    """Run one rate on a fresh Asterisk, service and SIPp; what its window measured."""
    unpacked = build()
    tmp = work / f"rate-{rate:g}"
    tmp.mkdir()
    count = len(agents := [f"agent{n}" for n in range(1, agents_for(rate, args) + 1)])
    result = Result(rate, args.seconds, count)
    calls = math.ceil(rate * (args.warmup + args.seconds))
    numbers = [_number(n) for n in range(calls)]
    agi_port = free_tcp_port()
    asterisk = RealAsterisk(unpacked, agi_port=agi_port, sounds=sounds[0], moh=sounds[1])
    # Each channel holds an even RTP port and its RTCP neighbour; callers stay ~20 s.
    channels = int(rate * 40) + count + 50
    rtp = rtp_range(2 * channels + 200)
    agents_port = free_udp_port()
    customise(asterisk, bench_endpoints(count), agents_port, rtp)
    sipp_dir = tmp / "sipp"
    sipp_dir.mkdir()
    media = None if args.no_audio else silence_ulaw(sipp_dir / "tone.ulaw")
    processes: list[asyncio.subprocess.Process] = []
    child: asyncio.subprocess.Process | None = None
    db_url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    try:
        await asterisk.start()
        if os.environ.get("REAL_LOAD_DEBUG"):
            await asterisk.cli("agi set debug on")
            await asterisk.cli("core set verbose 5")
            await asterisk.cli("rtp set debug on")
        remote = f"127.0.0.1:{asterisk.sip_port}"
        agents_media = _media_range(4 * count + 100, [rtp])
        xml = sipp_dir / "agents.xml"
        xml.write_text(agents_scenario(args.ring, args.talk, media))
        agents_log = sipp_dir / "agents.log"
        uas_args = ["-i", "127.0.0.1", "-p", str(agents_port)]
        uas_args += ["-min_rtp_port", str(agents_media[0]), "-max_rtp_port", str(agents_media[1])]
        processes.append(await _spawn_sipp(unpacked, remote, xml, agents_log, uas_args))

        config = tmp / "callcenter.yaml"
        settings = service_settings(tmp, work / "flows", agents, asterisk.ami_port, agi_port, args)
        config.write_text(yaml.safe_dump(settings, sort_keys=False), "utf-8")
        await _seed(db_url, agents, numbers)
        env = {**os.environ, "CALLCENTER_AMI_SECRET_PBX1": asterisk.secrets.ami}
        serve = [sys.executable, __file__, "--serve", str(config)]
        if args.profile:
            serve += ["--profile-to", str(tmp / "service.prof")]
        with (tmp / "service.log").open("wb") as log_file:
            child = await asyncio.create_subprocess_exec(
                *serve,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log_file,
                env=env,
            )
        assert child.stdin is not None
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 60)
        if not line.startswith(b"ready "):
            tail = (tmp / "service.log").read_text(errors="replace")[-3000:]
            raise SystemExit(f"the service did not start:\n{tail}")
        url = f"http://127.0.0.1:{int(line.split()[1])}"
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.DummyCookieJar()
        ) as http:
            desktops = Desktops(http)
            for start in range(0, count, 25):
                await asyncio.gather(*(desktops.open(url, a) for a in agents[start : start + 25]))

            welcome = prompt_seconds(sounds[0], "custom/welcome")
            xml = sipp_dir / "callers.xml"
            pcap = None if media is None else rtp_pcap(sipp_dir / "tone.pcap", media.read_bytes())
            xml.write_text(callers_scenario(welcome + FIRST_KEY_S, pcap))
            injection = sipp_dir / "callers.csv"
            injection.write_text("SEQUENTIAL\n" + "".join(f"{n};\n" for n in numbers))
            # [auto_media_port] is -mp + 4 x (call number - 1) modulo 10000: a run of ports
            # that Asterisk's own RTP must not share (its replies go there unread).
            callers_media = _media_range(10_000, [rtp, agents_media])
            callers_log = sipp_dir / "callers.log"
            uac_args = ["-i", TRUNK_HOST, "-p", str(free_udp_port(TRUNK_HOST))]
            uac_args += ["-mp", str(callers_media[0])]
            uac_args += ["-inf", str(injection), "-r", f"{rate:g}", "-m", str(calls)]
            uac_args += ["-l", "5000", "-s", "100"]
            started = time.time()
            callers = await _spawn_sipp(unpacked, remote, xml, callers_log, uac_args)
            processes.append(callers)
            begin, end = started + args.warmup, started + args.warmup + args.seconds
            peak = asyncio.create_task(_channel_peak(asterisk, end))
            asterisk_pid = int((asterisk.dir / "run" / "asterisk.pid").read_text().strip())
            pids = [p.pid for p in processes]

            def sample() -> tuple[float, float, float, float, dict[str, float]]:
                return (
                    cpu_seconds(child.pid),  # type: ignore[union-attr]
                    cpu_seconds(asterisk_pid),
                    sum(cpu_seconds(pid) for pid in pids),
                    time.process_time(),
                    thread_cpu(child.pid),  # type: ignore[union-attr]
                )

            await _at(begin)
            before = sample()
            result.load_average = [os.getloadavg()[0]]
            child.stdin.write(b"window\n")
            spy = await _py_spy(args, child.pid, rate)
            await _at(end)
            after = sample()
            result.load_average.append(os.getloadavg()[0])
            child.stdin.write(b"end\n")
            if spy is not None:
                await spy.wait()
            result.asterisk_peak_channels = await peak
            try:
                await asyncio.wait_for(callers.wait(), args.warmup + args.seconds + 90)
            except TimeoutError:
                callers.terminate()
            await asyncio.sleep(args.wrap_up + 1)  # the last pops and wrap-ups
            child.stdin.write(b"dump\n")
            await child.stdin.drain()
            child.stdin.close()
            dump = json.loads(await asyncio.wait_for(child.stdout.read(), 60))
            result.service_peaks = dump["peaks"]
            result.counts = {
                key: n - dump["window"].get(key, 0)
                for key, n in dump["end"].items()
                if n - dump["window"].get(key, 0)
            }
            await desktops.close()
        await asyncio.wait_for(child.wait(), 30)
        result.backend_cpu_s = after[0] - before[0]
        result.asterisk_cpu_s = after[1] - before[1]
        result.sipp_cpu_s = after[2] - before[2]
        result.bench_cpu_s = after[3] - before[3]
        result.threads = {k: v - before[4].get(k, 0.0) for k, v in after[4].items()}
        stored = await _stored_calls(db_url)
        _tally(result, read_events(callers_log) + _aborted_on_bye(callers_log), stored, begin, end)
        _rings(result, read_events(agents_log), desktops.pops, begin, end)
    finally:
        if child is not None and child.returncode is None:
            child.kill()
            await child.wait()
        for process in processes:
            if process.returncode is None:
                process.terminate()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 5)
        await asterisk.stop()
    result.warnings = _warnings(tmp / "service.log")
    if args.profile and (tmp / "service.prof").exists():
        shutil.copyfile(tmp / "service.prof", f"{args.profile}.{rate:g}")
        result.profile = _top(tmp / "service.prof")
    if args.keep:
        kept = Path(args.keep) / f"rate-{rate:g}"
        shutil.copytree(tmp, kept, dirs_exist_ok=True)
    return result


def _tally(
    result: Result, events: list[Any], stored: dict[str, Any], begin: float, end: float
) -> None:
    """Offered, completed and failed calls from the callers' log and the database."""
    by_call: dict[str, dict[str, Any]] = {}
    for event in events:
        seen = by_call.setdefault(event.call_id, {})
        seen.setdefault(event.what, event)
    for seen in by_call.values():
        dial = seen.get("dial")
        if dial is None:
            continue
        record = stored.get(dial.detail)
        bye = seen.get("remote_bye")
        why = None
        if record is None:
            why = "no record"
        elif record.outcome != "answered":
            why = f"outcome {record.outcome}"
        elif any(record.ivr_data.get(k) != v for k, v in ANSWERS.items()):
            why = "a key not heard"
        elif len(record.survey_scores) < 3:
            why = "survey incomplete"
        elif bye is None:
            why = "Asterisk did not hang up"
        ok = why is None
        if ok and begin <= bye.at < end:
            result.completed += 1
        if begin <= dial.at < end:
            result.dialled += 1
            if not ok:
                result.failed += 1
                result.why_failed[str(why)] = result.why_failed.get(str(why), 0) + 1


def read_events(log: Path) -> list[Event]:
    """The `EV` lines of a SIPp log, skipping any that a busy SIPp wrote garbled (its
    log lines of concurrent calls can interleave)."""
    events = []
    if log.exists():
        for line in log.read_text(errors="replace").splitlines():
            parts = line.split()
            if len(parts) >= 5 and parts[0] == "EV":
                with contextlib.suppress(ValueError):
                    at = float(parts[1]) + float(parts[2]) / 1e6
                    events.append(Event(at, parts[3], parts[4], " ".join(parts[5:])))
    return events


def _aborted_on_bye(log: Path) -> list[Event]:
    """Calls SIPp aborted on Asterisk's BYE because it came between two steps of the
    script (under load): Asterisk did hang up, as `remote_bye` would have said."""
    found = []
    errors = log.with_suffix(".err")
    if errors.exists():
        for line in errors.read_text(errors="replace").splitlines():
            hit = re.search(
                r"^\S+\t\S+\t([\d.]+): Aborting call on an unexpected BYE for call: (\S+)", line
            )
            if hit:
                found.append(Event(float(hit.group(1)), "remote_bye", hit.group(2), "-"))
    return found


def _rings(
    result: Result,
    events: list[Any],
    pops: dict[tuple[str, str], float],
    begin: float,
    end: float,
) -> None:
    """Ring -> pop: each INVITE to an agent's phone in the window against that agent's
    nearest offer (an agent has one call at a time, seconds apart)."""
    offers: dict[str, list[float]] = {}
    for (agent_id, _call), at in pops.items():
        offers.setdefault(agent_id, []).append(at)
    for event in events:
        if event.what != "invite" or not begin <= event.at < end:
            continue
        agent_id = f"agent{int(event.detail[5:]) - 2000}"
        near = [at - event.at for at in offers.get(agent_id, []) if abs(at - event.at) < 2.0]
        if near:
            result.ring_to_pop.append(min(near, key=abs))
        else:
            result.rung_without_pop += 1


def _warnings(path: Path) -> list[str]:
    """The service's warnings and errors: each kind once, with how often it came."""
    counts: dict[str, int] = {}
    first: dict[str, str] = {}
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if entry.get("level") in ("warning", "error", "critical"):
                    counts[entry["event"]] = counts.get(entry["event"], 0) + 1
                    first.setdefault(entry["event"], line.strip()[:300])
    return [f"x{counts[k]} {first[k]}" for k in sorted(counts, key=lambda k: -counts[k])]


def _top(path: Path, lines: int = 30) -> str:
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.sort_stats("tottime").print_stats(lines)
    return out.getvalue()


async def main_async(args: argparse.Namespace) -> list[Result]:
    """Every rate in turn; prompts made once."""
    results = []
    with tempfile.TemporaryDirectory(prefix="real-load-") as name:
        work = Path(name)
        flows = _flows(work / "flows")
        config = work / "prompts.yaml"
        config.write_text(
            yaml.safe_dump({"ivr": {"flows_dir": str(flows), "default_flow": FLOW_NAME}}), "utf-8"
        )
        sounds = make_sounds(work, config, dict(os.environ))
        for rate in args.rates:
            print(f"rate {rate:g} calls/s ...", file=sys.stderr, flush=True)
            results.append(await measure(rate, args, work, sounds))
    return results


def _rates(text: str) -> list[float]:
    try:
        rates = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--rates: numbers separated by commas, not {text!r}"
        ) from None
    if not rates or any(r <= 0 for r in rates):
        raise argparse.ArgumentTypeError(f"--rates: positive calls per second, not {text!r}")
    return rates


def report(args: argparse.Namespace, results: list[Result]) -> None:
    """The table and what goes with it."""
    print(
        f"Real Asterisk 22 load: {args.warmup:g} s warm-up + {args.seconds:g} s measured per"
        f" rate; IVR with four keys, queue, ring {args.ring:g} s, talk {args.talk:g} s, survey"
        f" of three questions, wrap-up {args.wrap_up:g} s;"
        f" caller and agent audio {'off' if args.no_audio else 'on'}"
    )
    print_table(HEADERS, [r.row() for r in results])
    cores = os.cpu_count() or 1
    cheapest = min((1000 * r.asterisk_cpu_s / r.dialled for r in results if r.dialled), default=0.0)
    for r in results:
        print(f"\nat {r.rate:g} calls/s ({r.agents} agents):")
        print(f"  ran out first: {r.bottleneck(cores, cheapest)}")
        peaks = r.service_peaks
        print(
            f"  peak channels: Asterisk {r.asterisk_peak_channels}; service: FastAGI sessions"
            f" {peaks.get('agi_sessions')}, calls {peaks.get('calls')}, agent legs"
            f" {peaks.get('agent_legs')}"
        )
        load = " -> ".join(f"{x:.1f}" for x in r.load_average)
        print(
            f"  CPU over the window: the service {100 * r.backend_cpu_s / r.window_s:.0f}%,"
            f" Asterisk {100 * r.asterisk_cpu_s / r.window_s:.0f}% of one core (this machine"
            f" has {os.cpu_count()}; its load average {load})"
        )
        cpu = ", ".join(
            f"{name} {100 * used / r.window_s:.0f}%"
            for name, used in sorted(r.threads.items(), key=lambda kv: -kv[1])
            if used > 0.005 * r.window_s
        )
        print(f"  service CPU by thread: {cpu}")
        print(
            f"  CPU of the SIPp processes {100 * r.sipp_cpu_s / r.window_s:.0f}%, of this"
            f" process {100 * r.bench_cpu_s / r.window_s:.0f}%"
        )
        if r.why_failed:
            print("  failed: " + ", ".join(f"{k} {v}" for k, v in sorted(r.why_failed.items())))
        print(f"  INVITEs to agents without a pop: {r.rung_without_pop}")
        per_call = max(1, r.dialled)
        ami = {k[4:]: n for k, n in r.counts.items() if k.startswith("ami ")}
        print(
            f"  per call, in the service: {sum(ami.values()) / per_call:.1f} AMI events ("
            + ", ".join(f"{k} {n / per_call:.1f}" for k, n in sorted(ami.items()))
            + f"), {r.counts.get('agi commands', 0) / per_call:.1f} AGI commands in"
            f" {r.counts.get('agi sessions', 0) / per_call:.1f} sessions,"
            f" {r.counts.get('db reads', 0) / per_call:.1f} lookups,"
            f" {r.counts.get('db writes', 0) / per_call:.1f} writes in"
            f" {r.counts.get('db transactions', 0) / r.window_s:.1f} transactions a second;"
            f" {r.counts.get('websocket messages', 0) / per_call:.1f} desktop messages;"
            f" the event loop woke {r.counts.get('loop wakeups', 0) / per_call:.0f} times"
        )
        print("  service warnings and errors: " + ("none" if not r.warnings else ""))
        for line in r.warnings[:10]:
            print(f"    {line}")
        if r.profile:
            print(r.profile)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rates", type=_rates, default=[5.0, 10.0, 20.0], help="calls/s, e.g. 5,10,20"
    )
    parser.add_argument("--seconds", type=float, default=40.0, help="the measured window")
    parser.add_argument("--warmup", type=float, default=30.0, help="excluded from the figures")
    parser.add_argument("--ring", type=float, default=1.0, help="seconds a phone rings")
    parser.add_argument("--talk", type=float, default=2.0, help="seconds connected")
    parser.add_argument("--wrap-up", type=float, default=1.0, help="seconds of wrap-up")
    parser.add_argument("--agents", type=int, help="default: enough for the rate")
    parser.add_argument("--no-audio", action="store_true", help="callers and phones send no RTP")
    parser.add_argument("--log-level", default="info", help="the service's log level")
    parser.add_argument(
        "--profile", help="cProfile the service in the window: stats to FILE.<rate>"
    )
    parser.add_argument(
        "--py-spy",
        metavar="FILE",
        help="sample the service with py-spy (on PATH) in the window: stacks to FILE.<rate>",
    )
    parser.add_argument("--keep", help="copy each rate's files (logs, SIPp, database) here")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve, args.profile_to))
        return
    configure_logging("warning", "console")
    results = asyncio.run(main_async(args))
    report(args, results)


if __name__ == "__main__":
    main()
