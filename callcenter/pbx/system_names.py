"""Several Asterisk servers must each have a `systemname` of their own.

Why: the ACD knows a call by its caller's Uniqueid, and Asterisk makes a Uniqueid from the
moment the channel was created and a counter that starts at 0 with the process
(`<epoch>.<n>`); two servers started alike give their first callers the same Uniqueid
(seen on two real Asterisk 22s: both `1796413260.0`), and the second call would be taken
for the first. With `systemname` set in asterisk.conf, Asterisk prefixes every Uniqueid
with it (`pbxA-1796413260.0`), so the servers' Uniqueids never meet.

Strategy: after each AMI login (a connect hook), ask the server its core settings
(`CoreSettings`, whose `SystemName` is the setting) and keep what each answered. With one
server nothing is required; with several, a server that answered no name, or two that
answered the same one, is a problem: logged at error with the fix, and shown by /readyz
(`asterisk`), so an operator sees it before the first collision does. A server that cannot
be asked (the AMI user lacks the `system` or `reporting` class) is logged and left out.
"""

from __future__ import annotations

import structlog

from callcenter.ami import AMIClient, AMIError
from callcenter.ami.actions import core_settings
from callcenter.app.tasks import log_safely

log = structlog.get_logger(__name__)

FIX = "set systemname in asterisk.conf [options] (a name of its own per server) and restart it"


class SystemNames:
    """The `systemname` each Asterisk server reported, and what is wrong with them."""

    def __init__(self, servers: list[str]) -> None:
        """Check the configured `servers` (their names in the settings)."""
        self._servers = list(servers)
        self.names: dict[str, str] = {}
        """What each server answered ("" for none), once asked."""

    def attach(self, client: AMIClient) -> None:
        """Ask `client`'s server after each of its logins."""
        client.add_connect_hook(self.check)

    async def check(self, client: AMIClient) -> None:
        """Ask the server its `systemname` (a connect hook: never raises)."""
        server = client.server.name
        try:
            result = await client.send_action(core_settings())
        except AMIError as exc:
            log_safely(log.warning, "ami.system_name_unknown", server=server, error=str(exc))
            return
        self.names[server] = (result.response.headers.get("SystemName") or "").strip()
        for problem in self.problems():
            if server in problem:
                log_safely(log.error, "ami.system_names_clash", problem=problem, fix=FIX)

    def problems(self) -> list[str]:
        """What is wrong with the names answered so far (empty: nothing, or one server)."""
        if len(self._servers) < 2:
            return []
        out = [
            f"Asterisk server {server} has no systemname: its Uniqueids can equal another server's"
            for server in self._servers
            if self.names.get(server) == ""
        ]
        by_name: dict[str, list[str]] = {}
        for server in self._servers:
            name = self.names.get(server)
            if name:
                by_name.setdefault(name, []).append(server)
        out += [
            f"Asterisk servers {' and '.join(servers)} share the systemname {name!r}: their "
            "Uniqueids can meet"
            for name, servers in by_name.items()
            if len(servers) > 1
        ]
        return out
