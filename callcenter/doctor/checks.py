"""`callcenter doctor`: checks a running installation and says what is wrong and the fix.

Strategy: each check returns `Finding`s (ok or not, a message, a fix) instead of
raising, so one broken part never hides the next. Per configured Asterisk server: the AMI
port answers and the login is accepted (a separate, short-lived connection with events
off); ShowDialPlan lists the contexts the code sends calls to (`callcenter.ivr.dialplan`)
and their FastAGI URLs name this service's port (through the FastAGI fail-over,
`Gosub(fastagi,s,1(<script>))`, the backend nodes the globals BACKEND1 and BACKEND2 name,
read with Getvar); PJSIPShowEndpoints shows a registered
phone for every agent (of the ACD configuration in force: the database's newest version,
else the settings file's) and supervisor. Then the FastAGI port is connected to, at the
address the dialplan names (so run inside the backend's container, or on its host, this
is the view Asterisk has; from elsewhere it is only this machine's view, and the message
says so), and the database is at the newest migration. Exit status 0 when every check
passed, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib

from callcenter.ami import (
    Action,
    AMIAuthenticationError,
    AMIClient,
    AMIClientOptions,
    AMIError,
    AMIServer,
)
from callcenter.ami import actions as ami
from callcenter.app.settings import AMIServerSettings, Settings
from callcenter.doctor.local import Finding, check_database, check_fastagi, reason, stored_acd
from callcenter.ivr.dialplan import (
    BACKEND_GLOBALS,
    IVR_SCRIPT,
    AgiTarget,
    agi_target,
    backend_targets,
    failover_script,
    required_contexts,
)


def report(findings: list[Finding]) -> str:
    """The findings as text: one line each, a `fix:` line under every problem."""
    lines = []
    for f in findings:
        lines.append(f"{'ok  ' if f.ok else 'FAIL'}  {f.check:<9} {f.message}")
        if not f.ok and f.fix:
            lines.append(f"      {'':<9} fix: {f.fix}")
    problems = sum(1 for f in findings if not f.ok)
    lines.append("healthy" if problems == 0 else f"{problems} problem(s) found")
    return "\n".join(lines)


async def diagnose(settings: Settings, *, timeout: float = 5.0) -> list[Finding]:
    """Run every check against the installation `settings` describe."""
    findings: list[Finding] = []
    targets: set[AgiTarget] = set()
    standby: set[AgiTarget] = set()
    # The phones that matter are those of the agents in force: the stored configuration's.
    acd = await stored_acd(settings, timeout)
    if acd is not None:
        settings = settings.model_copy(update={"acd": acd})
    if not settings.asterisk.servers:
        findings.append(
            Finding("ami", False, "no Asterisk server is configured", "add asterisk.servers")
        )
    for server in settings.asterisk.servers:
        client = await _login(server, settings, timeout, findings)
        if client is None:
            continue
        try:
            named, second = await _dialplan(client, settings, timeout, findings)
            targets |= named
            standby |= second
            await _endpoints(client, settings, timeout, findings)
        finally:
            await client.close()
    findings += await check_fastagi(settings, targets, timeout, standby=standby)
    findings.append(await check_database(settings, timeout))
    return findings


async def _login(
    srv: AMIServerSettings, settings: Settings, timeout: float, findings: list[Finding]
) -> AMIClient | None:
    where = f"{srv.name} ({srv.host}:{srv.port})"
    if srv.secret is None:
        findings.append(Finding("ami", False, f"{where}: no AMI secret", f"set {srv.secret_env}"))
        return None
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(srv.host, srv.port)
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    except (OSError, TimeoutError) as exc:
        findings.append(
            Finding(
                "ami",
                False,
                f"{where}: AMI not reachable ({reason(exc)})",
                "start Asterisk (docker compose ps asterisk); manager.conf needs enabled = yes "
                f"and port = {srv.port}; asterisk.servers must name its address",
            )
        )
        return None
    server = AMIServer(
        srv.name, srv.host, srv.port, srv.username, srv.secret.get_secret_value(), srv.auth, "off"
    )
    options = AMIClientOptions(
        connect_timeout=timeout, action_timeout=timeout, backoff_initial=0.05, backoff_max=0.5
    )
    client = AMIClient(server, options)
    try:
        await client.connect(timeout=timeout)
    except (AMIAuthenticationError, TimeoutError, AMIError) as exc:
        await client.close()
        refused = isinstance(exc, AMIAuthenticationError)
        findings.append(
            Finding(
                "ami",
                False,
                f"{where}: login as {srv.username} "
                + ("refused" if refused else f"not answered ({reason(exc)})"),
                f"{srv.secret_env} must equal the secret of [{srv.username}] in manager.conf, "
                "and its permit= must include this machine's address",
            )
        )
        return None
    banner = client.banner.text if client.banner is not None else "AMI"
    findings.append(Finding("ami", True, f"{where}: logged in as {srv.username} ({banner})"))
    return client


async def _dialplan(
    client: AMIClient, settings: Settings, timeout: float, findings: list[Finding]
) -> tuple[set[AgiTarget], set[AgiTarget]]:
    """The FastAGI targets the dialplan names, and those only reached on fail-over."""
    name = client.server.name
    try:
        result = await client.send_action(Action("ShowDialPlan"), timeout=timeout)
    except AMIError as exc:
        findings.append(
            Finding(
                "dialplan",
                False,
                f"{name}: ShowDialPlan failed ({exc})",
                f"give [{client.server.username}] in manager.conf write = ...,reporting",
            )
        )
        return set(), set()
    rows = [
        (item.get("Context") or "", item.get("Application") or "", item.get("AppData") or "")
        for item in result.events
    ]
    nodes: list[str] = []
    if any(failover_script(app, data) is not None for _, app, data in rows):
        nodes = await _backend_nodes(client, timeout, findings)
    contexts: dict[str, set[AgiTarget]] = {}
    primary: set[AgiTarget] = set()
    standby: set[AgiTarget] = set()
    for context, app, data in rows:
        targets = contexts.setdefault(context, set())
        script = failover_script(app, data)
        if script is not None:
            found = backend_targets(script, nodes)
            targets.update(found)
            primary.update(found[:1])
            standby.update(found[1:])
        elif app.lower() == "agi" and "${" not in data:  # the fail-over's own AGI(${...})
            target = agi_target(data)
            if target is not None:
                targets.add(target)
                primary.add(target)
    every = set().union(*contexts.values()) if contexts else set()
    fix = "add it from config/asterisk/extensions.conf, then: asterisk -rx 'dialplan reload'"
    for need in required_contexts(settings):
        if need.name not in contexts:
            findings.append(
                Finding(
                    "dialplan", False, f"{name}: context [{need.name}] missing: {need.why}", fix
                )
            )
        elif need.scripts and not {t.script for t in contexts[need.name]} & need.scripts:
            wanted = " or ".join(sorted(need.scripts))
            findings.append(
                Finding("dialplan", False, f"{name}: [{need.name}] runs no AGI(.../{wanted})", fix)
            )
        else:
            findings.append(Finding("dialplan", True, f"{name}: [{need.name}] present"))
    if not any(t.script == IVR_SCRIPT for t in every):
        findings.append(
            Finding(
                "dialplan",
                False,
                f"{name}: no context runs AGI(agi://.../{IVR_SCRIPT}): calls never reach the IVR",
                "route the hotline DIDs as in config/asterisk/extensions.conf [inbound]/[ivr]",
            )
        )
    port = settings.fastagi.port
    standby -= primary  # a second node is another process: its port may differ
    for target in sorted(every - standby, key=lambda t: (t.host, t.port, t.script)):
        if target.port != port:
            findings.append(
                Finding(
                    "dialplan",
                    False,
                    f"{name}: AGI to {target.host}:{target.port}/{target.script}, "
                    f"but FastAGI listens on port {port}",
                    "make the dialplan's agi:// port and fastagi.port the same",
                )
            )
    return every, standby


async def _backend_nodes(client: AMIClient, timeout: float, findings: list[Finding]) -> list[str]:
    """The backend nodes (`host:port`) the fail-over tries, from the dialplan's globals."""
    name = client.server.name
    nodes = []
    for variable in BACKEND_GLOBALS:
        try:
            result = await client.send_action(ami.getvar(variable), timeout=timeout)
        except AMIError as exc:
            findings.append(
                Finding(
                    "dialplan",
                    False,
                    f"{name}: Getvar {variable} failed ({exc})",
                    f"give [{client.server.username}] in manager.conf read = ...,call",
                )
            )
            return []
        nodes.append((result.response.headers.get("Value") or "").strip())
    if not any(nodes):
        findings.append(
            Finding(
                "dialplan",
                False,
                f"{name}: the FastAGI fail-over names no backend node "
                f"({' and '.join(BACKEND_GLOBALS)} are empty)",
                "set BACKEND1 = <backend host>:<fastagi.port> in extensions.conf [globals], "
                "then: asterisk -rx 'dialplan reload'",
            )
        )
    return nodes


async def _endpoints(
    client: AMIClient, settings: Settings, timeout: float, findings: list[Finding]
) -> None:
    name = client.server.name
    try:
        result = await client.send_action(Action("PJSIPShowEndpoints"), timeout=timeout)
    except AMIError as exc:
        findings.append(
            Finding(
                "phones",
                False,
                f"{name}: PJSIPShowEndpoints failed ({exc})",
                f"give [{client.server.username}] in manager.conf write = ...,system",
            )
        )
        return
    listed = {item.get("ObjectName") or "": item for item in result.events}
    telephony = settings.telephony
    phones = [(a.id, telephony.endpoint(a.id, settings.acd)) for a in settings.acd.agents]
    phones += sorted(telephony.supervisor_endpoints.items())
    for who, channel in phones:
        tech, _, endpoint = channel.partition("/")
        if tech.upper() != "PJSIP":
            continue
        item = listed.get(endpoint)
        if item is None:
            findings.append(
                Finding(
                    "phones",
                    False,
                    f"{name}: {who}'s endpoint {endpoint} is not in pjsip.conf",
                    f"add [{endpoint}] (endpoint, auth, aor) as in config/asterisk/pjsip.conf",
                )
            )
        elif not (item.get("Contacts") or "").strip(",") or item.get("DeviceState") in (
            "Unavailable",
            "Invalid",
        ):
            findings.append(
                Finding(
                    "phones",
                    False,
                    f"{name}: {who}'s phone {endpoint} is not registered",
                    f"register the softphone as SIP user {endpoint} at this Asterisk (port 5060)",
                )
            )
        else:
            state = item.get("DeviceState") or "?"
            findings.append(Finding("phones", True, f"{name}: {who}'s phone {endpoint} ({state})"))
