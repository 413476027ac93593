"""The websockets: the agent channel and the wallboard channel.

Strategy: a socket is accepted, then checked like any route (session cookie, role, and an
Origin header that must match the host, so a page of another site cannot open it with the
user's cookie); a refusal is a close with code 4401 (log in) or 4403 (not allowed) and a
reason, which browsers show, instead of a bare HTTP error they hide. Each socket drains a
`Mailbox` of its feed in a task of its own; the first message is always a snapshot, so a
screen that reconnects starts from the truth. Messages from the screen are not needed
(actions go through the REST API) and are ignored; a closed socket ends its mailbox.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from callcenter.db import Role
from callcenter.live import Mailbox
from callcenter.web.auth import Principal
from callcenter.web.context import CONTEXT
from callcenter.web.endpoint import principal_of

routes = web.RouteTableDef()


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
    principal = principal_of(request)
    if principal is None:
        await ws.close(code=4401, message=b"log in first")
        return ws, None
    if principal.role not in roles or not _same_origin(request):
        await ws.close(code=4403, message=b"not allowed")
        return ws, None
    return ws, principal


async def _pump(ws: web.WebSocketResponse, box: Mailbox) -> None:
    while True:
        message = await box.get()
        if message is None or ws.closed:
            return
        await ws.send_str(message)


async def _serve(ws: web.WebSocketResponse, box: Mailbox) -> None:
    sender = asyncio.create_task(_pump(ws, box))
    try:
        async for msg in ws:
            if msg.type is WSMsgType.ERROR:
                break
    finally:
        box.close()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await sender


@routes.get("/ws/agent")
async def agent_socket(request: web.Request) -> web.WebSocketResponse:
    """The agent's own channel: state, offers with their pop, call and wrap-up events."""
    ws, principal = await _accept(request, frozenset({Role.AGENT}))
    if principal is None or principal.agent_id is None:
        return ws
    feed = request.app[CONTEXT].center.agents
    box = feed.subscribe(principal.agent_id)
    try:
        await _serve(ws, box)
    finally:
        feed.unsubscribe(principal.agent_id, box)
    return ws


@routes.get("/ws/wallboard")
async def wallboard_socket(request: web.Request) -> web.WebSocketResponse:
    """The wallboard of the supervisor's queues: a snapshot, then changes."""
    ws, principal = await _accept(request, frozenset({Role.SUPERVISOR, Role.ADMIN}))
    if principal is None:
        return ws
    feed = request.app[CONTEXT].center.wallboard
    box = feed.subscribe(principal.queues)
    try:
        await _serve(ws, box)
    finally:
        feed.unsubscribe(principal.queues, box)
    return ws
