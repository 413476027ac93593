"""Several Asterisk servers: which one a call is on, and the AMI link to reach it.

Strategy: a caller can only be bridged on the Asterisk its channel lives on, so every call
knows its server from the FastAGI request that brought it, and every action for it goes
out on that server's AMI client. Which server sent a FastAGI request, in order:

1. the AGI URL's query names it: `agi://backend:4573/ivr?server=pbx2` (checked against
   `asterisk.servers`; an unknown name is logged and ignored). Needed when several
   Asterisk servers share one address (one machine, or behind NAT);
2. else the connection's peer address is that of exactly one configured server (its
   `host`, resolved once): the shipped `config/asterisk/` works unchanged this way, one
   server per machine, since its dialplan's FastAGI URLs name no server;
3. else the default server, the first configured: with one server (the shipped
   configuration) every call is there, as before several servers existed.

Agents are on the server their entry names (`acd.agents[].server`), else the default
server: with one server configured nobody has to name it, and an agent never gets a call
their phone cannot be bridged to. Callbacks and voicemail work are bound to no server
(nothing to bridge): a callback attempt rings the agent's phone on the agent's server and
leaves through that server's trunk. An automated follow-up call (`followup_calls`) has no
agent and no caller's server: it leaves through the default server's trunk.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from typing import Any, Protocol

import structlog

from acd import Acd, AcdSettings
from callcenter.agi.request import AGIRequest
from callcenter.ami import AMIClient
from callcenter.app.settings import AMIServerSettings

log = structlog.get_logger(__name__)


class AcdHost(Protocol):
    """The live ACD's host, as far as the alerts read it."""

    acd: Acd

    def now(self) -> float:
        """The service's clock."""
        ...


SERVER_QUERY = "server"
"""The AGI URL's query key that names the caller's server (`?server=pbx2`)."""


class AsteriskServers:
    """The configured Asterisk servers by name, with their AMI clients."""

    def __init__(self, servers: Sequence[AMIServerSettings], clients: Sequence[AMIClient]) -> None:
        """`servers` as `asterisk.servers` lists them (the first is the default); `clients`
        the AMI clients the service made (a server without its secret has none)."""
        self.names: tuple[str, ...] = tuple(server.name for server in servers)
        self.default: str | None = self.names[0] if self.names else None
        """The first configured server: agents with no server of their own are there."""
        self._hosts = {server.name: server.host for server in servers}
        self._clients = {client.server.name: client for client in clients}
        self._addresses: dict[str, frozenset[str]] | None = None
        self._unknown_peers: set[str] = set()

    def client(self, server: str | None) -> AMIClient | None:
        """The AMI client of `server` (None: the default server); None when it has none."""
        name = server if server is not None else self.default
        return self._clients.get(name) if name is not None else None

    def clients(self) -> list[AMIClient]:
        """Every server's AMI client, in configuration order."""
        return [self._clients[name] for name in self.names if name in self._clients]

    def up(self, server: str | None) -> bool:
        """Whether the AMI link to `server` (None: the default server) is up."""
        client = self.client(server)
        return client is not None and client.connected

    def agent_server(self, agent_id: str, acd: AcdSettings) -> str | None:
        """The server `agent_id`'s phone is on: their entry's, else the default server."""
        for agent in acd.agents:
            if agent.id == agent_id:
                return agent.server or self.default
        return self.default

    async def server_of(self, request: AGIRequest, peer: str) -> str | None:
        """The server that sent this FastAGI request (the module's docstring); None only
        when no server is configured."""
        named = dict(request.query).get(SERVER_QUERY)
        if named is not None:
            if named in self.names:
                return named
            log.error(
                "pbx.unknown_server",
                call_id=request.uniqueid,
                server=named,
                hint=f"the AGI URL's ?server= must name one of asterisk.servers: "
                f"{', '.join(self.names) or 'none configured'}",
            )
        if len(self.names) > 1:
            matches = [name for name, found in (await self._resolved()).items() if peer in found]
            if len(matches) == 1:
                return matches[0]
            if peer not in self._unknown_peers:
                self._unknown_peers.add(peer)
                log.warning(
                    "pbx.server_not_told",
                    peer=peer,
                    matches=matches,
                    default=self.default,
                    hint="add ?server=<name> to the dialplan's FastAGI URL on each server",
                )
        return self.default

    async def _resolved(self) -> dict[str, frozenset[str]]:
        """Each server's addresses (its host, resolved once; a name that does not resolve
        has none)."""
        if self._addresses is None:
            loop = asyncio.get_running_loop()
            addresses: dict[str, frozenset[str]] = {}
            for name, host in self._hosts.items():
                try:
                    ipaddress.ip_address(host)
                    addresses[name] = frozenset({host})
                    continue
                except ValueError:
                    pass
                try:
                    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
                except OSError as exc:
                    log.warning(
                        "pbx.server_host_unresolved", server=name, host=host, error=str(exc)
                    )
                    addresses[name] = frozenset()
                    continue
                addresses[name] = frozenset(str(info[4][0]) for info in infos)
            self._addresses = addresses
        return self._addresses


class ServerAlerts:
    """The wallboard's alert for each server whose AMI link is down while callers there
    wait: they wait until it is back, the other servers' calls go on."""

    def __init__(self, servers: AsteriskServers, host: AcdHost) -> None:
        """Watch `servers`' links; count the calls waiting in `host`'s ACD."""
        self._servers = servers
        self._host = host
        self._down_since: dict[str, float] = {}

    def alerts(self) -> list[dict[str, Any]]:
        """One alert per server that is down with callers waiting there."""
        host = self._host
        now = host.now()
        alerts: list[dict[str, Any]] = []
        for name in self._servers.names:
            if self._servers.client(name) is None or self._servers.up(name):
                self._down_since.pop(name, None)
                continue
            since = self._down_since.setdefault(name, now)
            core = host.acd
            waiting = sum(
                1
                for queue in core.settings.queues
                for view in core.waiting_calls(queue.name, now)
                if view.server == name
            )
            if waiting:
                others = " (the other servers' calls go on)" if len(self._servers.names) > 1 else ""
                alerts.append(
                    {
                        "queue": None,
                        "kind": "asterisk_down",
                        "server": name,
                        "message": f"no link to Asterisk server {name}: {waiting} "
                        f"{'caller waits' if waiting == 1 else 'callers wait'} there until it "
                        f"is back{others}",
                        "since": since,
                    }
                )
        return alerts
