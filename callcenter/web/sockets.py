"""The websockets: the agent channel and the wallboard channel.

Strategy: a socket is accepted, then checked like any route (session cookie, role, and an
Origin header that must match the host, so a page of another site cannot open it with the
user's cookie); a refusal is a close with code 4401 (log in) or 4403 (not allowed) and a
reason, which browsers show, instead of a bare HTTP error they hide. Each socket drains a
`Mailbox` of its feed in a task of its own; the first message is always a snapshot, so a
screen that reconnects starts from the truth. Messages from the screen are not needed
(actions go through the REST API) and are ignored; a closed socket ends its mailbox.

A socket belongs to the session that opened it (`OpenSockets`): when the session ends
(logout, a new login, deactivation, a changed password or role, expiry) its mailbox is
closed at once, so not one more message goes out, and the socket is closed with 4401 and
the reason ("your account was deactivated"), which the pages show instead of reconnecting.
An agent login that names no configured agent is closed with 4404 and the reason.

On a cluster's standby the socket is accepted and checked here the same way, and its
mailbox is fed by the leader's feed through the relay (`callcenter.cluster.feed_relay`):
the same messages, and the socket closed with the code the feed ends with (4401 when the
session ended on the leader, 1012 when the leader changed: the page reconnects).
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

import structlog
from aiohttp import WSMsgType, web

from acd import UnknownAgent
from callcenter.cluster.feed_relay import FeedUnavailable, Kind, RemoteFeed, RemoteFeeds
from callcenter.cluster.leadership import Role as ClusterRole
from callcenter.db import Role
from callcenter.live import Mailbox
from callcenter.web.auth import COOKIE, Principal
from callcenter.web.context import CONTEXT
from callcenter.web.endpoint import principal_of

log = structlog.get_logger(__name__)
routes = web.RouteTableDef()
SIGNED_OUT = 4401
"""The close code of a socket whose session ended (or never was): log in again."""
NOT_AN_AGENT = 4404
"""The close code of an agent's socket whose login names no configured agent: the desktop
says so and stops reconnecting, since retrying cannot help until the settings change."""


class OpenSockets:
    """The open websockets of each session, so that ending a session closes them."""

    def __init__(self) -> None:
        """No socket yet; `session_ended` is the `SessionStore.on_end` listener."""
        self._by_token: dict[str, dict[web.WebSocketResponse, Mailbox]] = {}
        self._closing: set[asyncio.Task[bool]] = set()

    def add(self, token: str, ws: web.WebSocketResponse, box: Mailbox) -> None:
        """Track a socket of the session `token` and the mailbox it drains."""
        self._by_token.setdefault(token, {})[ws] = box

    def discard(self, token: str, ws: web.WebSocketResponse) -> None:
        """Forget a socket that closed."""
        sockets = self._by_token.get(token)
        if sockets is not None:
            sockets.pop(ws, None)
            if not sockets:
                del self._by_token[token]

    def session_ended(self, token: str, principal: Principal, reason: str) -> None:
        """Stop the session's sockets now and close them with 4401 and `reason`."""
        sockets = self._by_token.pop(token, {})
        for ws, box in sockets.items():
            box.close()  # synchronously: nothing more is sent from here on
            task = asyncio.get_running_loop().create_task(
                ws.close(code=SIGNED_OUT, message=_reason(f"signed out: {reason}"))
            )
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        if sockets:
            log.info(
                "web.sockets_closed", username=principal.username, sockets=len(sockets), why=reason
            )

    def __len__(self) -> int:
        return sum(len(s) for s in self._by_token.values())


def _reason(text: str) -> bytes:
    # A close frame's reason is at most 123 bytes.
    return text.encode()[:123]


SOCKETS = web.AppKey("open_sockets", OpenSockets)
"""Where the app keeps its `OpenSockets`."""


def install(app: web.Application) -> None:
    """Add the websocket routes to `app`; ending a session closes its sockets."""
    sockets = OpenSockets()
    app[SOCKETS] = sockets
    app[CONTEXT].sessions.on_end(sockets.session_ended)
    app.router.add_routes(routes)


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser: the cookie still has to be right
    return urlsplit(origin).netloc == request.host


async def _accept(
    request: web.Request, roles: frozenset[Role]
) -> tuple[web.WebSocketResponse, Principal | None]:
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    principal = await principal_of(request)
    if principal is None:
        await ws.close(code=SIGNED_OUT, message=b"signed out: the session has ended")
        return ws, None
    if principal.role not in roles or not _same_origin(request):
        await ws.close(code=4403, message=b"not allowed")
        return ws, None
    return ws, principal


async def _pump(ws: web.WebSocketResponse, box: Mailbox) -> None:
    while True:
        message = await box.get()
        if message is None or box.closed or ws.closed:
            return  # a closed mailbox may still hold messages: none of them goes out
        await ws.send_str(message)


async def _serve(request: web.Request, ws: web.WebSocketResponse, box: Mailbox) -> None:
    token = request.cookies.get(COOKIE, "")
    sockets = request.app[SOCKETS]
    sockets.add(token, ws, box)
    sender = asyncio.create_task(_pump(ws, box))
    try:
        async for msg in ws:
            if msg.type is WSMsgType.ERROR:
                break
    finally:
        sockets.discard(token, ws)
        box.close()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await sender


def _relayed_feeds(request: web.Request) -> RemoteFeeds | None:
    """The relay's feeds when this node is a cluster node that does not lead."""
    ctx = request.app[CONTEXT]
    if ctx.feeds is None or ctx.cluster is None or ctx.cluster().role is ClusterRole.LEADER:
        return None
    return ctx.feeds


async def _serve_relayed(
    request: web.Request,
    ws: web.WebSocketResponse,
    principal: Principal,
    kind: Kind,
    feeds: RemoteFeeds,
) -> web.WebSocketResponse:
    token = request.cookies.get(COOKIE, "")
    try:
        remote = await feeds.open(kind, principal.username, principal.role.value, token)
    except FeedUnavailable as exc:
        if exc.code == NOT_AN_AGENT:
            log.warning("web.agent_not_configured", username=principal.username)
        await ws.close(code=exc.code, message=_reason(exc.reason))
        return ws
    closer = asyncio.create_task(_close_when_ended(ws, remote))
    try:
        await _serve(request, ws, remote.box)
    finally:
        closer.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await closer
        feeds.close(remote)
    return ws


async def _close_when_ended(ws: web.WebSocketResponse, remote: RemoteFeed) -> None:
    # Shielded: this task is cancelled when the socket closes first, the feed's end is not.
    code, reason = await asyncio.shield(remote.ended)
    await ws.close(code=code, message=_reason(reason))


@routes.get("/ws/agent")
async def agent_socket(request: web.Request) -> web.WebSocketResponse:
    """The agent's own channel: state, offers with their pop, call and wrap-up events."""
    ws, principal = await _accept(request, frozenset({Role.AGENT}))
    if principal is None or principal.agent_id is None:
        return ws
    relayed = _relayed_feeds(request)
    if relayed is not None:
        return await _serve_relayed(request, ws, principal, "agent", relayed)
    feed = request.app[CONTEXT].center.agents
    try:
        box = feed.subscribe(principal.agent_id)
    except UnknownAgent:
        # A user created with the agent role before the agent is configured (admin page,
        # `users add`): a clear close, not a failed handshake the browser retries forever.
        log.warning("web.agent_not_configured", username=principal.username)
        why = f"no agent {principal.agent_id!r} is configured (acd.agents in the settings)"
        await ws.close(code=NOT_AN_AGENT, message=_reason(why))
        return ws
    try:
        await _serve(request, ws, box)
    finally:
        feed.unsubscribe(principal.agent_id, box)
    return ws


@routes.get("/ws/wallboard")
async def wallboard_socket(request: web.Request) -> web.WebSocketResponse:
    """The wallboard of the supervisor's queues: a snapshot, then changes."""
    ws, principal = await _accept(request, frozenset({Role.SUPERVISOR, Role.ADMIN}))
    if principal is None:
        return ws
    relayed = _relayed_feeds(request)
    if relayed is not None:
        return await _serve_relayed(request, ws, principal, "wallboard", relayed)
    feed = request.app[CONTEXT].center.wallboard
    box = feed.subscribe(principal.queues)
    try:
        await _serve(request, ws, box)
    finally:
        feed.unsubscribe(principal.queues, box)
    return ws
