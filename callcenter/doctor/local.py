"""The doctor's checks that need no AMI: the FastAGI port and the database's migration;
and the ACD configuration in force (the database's newest version), whose agents' phones
the AMI checks look for.

Strategy: each check connects the way its user would (Asterisk's FastAGI exchange, an
engine on `database.url`) and returns a `Finding` instead of raising. The FastAGI check
speaks FastAGI (`callcenter.doctor.fastagi`: the service's `doctor` script answers) to the
addresses the dialplan's AGI() URLs name, else to the configured one, so another program
on the port is told apart from the service; it can only see this machine's view of the
network (see `doctor`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from acd import AcdSettings
from callcenter.app.settings import Settings
from callcenter.db import (
    ConfigInvalid,
    ConfigVersions,
    current_revision,
    make_engine,
    make_sessions,
)
from callcenter.db.migrate import head_revision
from callcenter.doctor.fastagi import ProbeFailed, probe_fastagi
from callcenter.ivr.dialplan import AgiTarget


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's result: what was found and, when it is a problem, how to fix it."""

    check: str
    ok: bool
    message: str
    fix: str = ""


async def check_fastagi(
    settings: Settings,
    named: set[AgiTarget],
    timeout: float,
    *,
    standby: AbstractSet[AgiTarget] = frozenset(),
) -> list[Finding]:
    """Speak FastAGI to each address the dialplan names (else the configured one).

    A `standby` address (a second backend node, reached only when the first fails) that
    does not answer is reported but is no problem: a one-node installation has none."""
    fa = settings.fastagi
    own = AgiTarget("127.0.0.1" if fa.host in ("0.0.0.0", "::", "") else fa.host, fa.port, "")  # noqa: S104
    addresses = {(t.host, t.port) for t in named} or {(own.host, own.port)}
    optional = {(t.host, t.port) for t in standby} - {(t.host, t.port) for t in named - standby}
    source = "the dialplan's" if named else "the configured"
    findings = []
    for host, port in sorted(addresses):
        try:
            greeting = await probe_fastagi(host, port, timeout)
        except ProbeFailed as exc:
            findings.append(
                Finding(
                    "fastagi",
                    False,
                    f"{source} FastAGI {host}:{port} is not the callcenter service: it {exc}",
                    "point the dialplan's agi:// URLs and fastagi.port at `callcenter serve`; "
                    "if another program has the port, move one of them",
                )
            )
        except (OSError, TimeoutError) as exc:
            if (host, port) in optional:
                # A second node that is not running: the dialplan's fail-over skips it.
                note = f"fail-over node {host}:{port} not reachable from here ({reason(exc)})"
                findings.append(Finding("fastagi", True, f"{note}: calls go to the first node"))
                continue
            findings.append(
                Finding(
                    "fastagi",
                    False,
                    f"{source} FastAGI {host}:{port} not reachable from here ({reason(exc)})",
                    "start `callcenter serve` with fastagi.host reachable from Asterisk "
                    "(0.0.0.0 in a container); run the doctor where Asterisk's network is "
                    "(docker compose exec backend callcenter doctor)",
                )
            )
        else:
            findings.append(Finding("fastagi", True, f"FastAGI {host}:{port} answers ({greeting})"))
    return findings


async def stored_acd(settings: Settings, timeout: float) -> AcdSettings | None:
    """The ACD configuration the service runs: the database's newest version. None when
    the database cannot say (no file, unreachable, not migrated, no version yet: then the
    settings file's `acd` section is what the service's first start stores);
    `check_database` reports why."""
    url = make_url(settings.database.url)
    if url.drivername.startswith("sqlite") and not await asyncio.to_thread(
        Path(url.database or "").is_file
    ):
        return None  # connecting would create an empty file
    try:
        engine = make_engine(settings.database.url)
    except ValueError:
        return None
    try:
        async with asyncio.timeout(timeout):
            if await current_revision(engine) != head_revision():
                return None
            current = await ConfigVersions(make_sessions(engine)).current()
            return None if current is None else current.settings
    except (OSError, SQLAlchemyError, TimeoutError, ConfigInvalid):
        return None
    finally:
        await engine.dispose()


async def check_database(settings: Settings, timeout: float) -> Finding:
    """The database answers and is at the newest migration this version ships."""
    shown = settings.database.model_dump()["url"]
    url = make_url(settings.database.url)
    sqlite_file = Path(url.database or "") if url.drivername.startswith("sqlite") else None
    if sqlite_file is not None and not await asyncio.to_thread(sqlite_file.is_file):
        # Connecting would create an empty file: say what is missing instead.
        return Finding("database", False, f"{shown}: no such file", "callcenter db upgrade")
    try:
        engine = make_engine(settings.database.url)
    except ValueError as exc:
        return Finding("database", False, f"{shown}: {exc}", "fix database.url")
    try:
        async with asyncio.timeout(timeout):
            revision = await current_revision(engine)
    except (OSError, SQLAlchemyError, TimeoutError) as exc:
        return Finding(
            "database",
            False,
            f"{shown} not reachable ({reason(exc)})",
            "start the database and check database.url / CALLCENTER_DATABASE__URL",
        )
    finally:
        await engine.dispose()
    head = head_revision()
    if revision != head:
        state = "never migrated" if revision is None else f"at revision {revision}"
        return Finding(
            "database",
            False,
            f"{shown} {state}, this version needs {head}",
            "callcenter db upgrade",
        )
    return Finding("database", True, f"{shown} at the newest revision {head}")


def reason(exc: BaseException) -> str:
    """A short reason for a failed connection (the OS's words, or "timed out")."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = str(getattr(exc, "strerror", None) or exc).splitlines()
    return text[0] if text else type(exc).__name__
