"""A real Asterisk 22 on loopback, configured with the product's own `config/asterisk/`.

Strategy: the build comes from `../shared/asterisk/asterisk-*.tar.xz` beside the checkout
(or `$CALLCENTER_ASTERISK_TARBALL`), unpacked once into a cache folder. The configuration
is rendered exactly as the container does it, by `deploy/asterisk-entrypoint.sh`, after
only the edits an operator outside compose makes: loopback addresses, free ports (SIP,
AMI, the RTP range), and the FastAGI address of the service under test. Sounds and music
on hold are the product's own, made by `callcenter prompts build`. Asterisk runs in the
foreground (`-f`) from a directory of its own; `cli()` talks to it over its control
socket like `asterisk -rx`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_PACKAGES = [
    "libjansson4",
    "libedit2",
    "libsrtp2-1",
    "libxml2",
    "libxslt1.1",
    "libsqlite3-0",
    "libssl3",
    "libuuid1",
    "libcurl4",
    "libpcap0.8",
    "libncursesw6",
    "libicu72",
]
"""The Debian 12 packages the build needs at run time (its README)."""

AGENT_PHONES = ("agent1001", "agent1002", "agent1003", "agent1004", "agent1005", "agent1006")
SUPERVISOR_PHONE = "supervisor9001"
TRUNK_HOST = "127.0.0.3"
"""Where the test trunk listens (port 5060): calls from this address are the trunk's."""


class Unavailable(Exception):
    """The real Asterisk cannot run here; the message says why."""


@dataclass(frozen=True)
class Build:
    """An unpacked Asterisk 22 + SIPp build."""

    root: Path

    @property
    def asterisk(self) -> Path:
        """The asterisk binary."""
        return self.root / "sbin" / "asterisk"

    @property
    def sipp(self) -> Path:
        """The sipp binary."""
        return self.root / "bin" / "sipp"

    @property
    def env(self) -> dict[str, str]:
        """The environment both binaries run in (their libraries on the path)."""
        return {**os.environ, "LD_LIBRARY_PATH": str(self.root / "lib")}


def tarball() -> Path | None:
    """The build's tarball: `$CALLCENTER_ASTERISK_TARBALL`, or the one in ../shared/asterisk."""
    named = os.environ.get("CALLCENTER_ASTERISK_TARBALL")
    if named:
        return Path(named)
    found = sorted((ROOT.parent / "shared" / "asterisk").glob("asterisk-*.tar.xz"))
    return found[-1] if found else None


def _cache() -> Path:
    base = os.environ.get("CALLCENTER_ASTERISK_CACHE") or os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "callcenter-asterisk"


def _missing_libraries(build: Build) -> list[str]:
    modules = build.root / "lib" / "asterisk" / "modules"
    binaries = [build.asterisk, build.sipp, modules / "res_srtp.so", modules / "chan_pjsip.so"]
    out = subprocess.run(
        ["ldd", *map(str, binaries)], env=build.env, capture_output=True, text=True, check=False
    ).stdout
    return sorted({line.split()[0] for line in out.splitlines() if "not found" in line})


def _install_runtime() -> str | None:
    """Installs the runtime packages from Debian (as root); None, or why it could not."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "not root, or no apt-get"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", *RUNTIME_PACKAGES],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return f"{' '.join(command[:2])} failed: {done.stderr.strip()[-300:]}"
    return None


def build() -> Build:
    """The unpacked build, unpacked on first use; `Unavailable` says why there is none."""
    archive = tarball()
    if archive is None or not archive.exists():
        raise Unavailable(
            "no Asterisk build: ../shared/asterisk/asterisk-*.tar.xz is not beside the checkout "
            "(set CALLCENTER_ASTERISK_TARBALL to use another)"
        )
    target = _cache() / archive.name.removesuffix(".tar.xz")
    target.mkdir(parents=True, exist_ok=True)
    with (target / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one unpacking at a time across test processes
        if not (target / "ready").exists():
            with tarfile.open(archive) as tar:
                tar.extractall(target, filter="tar")
            (target / "ready").touch()
    found = [p.parent.parent for p in target.glob("*/sbin/asterisk")]
    if not found:
        raise Unavailable(f"{archive.name} holds no sbin/asterisk")
    unpacked = Build(found[0])
    if _missing_libraries(unpacked):
        why = _install_runtime()
        missing = _missing_libraries(unpacked)
        if missing:
            raise Unavailable(
                f"Asterisk's libraries are missing ({', '.join(missing)}); install the Debian "
                f"packages {' '.join(RUNTIME_PACKAGES)} ({why or 'the install did not help'})"
            )
    return unpacked


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port nobody has bound on `host`."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def free_tcp_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on at `host`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def rtp_range(width: int = 400) -> tuple[int, int]:
    """An even-aligned run of `width` free UDP ports for Asterisk's RTP."""
    for _ in range(50):
        start = secrets.randbelow(20000) * 2 + 20000
        ports = range(start, start + width)
        if all(_udp_free(port) for port in ports[::20]):
            return start, start + width - 1
    raise Unavailable("no free run of UDP ports for RTP")


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Secrets:
    """The rendered configuration's secrets, made up per run (never the repo's)."""

    ami: str = field(default_factory=lambda: secrets.token_hex(12))
    phones: dict[str, str] = field(
        default_factory=lambda: {
            name: secrets.token_hex(8) for name in (*AGENT_PHONES, SUPERVISOR_PHONE, "caller")
        }
    )


def operator_edits(
    text: str,
    name: str,
    *,
    sip: int,
    ami: int,
    agi: int,
    rtp: tuple[int, int],
    agi2: int | None = None,
    server: str | None = None,
) -> str:
    """What an operator running Asterisk outside compose changes in `config/asterisk/<name>`.

    Loopback and free ports for SIP, AMI and RTP, and the FastAGI addresses of the backend
    nodes (the compose service names `backend` and `backend2` and their port): `agi` the
    first, `agi2` the second (None: no second node, BACKEND2 left empty). `server`: this
    Asterisk's name in `asterisk.servers`, for servers sharing one address (README "Several
    Asterisk servers"): every FastAGI script the dialplan runs carries `?server=<name>`.
    """
    if name == "pjsip.conf":
        text = re.sub(r"(?m)^bind = 0\.0\.0\.0:5060$", f"bind = 127.0.0.1:{sip}", text)
    if name == "manager.conf":
        text = re.sub(r"(?m)^bindaddr = .*$", "bindaddr = 127.0.0.1", text)
        text = re.sub(r"(?m)^port = 5038$", f"port = {ami}", text)
    if name == "rtp.conf":
        text = re.sub(r"(?m)^rtpstart = \d+$", f"rtpstart = {rtp[0]}", text)
        text = re.sub(r"(?m)^rtpend = \d+$", f"rtpend = {rtp[1]}", text)
    if name == "extensions.conf":
        text = text.replace("agi://backend:4573/", f"agi://127.0.0.1:{agi}/")  # literal URLs
        text = re.sub(r"(?m)^BACKEND1 = backend:4573$", f"BACKEND1 = 127.0.0.1:{agi}", text)
        second = f"127.0.0.1:{agi2}" if agi2 is not None else ""
        text = re.sub(r"(?m)^BACKEND2 = backend2:4573$", f"BACKEND2 = {second}", text)
        if f"BACKEND1 = 127.0.0.1:{agi}" not in text:
            raise RuntimeError("extensions.conf: no `BACKEND1 = backend:4573` in [globals]")
        if server is not None:
            # Gosub(fastagi,s,1(ivr)) -> ...(ivr?server=pbx2): [fastagi] puts ARG1 into
            # every node's URL, the leader's too.
            text, named = re.subn(
                r"Gosub\(fastagi,s,1\((\w+)\)\)", rf"Gosub(fastagi,s,1(\1?server={server}))", text
            )
            if not named:
                raise RuntimeError("extensions.conf: no `Gosub(fastagi,s,1(<script>))` to name")
    return text


class RealAsterisk:
    """One Asterisk process on loopback with the product's configuration."""

    def __init__(
        self,
        build: Build,
        *,
        agi_port: int,
        sounds: Path,
        moh: Path,
        trunk: bool = True,
        rtp_ports: int = 400,
        agi_port2: int | None = None,
        server: str | None = None,
    ) -> None:
        """Render into a fresh directory; `trunk` renders the trunk (TRUNK_HOST set);
        `rtp_ports` wide RTP range (2 ports a channel); the dialplan's backend nodes are
        127.0.0.1:`agi_port` and :`agi_port2` (None: no second node). `server`: the name
        this Asterisk has in the service's `asterisk.servers` when several share loopback:
        its FastAGI URLs say `?server=<name>` and its `systemname` (so its Uniqueids
        differ from the others') is that name."""
        self.build = build
        self.server = server
        # The control socket's path must stay short (108 bytes), so not under tmp_path.
        self.dir = Path(tempfile.mkdtemp(prefix="cc-ast-"))
        self.secrets = Secrets()
        self.agi_port = agi_port
        self.agi_port2 = agi_port2
        self.sip_port = free_udp_port()
        self.ami_port = free_tcp_port()
        self.rtp = rtp_range(rtp_ports)
        self.trunk = trunk
        self.voicemail = self.dir / "spool" / "callcenter"
        self._process: asyncio.subprocess.Process | None = None
        self._console = self.dir / "console.log"
        self._render(sounds, moh)

    @property
    def conf(self) -> Path:
        """asterisk.conf of this instance (for `-C`)."""
        return self.dir / "etc" / "asterisk.conf"

    def _render(self, sounds: Path, moh: Path) -> None:
        for sub in ("tpl", "etc", "log", "run", "db", "spool", "lib", "agi", "data"):
            (self.dir / sub).mkdir()
        for template in sorted((ROOT / "config" / "asterisk").glob("*.conf")):
            edited = operator_edits(
                template.read_text(),
                template.name,
                sip=self.sip_port,
                ami=self.ami_port,
                agi=self.agi_port,
                rtp=self.rtp,
                agi2=self.agi_port2,
                server=self.server,
            )
            (self.dir / "tpl" / template.name).write_text(edited)
        data = self.dir / "data"
        (data / "sounds").symlink_to(sounds)
        (data / "moh").symlink_to(moh)
        (data / "documentation").symlink_to(
            self.build.root / "var" / "lib" / "asterisk" / "documentation"
        )
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AMI_SECRET": self.secrets.ami,
            "SIP_PUBLIC_ADDRESS": "127.0.0.1",
            "CALLER_SIP_PASSWORD": self.secrets.phones["caller"],
            "CC_TEMPLATES": str(self.dir / "tpl"),
            "CC_CONFIG_DIR": str(self.dir / "etc"),
            "CC_VOICEMAIL_DIR": str(self.voicemail),
            "CC_ASTERISK_BIN": "true",
        }
        for phone in (*AGENT_PHONES, SUPERVISOR_PHONE):
            env[f"{phone.rstrip('0123456789').upper()}_SIP_PASSWORD_{phone[-4:]}"] = (
                self.secrets.phones[phone]
            )
        if self.trunk:
            env.update(TRUNK_HOST=TRUNK_HOST, TRUNK_USERNAME="callcenter", TRUNK_PASSWORD="trunk")
        done = subprocess.run(
            ["sh", str(ROOT / "deploy" / "asterisk-entrypoint.sh")],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the entrypoint refused the config: {done.stderr.strip()}")
        directories = {
            "astetcdir": self.dir / "etc",
            "astmoddir": self.build.root / "lib" / "asterisk" / "modules",
            "astdatadir": data,
            "astvarlibdir": self.dir / "lib",
            "astdbdir": self.dir / "db",
            "astkeydir": self.dir / "lib",
            "astagidir": self.dir / "agi",
            "astspooldir": self.dir / "spool",
            "astrundir": self.dir / "run",
            "astlogdir": self.dir / "log",
            "astsbindir": self.build.root / "sbin",
        }
        lines = ["[directories]", *(f"{k} => {v}" for k, v in directories.items())]
        lines += ["[options]", "verbose = 1", "nocolor = yes"]
        if self.server is not None:
            lines.append(f"systemname = {self.server}")
        self.conf.write_text("\n".join(lines) + "\n")

    async def start(self, timeout: float = 30.0) -> None:
        """Start Asterisk and wait until it is fully booted."""
        console = self._console.open("ab")
        self._process = await asyncio.create_subprocess_exec(
            str(self.build.asterisk),
            "-C",
            str(self.conf),
            "-f",
            "-n",
            env=self.build.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=console,
            stderr=console,
        )
        console.close()
        async with asyncio.timeout(timeout):
            while True:
                if self._process.returncode is not None:
                    raise RuntimeError(f"Asterisk exited at start:\n{self.console()[-3000:]}")
                out = await self.cli("core waitfullybooted", check=False)
                if "fully booted" in out.lower():
                    return
                await asyncio.sleep(0.2)

    async def cli(self, command: str, *, check: bool = True) -> str:
        """The output of one CLI command (`asterisk -rx`)."""
        process = await asyncio.create_subprocess_exec(
            str(self.build.asterisk),
            "-C",
            str(self.conf),
            "-rx",
            command,
            env=self.build.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await process.communicate()
        text = out.decode(errors="replace")
        if check and process.returncode != 0:
            raise RuntimeError(f"asterisk -rx {command!r} failed: {text}")
        return text

    def console(self) -> str:
        """Everything Asterisk wrote to its console so far."""
        return self._console.read_text(errors="replace") if self._console.exists() else ""

    def errors(self) -> list[str]:
        """The ERROR lines of the console so far."""
        return [line for line in self.console().splitlines() if " ERROR[" in line]

    async def stop(self) -> None:
        """Stop Asterisk (`core stop now`, then a kill) and remove its directory."""
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(RuntimeError, OSError):
                await asyncio.wait_for(self.cli("core stop now", check=False), 5)
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
                await process.wait()
        keep = os.environ.get("CALLCENTER_KEEP_ASTERISK")
        if keep:
            print(f"Asterisk's directory kept: {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
