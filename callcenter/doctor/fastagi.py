"""The doctor's FastAGI exchange: the service's `doctor` script and the probe that calls it.

Strategy: an open TCP port proves nothing (another program may hold it), so `doctor`
speaks FastAGI to it as Asterisk would: it sends an `agi_*` environment for the script
`doctor` (`agi://host:port/doctor`) and expects the service's answer, one harmless
`VERBOSE "callcenter FastAGI <version>" 1`, which it acknowledges with `200 result=1` as
Asterisk does; the service then ends the session. The script touches no call, no ACD and
no database. Whatever else happens (no command, a different one, a silent or closed
peer) is a `ProbeFailed` that says what the peer did.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets

from callcenter import __version__
from callcenter.agi import AGISession, Verbose

DOCTOR_SCRIPT = "doctor"
"""The FastAGI script the service answers for `callcenter doctor` (never in a dialplan)."""
GREETING = "callcenter FastAGI"
MAX_LINE = 512


class ProbeFailed(Exception):
    """The peer did not answer the probe as the callcenter service does; the message says
    what it did instead."""


async def answer_doctor(session: AGISession) -> None:
    """The service's side: say who answers, in a command Asterisk would merely log."""
    await session.command(Verbose(f"{GREETING} {__version__}", 1))


def probe_environment(host: str, port: int) -> bytes:
    """The environment Asterisk would send for `AGI(agi://host:port/doctor)`."""
    pairs = [
        ("agi_network", "yes"),
        ("agi_network_script", DOCTOR_SCRIPT),
        ("agi_request", f"agi://{host}:{port}/{DOCTOR_SCRIPT}"),
        ("agi_channel", "Local/doctor@callcenter"),
        ("agi_language", "en"),
        ("agi_type", "Local"),
        ("agi_uniqueid", f"doctor.{secrets.randbelow(10**9)}"),
        ("agi_version", f"callcenter-doctor {__version__}"),
        ("agi_callerid", "unknown"),
        ("agi_calleridname", "callcenter doctor"),
        ("agi_dnid", "unknown"),
        ("agi_context", "doctor"),
        ("agi_extension", "s"),
        ("agi_priority", "1"),
    ]
    return "".join(f"{key}: {value}\n" for key, value in pairs).encode() + b"\n"


async def probe_fastagi(host: str, port: int, timeout: float) -> str:
    """Run the exchange with the FastAGI server at `host:port`; the service's greeting
    (`callcenter FastAGI 0.9.0`). `OSError`/`TimeoutError` when it cannot be reached,
    `ProbeFailed` when something else answers."""
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(probe_environment(host, port))
        await writer.drain()
        try:
            async with asyncio.timeout(timeout):
                line = await reader.readline()
        except TimeoutError:
            raise ProbeFailed(
                f"accepted the connection but sent no FastAGI command within {timeout:g} s "
                "(another program on this port?)"
            ) from None
        except (ConnectionError, ValueError) as exc:
            raise ProbeFailed(f"broke the connection ({exc})") from None
        if not line:
            raise ProbeFailed(
                "closed the connection without a FastAGI command (another program, an older "
                "callcenter without the doctor script, or this address is not allowed)"
            )
        text = line[:MAX_LINE].decode("utf-8", "replace").strip()
        prefix = f'VERBOSE "{GREETING} '
        if not text.startswith(prefix):
            raise ProbeFailed(f"answered {text[:60]!r}, not as the callcenter service does")
        writer.write(b"200 result=1\n")
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        return text[len("VERBOSE ") :].rsplit(" ", 1)[0].strip('"')
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
