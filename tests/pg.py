"""A throwaway PostgreSQL server for the tests: initdb, start on loopback, stop at the end.

Strategy: the server binaries of the Debian/Ubuntu `postgresql` package
(`/usr/lib/postgresql/<version>/bin`) or of the PATH. The cluster lives in a fresh
temporary directory, trusts loopback connections, skips fsync (its data dies with the
tests anyway), and listens on a free port of 127.0.0.1 only. PostgreSQL refuses to run as
root, so as root the server runs as the `postgres` user the package creates. Without the
binaries the tests skip, except under CI (`CI=true`), where testing both databases is the
point and a missing server is a failure. `tests/run.sh` installs the package when it can.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_counter = itertools.count(1)


def server_bin() -> Path | None:
    """The directory holding initdb and pg_ctl, newest version first; None if absent."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
        reverse=True,
    )
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found))
    for initdb in candidates:
        if (initdb.parent / "pg_ctl").exists() and (initdb.parent / "postgres").exists():
            return initdb.parent
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    pwd.getpwnam("postgres")  # KeyError: no such user, the package is not installed right
    return ["runuser", "-u", "postgres", "--"]


@contextlib.contextmanager
def running_server(bindir: Path) -> Iterator[tuple[str, int]]:
    """Start a temporary cluster; yields (host, port) and removes it afterwards."""
    prefix = _as_server_user()
    root = Path(tempfile.mkdtemp(prefix="callcenter-pg-"))
    if prefix:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", _free_port()
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
         "-E", "UTF8", "--locale=C", "--no-sync"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    options = f"-h 127.0.0.1 -p {port} -k {root} -F -c max_connections=50"
    try:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"),
             "-o", options, "-w", "-t", "30", "start"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        yield "127.0.0.1", port
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            check=False, capture_output=True, timeout=60,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


class PostgresServer:
    """A running test server; `new_database()` gives each test its own empty database."""

    def __init__(self, bindir: Path, host: str, port: int) -> None:
        self.bindir, self.host, self.port = bindir, host, port

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of `database` on this server."""
        return f"postgresql+asyncpg://postgres@{self.host}:{self.port}/{database}"

    def sql(self, statement: str) -> None:
        """Run one statement as the superuser, in the `postgres` database."""
        subprocess.run(
            [str(self.bindir / "psql"), "-h", self.host, "-p", str(self.port), "-U", "postgres",
             "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qc", statement],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip

    def new_database(self) -> str:
        """Create a fresh database; its URL."""
        name = f"test_{os.getpid()}_{next(_counter)}"
        self.sql(f"CREATE DATABASE {name}")
        return self.url(name)


def require_server_bin() -> Path:
    """The PostgreSQL server binaries' directory, or a skip saying so (a failure under
    CI=true: CI must test PostgreSQL)."""
    bindir = server_bin()
    if bindir is None:
        reason = "PostgreSQL server binaries not found (apt-get install postgresql)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI must test PostgreSQL")
        pytest.skip(reason)
    return bindir


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server on 127.0.0.1 for the whole test session."""
    bindir = require_server_bin()
    with running_server(bindir) as (host, port):
        yield PostgresServer(bindir, host, port)
