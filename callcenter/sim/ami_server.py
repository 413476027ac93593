"""The AMI server: banner, login, event fan-out, and the test hooks for outages.

Strategy: `asyncio.start_server` on 127.0.0.1 (port 0 allowed; `port` is the bound one).
Each connection gets the banner `Asterisk Call Manager/11.0.0` CRLF, then its actions are
read with `wire.ActionReader` and answered in order, one at a time, as Asterisk does.
Login (plain, or MD5 after `Challenge`), `Events`, `Filter` (`ami_filter`), `Logoff` and
the pre-login rules are handled here, following s4/s12/cli recordings: a refused login
answers `Authentication failed` after `auth_fail_delay_s` and closes; `Events: off`
sessions get responses but no events. Everything else goes to `ami_actions.dispatch`.
`broadcast` writes an event to every logged-in session whose event mask takes its
`Privilege` class and whose filters let it through. `drop_all()` cuts
every connection (recovery tests); `refuse_for()` accepts and closes at once for a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
from datetime import UTC, datetime

import structlog

from callcenter.ami.errors import RemoteProtocolError
from callcenter.sim import ami_actions
from callcenter.sim.ami_filter import EventFilter, FilterError
from callcenter.sim.events import head
from callcenter.sim.pbx import Pbx
from callcenter.sim.wire import ActionReader, Pairs, encode_message, get

log = structlog.get_logger(__name__)

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
CLASSES = frozenset({
    "system", "call", "log", "verbose", "command", "agent", "user", "config", "dtmf",
    "reporting", "cdr", "dialplan", "originate", "agi", "cc", "aoc", "test", "security",
    "message",
})  # fmt: skip


def parse_mask(text: str | None) -> frozenset[str] | None:
    """An event mask: None = every class, empty = off, else the classes named."""
    value = (text or "on").strip().lower()
    if value in ("on", "yes", "true", "all"):
        return None
    classes = frozenset(value.split(",")) & (CLASSES | {"all"})
    return None if "all" in classes else classes


class AMISession:
    """One client connection."""

    def __init__(self, server: AMIServer, writer: asyncio.StreamWriter, number: int) -> None:
        self.server, self.writer, self.number = server, writer, number
        self.authenticated = False
        self.mask: frozenset[str] | None = None
        self.challenge: str | None = None
        self.closing = False
        self.filter = EventFilter()

    def send(self, pairs: Pairs) -> None:
        """Write one message to this client."""
        if not self.writer.is_closing():
            self.writer.write(encode_message(pairs))

    def wants(self, privilege: str) -> bool:
        """Whether this session's mask takes an event of `privilege` (`call,all`)."""
        if not self.authenticated:
            return False
        if self.mask is None:
            return True
        return bool(self.mask.intersection(privilege.split(",")))


class AMIServer:
    """Asterisk's manager interface for one simulated PBX."""

    def __init__(self, pbx: Pbx, username: str, secret: str, host: str = "127.0.0.1") -> None:
        self.pbx, self.username, self._secret, self.host = pbx, username, secret, host
        self.port = 0
        self.sessions: set[AMISession] = set()
        self.connections = 0
        self.refused = 0
        self._server: asyncio.Server | None = None
        self._refuse_until = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        pbx.emit = self.broadcast

    async def start(self, port: int = 0) -> int:
        """Listen; return the bound port."""
        self._server = await asyncio.start_server(self._accept, self.host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        """Stop listening and end every connection."""
        if self._server is not None:
            self._server.close()
        self.drop_all()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            # A client that keeps reconnecting must not keep the simulator from closing.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._server.wait_closed()

    def drop_all(self) -> int:
        """Cut every AMI connection at once, as a crashed or restarted Asterisk would."""
        dropped = len(self.sessions)
        for session in list(self.sessions):
            session.writer.transport.abort()
        self.sessions.clear()
        return dropped

    def refuse_for(self, seconds: float) -> None:
        """Close new connections at once for `seconds` of simulated time."""
        self._refuse_until = self.pbx.clock.now() + seconds

    def broadcast(self, pairs: Pairs) -> None:
        """Send an event to every session that takes its class."""
        privilege = pairs[1][1] if len(pairs) > 1 and pairs[1][0] == "Privilege" else "all"
        data = encode_message(pairs)
        headers: dict[str, str] | None = None
        for session in self.sessions:
            if not session.wants(privilege) or session.writer.is_closing():
                continue
            if session.filter.active:
                headers = headers if headers is not None else dict(pairs)
                if not session.filter.passes(headers.get("Event", ""), headers, data.decode()):
                    continue
            session.writer.write(data)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.pbx.clock.now() < self._refuse_until:
            self.refused += 1
            writer.close()
            return
        self.connections += 1
        task = asyncio.create_task(self._serve(reader, writer), name=f"ami-{self.connections}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = AMISession(self, writer, self.connections)
        self.sessions.add(session)
        actions = ActionReader()
        try:
            writer.write(BANNER)
            while not session.closing:
                data = await reader.read(65536)
                if not data:
                    break
                for action in actions.feed(data):
                    await self._handle(session, action)
                    if session.closing:
                        break
                await writer.drain()
        except (ConnectionError, RemoteProtocolError) as exc:
            log.info("sim.ami_connection_ended", error=str(exc))
        finally:
            self.sessions.discard(session)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _handle(self, session: AMISession, action: Pairs) -> None:
        name = (get(action, "Action") or "").lower()
        aid = get(action, "ActionID")
        if name == "login":
            await self._login(session, action, aid)
        elif name == "challenge":
            self._challenge(session, action, aid)
        elif name == "logoff":
            session.send(ami_actions.resp(aid, "Goodbye", ("Message", "Thanks for all the fish.")))
            session.closing = True
        elif not session.authenticated:
            session.send(ami_actions.error(aid, "Permission denied"))
        elif name == "filter":
            try:
                session.filter.add(
                    get(action, "Operation"),
                    get(action, "Filter") or "",
                    get(action, "MatchCriteria"),
                )
            except FilterError as exc:
                session.send(ami_actions.error(aid, str(exc)))
            else:
                session.send(ami_actions.resp(aid, "Success", ("Message", "Success")))
        elif name == "events":
            session.mask = parse_mask(get(action, "EventMask"))
            state = "Off" if session.mask == frozenset() else "On"
            session.send(ami_actions.resp(aid, "Success", ("Events", state)))
        else:
            await ami_actions.dispatch(self.pbx, session, action)

    def _challenge(self, session: AMISession, action: Pairs, aid: str | None) -> None:
        if (get(action, "AuthType") or "").lower() != "md5":
            session.send(ami_actions.error(aid, "Must specify AuthType"))
            return
        session.challenge = str(random.randrange(100_000_000, 999_999_999))
        session.send(ami_actions.resp(aid, "Success", ("Challenge", session.challenge)))

    def _accepts(self, session: AMISession, action: Pairs) -> bool:
        if get(action, "Username") != self.username:
            return False
        if (get(action, "AuthType") or "").lower() == "md5":
            if session.challenge is None:
                return False
            text = (session.challenge + self._secret).encode()
            expected = hashlib.md5(text, usedforsecurity=False).hexdigest()
            return get(action, "Key") == expected
        return get(action, "Secret") == self._secret

    async def _login(self, session: AMISession, action: Pairs, aid: str | None) -> None:
        if not self._accepts(session, action):
            await self.pbx.clock.sleep(self.pbx.options.auth_fail_delay_s)
            session.send(ami_actions.error(aid, "Authentication failed"))
            session.closing = True
            self.broadcast(self._security("InvalidPassword", session, []))
            return
        session.authenticated = True
        session.mask = parse_mask(get(action, "Events"))
        session.send(ami_actions.resp(aid, "Success", ("Message", "Authentication accepted")))
        if session.wants("system,all"):
            uptime = str(int(self.pbx.clock.now() - self.pbx.started))
            session.send(
                [*head("FullyBooted", "system,all"), ("Uptime", uptime), ("LastReload", uptime),
                 ("Status", "Fully Booted")]
            )  # fmt: skip
        using = [("UsingPassword", "0")]
        self.broadcast(self._security("SuccessfulAuth", session, using))

    def _security(self, name: str, session: AMISession, extra: Pairs) -> Pairs:
        when = datetime.fromtimestamp(self.pbx.clock.now(), UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        stamp = when[:-3] + "+0000"
        peer = session.writer.get_extra_info("peername") or ("127.0.0.1", 0)
        return [
            *head(name, "security,all"),
            ("EventTV", stamp),
            ("Severity", "Informational" if name == "SuccessfulAuth" else "Error"),
            ("Service", "AMI"),
            ("EventVersion", "1" if name == "SuccessfulAuth" else "2"),
            ("AccountID", self.username),
            ("SessionID", f"0x{id(session):x}"),
            ("LocalAddress", f"IPV4/TCP/{self.host}/{self.port}"),
            ("RemoteAddress", f"IPV4/TCP/{peer[0]}/{peer[1]}"),
            *extra,
            ("SessionTV", stamp),
        ]
