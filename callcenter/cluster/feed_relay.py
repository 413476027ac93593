"""The live screens of a standby: desktops and wallboards fed by the leader's feeds.

Strategy (issue 18: a standby serves the websockets itself): a socket opened on a standby is
accepted and authenticated there exactly as on the leader (the session is in the
database); then `RemoteFeeds.open` asks the leader over the relay ("feed.open": the
subscription's id, its kind, the user and the session token's hash) to subscribe one of
its feeds for it. The leader (`FeedServer`) subscribes the agent's or the scope's feed as
for a local screen, so it gets a `Mailbox` whose first message is the snapshot and whose
lag rule (overflow -> a fresh snapshot) works as always; a task per subscription drains
what is queued and publishes it, as one batch, on the standby's channel
(`cc_feed_<node>`). The standby routes each message by subscription id into a local
`Mailbox`, which the socket drains as it drains a local one.

Wire format of a notification: `<sub> <flag> <data>`, flag `.` a whole message (or the
last chunk of one), `+` a chunk with more to follow (a message longer than
`relay.MAX_PAYLOAD`: the chunks of one message go out in one publish, on one connection,
so they arrive in order), `!` the leader ended the subscription: data is
`<close code> <reason>` and the standby closes the socket with them (4401 when the session
ended on the leader, 4404 for a login that names no agent).

Liveness: every `renew_s` the standby renews all its subscriptions with one relay call
("feed.renew"); the leader drops those not renewed for `ttl_s` (a standby that died), and
answers which ones it does not know and who it is. A subscription the leader does not
know, a different leader, a renewal nobody answers, a lost listening connection
(notifications sent meanwhile are gone) or this node becoming the leader closes the
standby's relayed sockets with 1012 (service restart): the pages reconnect on any code
but 4401/4403/4404 (agents_ui/js/ws.js) and start over from a fresh snapshot. A renewal
also checks that the sessions are still stored: one ended where the leader did not hold
it (another node, a deactivated user) closes its sockets with 4401 too.

A standby whose own mailbox overflows (its browser is slow) drops the backlog and asks the
leader for a fresh snapshot ("feed.resync"); messages that were on their way are dropped
until the snapshot arrives.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import asyncpg  # type: ignore[import-untyped]  # (no stubs)
import structlog

from acd import UnknownAgent
from callcenter.app.tasks import TaskSet, log_safely
from callcenter.cluster.relay import JSON, MAX_PAYLOAD, Origin, Refused, Relay, RelayError
from callcenter.db.web_sessions import token_hash
from callcenter.live.fanout import Mailbox

if TYPE_CHECKING:
    from callcenter.cluster.leadership import ClusterStatus
    from callcenter.live import LiveCenter

log = structlog.get_logger(__name__)

Kind = Literal["agent", "wallboard"]
RECONNECT = 1012
"""The close code of a relayed socket whose feed ended with the leader (service restart):
the pages reconnect and get a fresh snapshot."""
TRY_LATER = 1013
"""The close code of a socket the leader could not take now (no leader answered)."""
SIGNED_OUT = 4401
NOT_AN_AGENT = 4404

WHOLE, MORE, ENDED = ".", "+", "!"


def channel_of(node: str) -> str:
    """The channel a node's relayed feeds arrive on."""
    return f"cc_feed_{node}"


def encode(sub: str, messages: Iterable[str], limit: int = MAX_PAYLOAD) -> list[str]:
    """The notifications that carry `messages` of subscription `sub`, in order: one per
    message, or chunks of at most `limit` bytes for a longer one."""
    out: list[str] = []
    room = limit - len(sub.encode()) - 3
    if room < 8:
        raise ValueError(f"a subscription id of {len(sub)} characters leaves no room")
    for message in messages:
        data = message.encode()
        while len(data) > room:
            cut = room
            while data[cut] & 0xC0 == 0x80:  # not inside a UTF-8 character
                cut -= 1
            out.append(f"{sub} {MORE} {data[:cut].decode()}")
            data = data[cut:]
        out.append(f"{sub} {WHOLE} {data.decode()}")
    return out


def _text(body: JSON, kind: str, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise Refused(f"{kind}: {name} must be a string, not {type(value).__name__}")
    return value


def _is_snapshot(message: str) -> bool:
    try:
        kind = json.loads(message).get("type")
    except (ValueError, AttributeError):
        return False
    return bool(kind == "snapshot")


class FeedUnavailable(Exception):
    """The leader did not open the feed: close the socket with `code` and the reason."""

    def __init__(self, code: int, reason: str) -> None:
        """Close with `code` and `reason`."""
        super().__init__(reason)
        self.code = code
        self.reason = reason


# ---------------------------------------------------------------------- the standby


@dataclass(eq=False, slots=True)
class RemoteFeed:
    """One relayed screen on a standby: the mailbox its socket drains, and `ended`, set to
    (close code, reason) when the feed ends without the socket asking."""

    sub: str
    box: Mailbox
    ended: asyncio.Future[tuple[int, str]]
    term: int | None = None
    lead: str | None = None
    """Who serves it (the leader's id in its answer); None until the leader answered."""
    parts: list[str] = field(default_factory=list)
    resyncing: bool = False


class RemoteFeeds:
    """A standby's relayed screens: opened, fed, renewed and closed through the leader."""

    def __init__(
        self,
        relay: Relay,
        *,
        status: Callable[[], ClusterStatus] | None = None,
        renew_s: float = 2.0,
        mailbox_size: int = 256,
    ) -> None:
        """Relay through `relay`; `status` tells the term (a new one ends the feeds)."""
        self._relay = relay
        self._status = status
        self.renew_s = renew_s
        self._mailbox_size = mailbox_size
        self._subs: dict[str, RemoteFeed] = {}
        self._ids = itertools.count(1)
        self._prefix = secrets.token_hex(3)
        self._stop_listening: Callable[[], None] | None = None
        self._renewing: asyncio.Task[None] | None = None
        self._tasks = TaskSet()
        relay.on_reconnect.append(self._connection_lost)

    def __len__(self) -> int:
        return len(self._subs)

    async def open(self, kind: Kind, username: str, role: str, token: str) -> RemoteFeed:
        """Subscribe a screen of `username` (session `token`) on the leader; its feed.
        Raises `FeedUnavailable` with the close code and reason when it cannot be had."""
        self._start()
        # The leader publishes the snapshot as soon as it subscribes: listen first.
        await self._relay.heard_on(channel_of(self._relay.node))
        sub = f"{self._prefix}{next(self._ids)}"
        loop = asyncio.get_running_loop()
        remote = RemoteFeed(sub, Mailbox(self._mailbox_size), loop.create_future())
        if self._status is not None:
            remote.term = self._status().term
        self._subs[sub] = remote  # before asking: the snapshot may come before the answer
        body = {
            "sub": sub,
            "kind": kind,
            "username": username,
            "role": role,
            "session": token_hash(token),
        }
        try:
            answer = await self._relay.call("feed.open", body, timeout_s=self._relay.timeout_s)
        except RelayError as exc:
            self._drop(remote)
            raise FeedUnavailable(TRY_LATER, f"no live feed now: {exc}") from exc
        except BaseException:
            self._drop(remote)
            self.close(remote)
            raise
        if "closed" in answer:
            self._drop(remote)
            raise FeedUnavailable(int(answer["closed"]), str(answer.get("reason", "")))
        if remote.ended.done():  # ended while the leader answered (this node leads now ...)
            code, reason = remote.ended.result()
            self.close(remote)
            raise FeedUnavailable(code, reason)
        remote.lead = str(answer["lead"])
        return remote

    def close(self, remote: RemoteFeed) -> None:
        """The socket closed: stop the feed here and on the leader."""
        self._drop(remote)
        if not remote.ended.done():
            remote.ended.set_result((1000, "closed"))
            self._tasks.spawn(self._tell_closed([remote.sub]))

    def end_all(self, code: int, reason: str) -> None:
        """End every relayed feed: their sockets close with `code` and `reason`."""
        subs = list(self._subs.values())
        for remote in subs:
            self._end(remote, code, reason)
        if subs:
            log.info("cluster.relayed_feeds_ended", feeds=len(subs), code=code, why=reason)

    async def stop(self) -> None:
        """Stop renewing and listening (the node stops)."""
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
        if self._renewing is not None:
            self._tasks.add(self._renewing)
        await self._tasks.cancel()
        self._renewing = None
        self.end_all(1001, "this node is stopping")

    # -------------------------------------------------------------- internals

    def _start(self) -> None:
        if self._stop_listening is None:
            self._stop_listening = self._relay.listen(channel_of(self._relay.node), self._on_note)
        if self._renewing is None or self._renewing.done():
            self._renewing = asyncio.get_running_loop().create_task(
                self._renew(), name="feed-renew"
            )

    def _drop(self, remote: RemoteFeed) -> None:
        if self._subs.get(remote.sub) is remote:
            del self._subs[remote.sub]
        remote.box.close()

    def _end(self, remote: RemoteFeed, code: int, reason: str) -> None:
        self._drop(remote)
        if not remote.ended.done():
            remote.ended.set_result((code, reason))

    def _connection_lost(self) -> None:
        self.end_all(RECONNECT, "the feed from the leader was interrupted; reconnecting")

    def _on_note(self, payload: str) -> None:
        sub, _, rest = payload.partition(" ")
        flag, _, data = rest.partition(" ")
        remote = self._subs.get(sub)
        if remote is None:
            return  # closed here meanwhile
        if flag == ENDED:
            code, _, reason = data.partition(" ")
            self._end(remote, int(code), reason)
        elif flag == MORE:
            remote.parts.append(data)
        else:
            message = "".join(remote.parts) + data if remote.parts else data
            remote.parts.clear()
            self._deliver(remote, message)

    def _deliver(self, remote: RemoteFeed, message: str) -> None:
        box = remote.box
        if remote.resyncing:
            if _is_snapshot(message):
                remote.resyncing = False
                box.replace_with(message)
            return  # older than the snapshot asked for
        box.put(message)
        if box.lagged:
            # The browser fell behind: like a local mailbox, it gets a fresh snapshot next.
            remote.resyncing = True
            self._tasks.spawn(self._resync(remote))

    async def _resync(self, remote: RemoteFeed) -> None:
        try:
            await self._relay.call("feed.resync", {"sub": remote.sub})
        except RelayError as exc:
            self._end(remote, RECONNECT, f"the feed fell behind: {exc}")

    async def _tell_closed(self, subs: list[str]) -> None:
        try:
            await self._relay.call("feed.close", {"subs": subs})
        except RelayError as exc:
            # The leader drops what is not renewed: nothing is left behind for long.
            log_safely(log.debug, "cluster.feed_close_not_relayed", error=str(exc))

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self.renew_s)
            if self._status is not None:
                term = self._status().term
                for remote in list(self._subs.values()):
                    if remote.term is not None and remote.term != term:
                        self._end(remote, RECONNECT, "another node leads now; reconnecting")
            subs = [r for r in self._subs.values() if r.lead is not None]
            if not subs:
                continue
            try:
                answer = await self._relay.call(
                    "feed.renew", {"subs": [r.sub for r in subs]}, timeout_s=2 * self.renew_s
                )
            except RelayError as exc:
                for remote in subs:
                    self._end(remote, RECONNECT, "the leader does not answer; reconnecting")
                log_safely(log.warning, "cluster.feed_renew_failed", error=str(exc))
                continue
            lead = str(answer.get("lead"))
            unknown = set(answer.get("unknown", ()))
            for remote in subs:
                if remote.sub in unknown or remote.lead != lead:
                    self._end(remote, RECONNECT, "the leader changed; reconnecting")


# ---------------------------------------------------------------------- the leader


@dataclass(eq=False, slots=True)
class _Served:
    node: str
    sub: str
    kind: Kind
    agent: str | None
    scope: frozenset[str] | None
    session: str
    box: Mailbox
    renewed: float


StoredSessions = Callable[[list[str]], Awaitable[set[str]]]
"""Which of these session token hashes are still stored (`WebSessionRows.stored`)."""


class FeedServer:
    """The leader's side: the standbys' subscriptions to its feeds."""

    def __init__(
        self,
        relay: Relay,
        center: LiveCenter,
        *,
        scope_of: Callable[[str, str], frozenset[str] | None],
        stored_sessions: StoredSessions | None = None,
        ttl_s: float = 10.0,
    ) -> None:
        """Serve the relay's "feed.*" messages from `center`'s feeds; a wallboard's scope
        is `scope_of(username, role)` (the configuration in force); a subscription not
        renewed for `ttl_s` is dropped."""
        self._relay = relay
        self._center = center
        self._scope_of = scope_of
        self._stored = stored_sessions
        self.ttl_s = ttl_s
        self._served: dict[tuple[str, str], _Served] = {}
        self._tasks = TaskSet()
        self._sweeping: asyncio.Task[None] | None = None
        self.lead_id = f"{relay.node}:{secrets.token_hex(4)}"
        """Who serves (a new leader, or this one built again, has another)."""
        relay.serve("feed.open", self._open)
        relay.serve("feed.renew", self._renew)
        relay.serve("feed.close", self._close)
        relay.serve("feed.resync", self._resync)

    def __len__(self) -> int:
        return len(self._served)

    def session_ended(self, token: str, _principal: object, reason: str) -> None:
        """`SessionStore.on_end`: the session's relayed screens close with 4401."""
        self._end_sessions({token_hash(token)}, f"signed out: {reason}")

    async def close(self) -> None:
        """Drop every subscription (this node stops leading)."""
        for served in list(self._served.values()):
            self._drop(served)
        if self._sweeping is not None:
            self._tasks.add(self._sweeping)
        await self._tasks.cancel()

    # -------------------------------------------------------------- handlers

    async def _open(self, body: JSON, origin: Origin) -> JSON:
        kind = body.get("kind")
        sub, username, role, session = (
            _text(body, "feed.open", name) for name in ("sub", "username", "role", "session")
        )
        if kind == "agent":
            try:
                box = self._center.agents.subscribe(username)
            except UnknownAgent:
                why = f"no agent {username!r} is configured (acd.agents in the settings)"
                return {"closed": NOT_AN_AGENT, "reason": why}
            served = _Served(origin.node, sub, kind, username, None, session, box, time.monotonic())
        elif kind == "wallboard":
            scope = self._scope_of(username, role)
            box = self._center.wallboard.subscribe(scope)
            served = _Served(origin.node, sub, kind, None, scope, session, box, time.monotonic())
        else:
            raise Refused(f"feed.open: kind must be agent or wallboard, not {kind!r}")
        old = self._served.pop((origin.node, sub), None)
        if old is not None:
            self._unsubscribe(old)
        self._served[(origin.node, sub)] = served
        self._tasks.spawn(self._pump(served))
        self._start_sweeping()
        log_safely(log.info, "cluster.feed_opened", node=origin.node, kind=kind, user=username)
        return {"lead": self.lead_id}

    async def _renew(self, body: JSON, origin: Origin) -> JSON:
        subs = body.get("subs")
        if not isinstance(subs, list):
            raise Refused("feed.renew needs subs, a list")
        now = time.monotonic()
        unknown: list[str] = []
        known: list[_Served] = []
        for sub in subs:
            served = self._served.get((origin.node, str(sub)))
            if served is None:
                unknown.append(str(sub))
            else:
                served.renewed = now
                known.append(served)
        if self._stored is not None and known:
            sessions = {s.session for s in known}
            try:
                stored = await self._stored(sorted(sessions))
            except Exception as exc:  # noqa: BLE001  (a database hiccup ends no screen)
                log_safely(log.warning, "cluster.feed_sessions_unread", error=str(exc))
            else:
                self._end_sessions(sessions - stored, "signed out: the session was ended")
        return {"lead": self.lead_id, "unknown": unknown}

    async def _close(self, body: JSON, origin: Origin) -> JSON:
        for sub in body.get("subs") or ():
            served = self._served.get((origin.node, str(sub)))
            if served is not None:
                self._drop(served)
        return {}

    async def _resync(self, body: JSON, origin: Origin) -> JSON:
        served = self._served.get((origin.node, str(body.get("sub"))))
        if served is None:
            raise Refused("no such feed (it ended)")
        if served.agent is not None:
            snapshot = self._center.agents.snapshot(served.agent)
        else:
            snapshot = self._center.wallboard.snapshot(served.scope)
        served.box.replace_with(json.dumps(snapshot))
        return {}

    # -------------------------------------------------------------- internals

    async def _pump(self, served: _Served) -> None:
        channel = channel_of(served.node)
        box = served.box
        while True:
            message = await box.get()
            if message is None or box.closed:
                return
            batch = [message]
            while len(box):
                more = await box.get()  # returns at once: a message is queued
                if more is None:
                    break
                batch.append(more)
            try:
                await self._relay.publish(channel, encode(served.sub, batch))
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                # The standby's renewal finds the feed gone and reconnects its screen.
                log_safely(log.warning, "cluster.feed_publish_failed", error=str(exc))
                self._drop(served)
                return

    def _end_sessions(self, sessions: set[str], reason: str) -> None:
        if not sessions:
            return
        ended = [s for s in self._served.values() if s.session in sessions]
        for served in ended:
            self._drop(served)  # the mailbox closes now: nothing more goes out
            note = (
                f"{served.sub} {ENDED} {SIGNED_OUT} {reason.encode()[:123].decode(errors='ignore')}"
            )
            self._tasks.spawn(self._publish_end(served.node, note))

    async def _publish_end(self, node: str, note: str) -> None:
        try:
            await self._relay.publish(channel_of(node), [note])
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log_safely(log.warning, "cluster.feed_publish_failed", error=str(exc))

    def _drop(self, served: _Served) -> None:
        # Its pump ends at its next message (the mailbox is closed); it is not cancelled,
        # since a publish cut short would cut the shared connection of the others.
        if self._served.get((served.node, served.sub)) is served:
            del self._served[(served.node, served.sub)]
        self._unsubscribe(served)

    def _unsubscribe(self, served: _Served) -> None:
        if served.agent is not None:
            self._center.agents.unsubscribe(served.agent, served.box)
        else:
            self._center.wallboard.unsubscribe(served.scope, served.box)

    def _start_sweeping(self) -> None:
        if self._sweeping is None or self._sweeping.done():
            self._sweeping = asyncio.get_running_loop().create_task(
                self._sweep(), name="feed-sweep"
            )

    async def _sweep(self) -> None:
        while self._served:
            await asyncio.sleep(self.ttl_s / 4)
            stale = time.monotonic() - self.ttl_s
            for served in [s for s in self._served.values() if s.renewed < stale]:
                log_safely(log.info, "cluster.feed_expired", node=served.node, kind=served.kind)
                self._drop(served)
