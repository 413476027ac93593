"""Callers stuck on a frozen node of a cluster, sent on by the leader (issue 18).

A node that is paused rather than dead (SIGSTOP, a frozen VM, a partition) still accepts
FastAGI connections at the kernel level, and Asterisk's AGI waits for its script without
a timeout: a caller whose session is on such a node hears silence until it wakes (and
steps down) or dies. The leader can tell, and act: PostgreSQL says which nodes are alive
(`cluster_nodes.seen_at`, renewed by the leader's heartbeat and each standby's poll) and
where Asterisk reaches each one (`cluster_nodes.fastagi`), and the leader has AMI to every
Asterisk.

Strategy: every `interval_s` (while some node is silent past `cluster.lease_s`), for each
connected Asterisk, list the channels (`CoreShowChannels`) and pick those that

* are inside the dialplan's fail-over (`Context: fastagi`, where every FastAGI runs in
  config/asterisk/extensions.conf),
* whose session's node is a silent node and no live one (this node's own address never
  counts as silent): the address in `ApplicationData` (`agi://<address>/<script>`) while
  the channel shows `AGI`; otherwise the channel variable `CC_AGI_NODE` (AMI Getvar), which
  the dialplan sets before each AGI. A caller held in line by a node shows the last
  application that node ran (`MusicOnHold`, Asterisk does not publish the return to AGI),
  so the listing alone does not say where the session is; a channel in the fail-over's
  own wait between rounds names the last node tried, and is sent on early if it is silent,
* are in no bridge (`BridgeId` empty) and have no offer ringing or talking on this node
  (the ACD's call for that Uniqueid has no agent leg),
* and that this node did not send on from that node within `again_after_s` (Asterisk
  is given time).

Each one is sent to this node: `Setvar CC_LEADER=<this node's address>` on the channel,
then `Redirect` to `fastagi,s,leader`, the fail-over's step that runs the same script
(`${ARG1}`: ivr, survey, followup) on `${CC_LEADER}`. The leader takes a queued caller
back in its place (found by its Uniqueid, `CC_QUEUED=1`) and starts the flow again for a
caller who was still in the IVR; a leader that does not take the session counts as a
round of the fail-over, like any node that went away. The Redirect only frees the channel
because the dialplan sets `AGIEXITONHANGUP=yes` ([globals]): without it Asterisk waits for
the frozen script to close even after the Redirect (res_agi.c `run_agi`, dead mode).

The addresses are compared as written: what `cluster.fastagi_address` advertises must be
what the dialplan's BACKEND1/BACKEND2 say (host names too: `backend:4573`), or the channel
is not recognised (host names are compared without case, a missing port is 4573).

A race stays: an offer the leader makes between the listing and the Redirect could be
taken out of its bridge. The call's agent leg is checked again just before the Redirect,
and the agent's Bridge needs the phone to answer first (seconds after the Originate), so
the window is the few milliseconds between the check and Asterisk's Redirect.

A node silent for longer than `forget_after_s` (an hour) is taken for removed:
`cluster_nodes` keeps every node that ever ran, and a removed one would otherwise cost each
Asterisk a listing and a Getvar per caller in line every sweep, for ever.

The frozen node, once it wakes, finds those sessions ended as if the caller had hung up
(Asterisk wrote `HANGUP` and closed them). A former leader is fenced by then and writes
nothing; a standby's IVR knows it stood still (`LoopLag.stalled_since`, longer than half
the lease) and records no end for such a session (`ivr.ending_not_recorded`), which would
otherwise say `abandoned_in_ivr` over what the leader recorded for the call.

Each rescue is logged (`pbx.stuck_agi_rescued`) and counted (`rescued`, `by_node`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.ami import AMIClient, AMIError
from callcenter.ami import actions as ami
from callcenter.app.logsetup import mask_number
from callcenter.ivr.dialplan import AGI_NODE_VARIABLE, FAILOVER_CONTEXT, LEADER_VARIABLE
from callcenter.pbx.calls import PbxCalls

log = structlog.get_logger(__name__)

LEADER_LABEL = "leader"
"""The priority label in [fastagi] that runs `${ARG1}` on `${CC_LEADER}`."""
DEFAULT_PORT = 4573

_NODES = text("SELECT node, fastagi, EXTRACT(EPOCH FROM now() - seen_at) FROM cluster_nodes")


@dataclass(frozen=True, slots=True)
class NodeSeen:
    """A row of `cluster_nodes`: a node, its FastAGI address, seconds since last heard."""

    node: str
    fastagi: str | None
    age_s: float


@dataclass(frozen=True, slots=True)
class StuckChannel:
    """A caller's channel waiting on the FastAGI of a silent node."""

    channel: str
    uniqueid: str
    caller: str
    node: str
    """The silent node whose FastAGI holds the session."""
    address: str
    shows: str
    """What the listing showed: `AGI agi://.../ivr`, or the application the node ran last."""


def address_key(address: str) -> str | None:
    """`host:port` as compared: host without case and brackets, port 4573 if missing; None
    when it is no address."""
    address = address.strip()
    if not address:
        return None
    if address.startswith("["):  # [v6]:port
        host, _, rest = address[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        if rest and not rest.startswith(":"):
            return None
    else:
        host, colon, port = address.rpartition(":")
        if not colon:
            host, port = address, ""
    if not host or (port and not port.isdigit()):
        return None
    return f"{host.lower()}:{int(port) if port else DEFAULT_PORT}"


def agi_address(app_data: str) -> tuple[str, str] | None:
    """(address key, script) of an `AGI()` application's data `agi://host[:port]/script`;
    None for anything else (a local script, `hagi://`)."""
    data = app_data.strip()
    if not data.lower().startswith("agi://"):
        return None
    rest = data[len("agi://") :].split(",", 1)[0]
    where, _, script = rest.partition("/")
    key = address_key(where)
    return None if key is None else (key, script.split("?", 1)[0])


def silent_addresses(
    nodes: Iterable[NodeSeen], *, lease_s: float, me: str, forget_after_s: float | None = None
) -> dict[str, str]:
    """The FastAGI addresses (keys) of nodes silent for longer than `lease_s` (and not
    longer than `forget_after_s`: taken for removed), to the node name; an address also
    used by a live node, or by `me`, is not among them."""
    silent: dict[str, str] = {}
    alive: set[str] = set()
    for seen in nodes:
        key = address_key(seen.fastagi) if seen.fastagi else None
        if key is None:
            continue
        if seen.node == me or seen.age_s <= lease_s:
            alive.add(key)
        elif forget_after_s is None or seen.age_s <= forget_after_s:
            silent.setdefault(key, seen.node)
    return {key: node for key, node in silent.items() if key not in alive}


def _in_failover(item: Mapping[str, str], busy: Callable[[str], bool]) -> bool:
    if item.get("Context") != FAILOVER_CONTEXT or item.get("BridgeId", "").strip():
        return False
    uniqueid = item.get("Uniqueid", "")
    return bool(uniqueid and item.get("Channel")) and not busy(uniqueid)


def _shows_agi(item: Mapping[str, str]) -> bool:
    return item.get("Application", "").lower() == "agi"


def to_look_up(
    channels: Iterable[Mapping[str, str]], busy: Callable[[str], bool] = lambda _u: False
) -> list[tuple[str, str]]:
    """(Uniqueid, channel) of the `CoreShowChannel` events in the fail-over, in no bridge
    and not `busy`, whose listing does not say where their session is (not `AGI`): their
    `CC_AGI_NODE` is read next."""
    return [
        (item["Uniqueid"], item["Channel"])
        for item in channels
        if _in_failover(item, busy) and not _shows_agi(item)
    ]


def stuck_channels(
    channels: Iterable[Mapping[str, str]],
    silent: Mapping[str, str],
    busy: Callable[[str], bool] = lambda _uniqueid: False,
    named: Mapping[str, str] | None = None,
) -> list[StuckChannel]:
    """Of `CoreShowChannel` events, the channels in the fail-over whose session is on a
    `silent` address (`silent_addresses`), in no bridge and not `busy` (an offer rings or
    talks): by `ApplicationData` while they show `AGI`, else by `named` (Uniqueid ->
    `CC_AGI_NODE`, see `to_look_up`)."""
    found = []
    for item in channels:
        if not _in_failover(item, busy):
            continue
        uniqueid = item["Uniqueid"]
        shows = f"{item.get('Application', '')} {item.get('ApplicationData', '')}".strip()
        if _shows_agi(item):
            target = agi_address(item.get("ApplicationData", ""))
            address = None if target is None else target[0]
        else:
            value = (named or {}).get(uniqueid)
            address = None if not value else address_key(value)
        if address is None or address not in silent:
            continue
        found.append(
            StuckChannel(
                channel=item["Channel"],
                uniqueid=uniqueid,
                caller=item.get("CallerIDNum", ""),
                node=silent[address],
                address=address,
                shows=shows,
            )
        )
    return found


class StuckAgiRescue:
    """The leader's sweep for callers stuck on a silent node's FastAGI (module docstring).

    Built once per process; `run` is the leader's supervised task (started at each lead).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        clients: Sequence[AMIClient],
        calls: PbxCalls,
        *,
        node: str,
        lease_s: float,
        acting: Callable[[], str | None],
        interval_s: float = 2.0,
        again_after_s: float = 6.0,
        forget_after_s: float = 3600.0,
    ) -> None:
        """Read `cluster_nodes` through `engine`, list and redirect through `clients`;
        `calls` are this node's calls (an offer's agent leg excludes a channel); `node` is
        this node's name, `lease_s` how long a node may be silent before it counts as
        gone; `acting` says why this node may not act (None: it may: it leads). A node
        silent for longer than `forget_after_s` is taken for removed (`cluster_nodes`
        keeps every node that ever ran): its callers are no longer looked for, which
        spares Asterisk a listing (and a Getvar per caller held in line) every sweep."""
        self.engine = engine
        self.clients = clients
        self.calls = calls
        self.node = node
        self.lease_s = lease_s
        self.acting = acting
        self.interval_s = interval_s
        self.again_after_s = again_after_s
        self.forget_after_s = forget_after_s
        self.rescued = 0
        """Callers sent on from a silent node since the process started (/metrics)."""
        self.by_node: Counter[str] = Counter()
        """`rescued` by the silent node that held them."""
        self.sweeps = 0
        self._sent: dict[tuple[str, str], float] = {}  # (Uniqueid, node address) -> when
        self._no_address_logged = False

    async def run(self) -> None:
        """Sweep every `interval_s` until cancelled; a failed sweep is logged and retried."""
        while True:
            try:
                await self.sweep()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("pbx.stuck_agi_sweep_failed", error=str(exc))
            await asyncio.sleep(self.interval_s)

    async def nodes(self) -> list[NodeSeen]:
        """Every node of `cluster_nodes` as the database sees it now."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(_NODES)).all()
        return [NodeSeen(str(r[0]), r[1], float(r[2])) for r in rows]

    async def sweep(self) -> int:
        """One look at every Asterisk; how many callers were sent on."""
        if self.acting() is not None:
            return 0
        nodes = await self.nodes()
        silent = silent_addresses(
            nodes, lease_s=self.lease_s, me=self.node, forget_after_s=self.forget_after_s
        )
        if not silent:
            return 0
        mine = next((n.fastagi for n in nodes if n.node == self.node and n.fastagi), None)
        if mine is None:
            if not self._no_address_logged:
                self._no_address_logged = True
                log.warning(
                    "pbx.stuck_agi_no_address",
                    node=self.node,
                    hint="set cluster.fastagi_address: callers on a silent node cannot be "
                    "sent here without it",
                )
            return 0
        self.sweeps += 1
        now = time.monotonic()
        self._sent = {u: t for u, t in self._sent.items() if now - t < self.again_after_s}
        sent = 0
        for client in self.clients:
            if client.connected:
                sent += await self._sweep_server(client, silent, mine)
        return sent

    def _busy(self, uniqueid: str) -> bool:
        call = self.calls.get(uniqueid)
        return call is not None and (call.leg is not None or call.connected)

    async def _sweep_server(self, client: AMIClient, silent: Mapping[str, str], mine: str) -> int:
        try:
            listing = await client.send_action(ami.core_show_channels())
        except AMIError as exc:
            log.warning("pbx.stuck_agi_list_failed", server=client.server.name, error=str(exc))
            return 0
        channels = [e.headers for e in listing.events]
        named = {}
        for uniqueid, channel in to_look_up(channels, self._busy):
            with contextlib.suppress(AMIError):  # gone meanwhile: not stuck
                answer = await client.send_action(ami.getvar(AGI_NODE_VARIABLE, channel))
                named[uniqueid] = answer.response.headers.get("Value") or ""
        found = stuck_channels(channels, silent, self._busy, named)
        sent = 0
        for stuck in found:
            # Checked again: an offer may have started while the list came in.
            if (stuck.uniqueid, stuck.address) in self._sent:
                continue  # sent on moments ago: Asterisk is given time
            if self.acting() is not None or self._busy(stuck.uniqueid):
                continue
            if await self._send_on(client, stuck, mine):
                sent += 1
        return sent

    async def _send_on(self, client: AMIClient, stuck: StuckChannel, mine: str) -> bool:
        self._sent[stuck.uniqueid, stuck.address] = time.monotonic()
        try:
            await client.send_action(ami.setvar(LEADER_VARIABLE, mine, stuck.channel))
            await client.send_action(
                ami.redirect(stuck.channel, FAILOVER_CONTEXT, "s", LEADER_LABEL)
            )
        except AMIError as exc:  # hung up meanwhile, most likely
            log.info(
                "pbx.stuck_agi_not_rescued",
                server=client.server.name,
                channel=stuck.channel,
                call_id=stuck.uniqueid,
                error=str(exc),
            )
            return False
        self.rescued += 1
        self.by_node[stuck.node] += 1
        log.warning(
            "pbx.stuck_agi_rescued",
            server=client.server.name,
            call_id=stuck.uniqueid,
            channel=stuck.channel,
            caller=mask_number(stuck.caller),
            dead_node=stuck.node,
            dead_address=stuck.address,
            showed=stuck.shows,
            sent_to=mine,
        )
        return True
