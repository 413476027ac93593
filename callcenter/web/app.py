"""The web application: routes, websockets, pages, the OpenAPI document, and its server.

Strategy: `build_app` assembles the aiohttp application from the declared route modules
(each owns an `Api` registry), the websocket routes and the static pages, over one
`WebContext`, plus the operations routes (/metrics, /healthz, /readyz) outside the
API. `WebServer` runs it on the configured address beside the rest of the
service (same event loop, so the ACD host's views are read without copies or locks).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from callcenter import __version__
from callcenter.app.paths import ui_dir
from callcenter.cluster.leadership import Role, standby_message
from callcenter.web import (
    routes_admin,
    routes_cdr,
    routes_config,
    routes_flows,
    routes_live,
    routes_ops,
    routes_public,
    routes_records,
    routes_reports,
    routes_session,
    routes_tickets,
    routes_voicemail,
    routes_whatif,
    sockets,
)
from callcenter.web.context import CONTEXT, WebContext
from callcenter.web.endpoint import Endpoint
from callcenter.web.errors import error_middleware, error_response
from callcenter.web.openapi import build_openapi
from callcenter.web.pages import install_pages, security_headers

log = structlog.get_logger(__name__)

MODULES = (
    routes_session,
    routes_live,
    routes_records,
    routes_tickets,
    routes_reports,
    routes_cdr,
    routes_admin,
    routes_config,
    routes_flows,
    routes_whatif,
    routes_voicemail,
    routes_public,
)


OPS_PATHS = frozenset({"/healthz", "/readyz", "/leaderz", "/metrics"})
"""What a cluster's standby still answers: an operator and a load balancer read them."""


@web.middleware
async def standby_gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Several nodes: the leader serves everything. A standby with its web relay serves
    the pages and static files itself (files; the sessions are in the database: nobody
    logs in again) and relays every /api/ request to the leader, whose answer it gives
    (`callcenter.cluster.web_relay`); anything else that is not an API route gets the same
    404/405 from the same routes here as there. Its websockets are checked here and fed by
    the leader's feeds through the relay (`callcenter.cluster.feed_relay`). Without a
    relay a standby answers 503 naming the leader, so a load balancer that follows
    /readyz, and a desktop that reconnects, find the leader.

    A request the leader's own relay carries is taken as from the browser's address it
    names; one that reaches a node no longer leading is answered 503, never relayed on."""
    ctx = request.app[CONTEXT]
    relay = ctx.web_relay
    relayed = relay.relayed_client(request) if relay is not None else None
    if relayed is not None:
        request = request.clone(remote=relayed)
    status_of = ctx.cluster
    if status_of is None or request.path in OPS_PATHS:
        return await handler(request)
    status = status_of()
    if status.role is Role.LEADER:
        return await handler(request)
    if relay is not None and relayed is None and status.role is Role.STANDBY:
        if request.path.startswith("/api/") and request.path not in relay.local_paths:
            return await relay.forward(request)
        if not request.path.startswith("/ws/"):
            return await handler(request)
    if ctx.feeds is not None and status.role is Role.STANDBY and request.path.startswith("/ws/"):
        return await handler(request)  # fed by the leader's feeds (`cluster.feed_relay`)
    message = standby_message(status)
    if request.path.startswith(("/api/", "/ws/")):
        return error_response(503, "not_leading", message, headers={"Retry-After": "1"})
    return web.Response(status=503, text=message + "\n", headers={"Retry-After": "1"})


def endpoints() -> list[Endpoint]:
    """Every declared API route."""
    return [ep for module in MODULES for ep in module.api.endpoints]


def build_app(ctx: WebContext, *, ui: Path | None = None) -> web.Application:
    """The application serving the API, the websockets and the pages of `ui`."""
    app = web.Application(
        middlewares=[security_headers, standby_gate, error_middleware],
        client_max_size=1024 * 1024,
    )
    app[CONTEXT] = ctx
    for module in MODULES:
        module.api.install(app)
    document = json.dumps(build_openapi(endpoints(), __version__))

    async def openapi(request: web.Request) -> web.Response:
        return web.Response(text=document, content_type="application/json")

    app.router.add_get("/api/openapi.json", openapi)
    sockets.install(app)
    routes_ops.install(app, ctx)
    routes_tickets.install(app, ctx)
    routes_public.install(app, ui or ui_dir(), ctx.settings.web.public_callback)
    install_pages(app, ui or ui_dir())
    return app


class WebServer:
    """Serves the application on a host and port (0 picks a free port).

    aiohttp's server has no timeout for a request's headers of its own; its keep-alive
    timer, which runs from the moment a connection opens until a whole request has
    arrived (and again after each answer), is that timeout here: a connection that has
    sent half a request after `request_timeout_s` is closed. A request being handled (a
    websocket included) is not touched by it.
    """

    def __init__(
        self, app: web.Application, host: str, port: int, *, request_timeout_s: float = 10.0
    ) -> None:
        """Serve `app` on `host:port` once started."""
        self._runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=1.0,
            keepalive_timeout=request_timeout_s,
            # After an early answer (408, 413 ...) the unread rest of a body is drained for at
            # most this long before the connection closes (aiohttp's default is 10 s).
            lingering_time=request_timeout_s,
        )
        self._host = host
        self._port = port
        self.port = port
        self._started = False

    async def start(self) -> None:
        """Listen; `port` is the bound port afterwards."""
        self._started = True
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        addresses: list[Any] = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])

    async def stop(self) -> None:
        """Close every connection (websockets included) and stop listening."""
        if self._started:
            self._started = False
            await self._runner.cleanup()
