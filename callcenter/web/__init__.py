"""The web: the REST API, the websockets and the pages of agents and supervisors.

`build_app(ctx)` makes the aiohttp application over a `WebContext`; `WebServer` serves it.
Every API route is declared in one of the `routes_*` modules with its roles and models;
the OpenAPI document at `/api/openapi.json` is generated from the same declarations.
"""

from callcenter.web.app import WebServer, build_app, endpoints
from callcenter.web.context import CONTEXT, Telephony, WebContext

__all__ = ["CONTEXT", "Telephony", "WebContext", "WebServer", "build_app", "endpoints"]
