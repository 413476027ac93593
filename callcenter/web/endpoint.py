"""Declared routes: roles, CSRF, request parsing and response checking in one place.

Strategy: every API route is declared with `Api.route` (method, path, the roles allowed,
the pydantic models of its query and body, the type of its response). The wrapper does
the same checks for every route in the same order: session (401), role (403), CSRF on
anything but GET (403), query then body validation (400 for a body that is not UTF-8, not
JSON or nested deeper than any of ours, 422 naming each bad field), then the handler;
what the handler returns is validated against the declared response type before it is
sent. The OpenAPI document is generated from the same declarations (see `openapi.py`), so
it cannot drift from what the server does.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, TypeAdapter, ValidationError

from callcenter.db import Role
from callcenter.web.auth import COOKIE, Principal
from callcenter.web.context import CONTEXT, WebContext
from callcenter.web.errors import ApiError, validation_details

M = TypeVar("M", bound=BaseModel)

EVERYONE = frozenset(Role)
STAFF = frozenset({Role.SUPERVISOR, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})


@dataclass(slots=True)
class ApiRequest:
    """What a handler gets: the request, the user, the parsed inputs and the context."""

    request: web.Request
    ctx: WebContext
    principal: Principal | None
    _query: BaseModel | None = None
    _body: BaseModel | None = None

    @property
    def user(self) -> Principal:
        """The logged-in user (every route but login has one)."""
        assert self.principal is not None
        return self.principal

    def path(self, name: str) -> str:
        """A path parameter."""
        return self.request.match_info[name]

    def body(self, model: type[M]) -> M:
        """The validated body, as the route declared it."""
        assert isinstance(self._body, model)
        return self._body

    def query(self, model: type[M]) -> M:
        """The validated query string, as the route declared it."""
        assert isinstance(self._query, model)
        return self._query


Handler = Callable[[ApiRequest], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One declared route."""

    method: str
    path: str
    handler: Handler
    roles: frozenset[Role] | None
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    status: int = 200
    media: str = "application/json"
    adapter: TypeAdapter[Any] | None = field(default=None, compare=False)
    guard: Handler | None = field(default=None, compare=False)
    """Runs before the query and body are read (a public route's rate limits)."""
    max_body: int | None = None
    """A larger body is refused (413) before it is read; the app's limit otherwise."""


class Api:
    """The registry of declared routes."""

    def __init__(self) -> None:
        """An empty registry; modules add their routes with `route`."""
        self.endpoints: list[Endpoint] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        roles: frozenset[Role] | None,
        summary: str,
        tag: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: Any = None,
        status: int = 200,
        media: str = "application/json",
        guard: Handler | None = None,
        max_body: int | None = None,
    ) -> Callable[[Handler], Handler]:
        """Declare a route; `roles=None` makes it public (login, the web channel).

        `guard` is awaited before the query and body are parsed (it raises `ApiError` to
        refuse); `max_body` bounds the body in bytes."""

        def declare(handler: Handler) -> Handler:
            adapter = TypeAdapter(response) if response is not None else None
            self.endpoints.append(
                Endpoint(
                    method,
                    path,
                    handler,
                    roles,
                    summary,
                    tag,
                    body,
                    query,
                    response,
                    status,
                    media,
                    adapter,
                    guard,
                    max_body,
                )
            )
            return handler

        return declare

    def install(self, app: web.Application) -> None:
        """Add every declared route to `app`."""
        for endpoint in self.endpoints:
            app.router.add_route(endpoint.method, endpoint.path, _wrap(endpoint))


async def principal_of(request: web.Request) -> Principal | None:
    """The session's user, or None."""
    return await request.app[CONTEXT].sessions.get(request.cookies.get(COOKIE))


def _wrap(endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        ctx = request.app[CONTEXT]
        principal = None
        if endpoint.roles is not None:
            principal = await principal_of(request)
            if principal is None:
                raise ApiError(401, "not_authenticated", "log in first")
            if principal.role not in endpoint.roles:
                allowed = ", ".join(sorted(r.value for r in endpoint.roles))
                raise ApiError(403, "forbidden", f"this needs the role {allowed}")
            if request.method != "GET":
                sent = request.headers.get("X-CSRF-Token", "")
                if not hmac.compare_digest(sent.encode(), principal.csrf_token.encode()):
                    raise ApiError(403, "csrf_failed", "missing or wrong X-CSRF-Token header")
        call = ApiRequest(request, ctx, principal)
        if endpoint.guard is not None:
            await endpoint.guard(call)
        if endpoint.query is not None:
            call._query = _parse(endpoint.query, dict(request.query), "query")
        if endpoint.body is not None:
            body = await _json_body(request, endpoint.max_body)
            call._body = _parse(endpoint.body, body, "body")
        result = await endpoint.handler(call)
        if isinstance(result, web.StreamResponse):
            return result
        if endpoint.adapter is None:
            return web.Response(status=204)
        checked = endpoint.adapter.validate_python(result)
        return web.Response(
            status=endpoint.status,
            body=endpoint.adapter.dump_json(checked),
            content_type="application/json",
        )

    return handle


def _parse(model: type[M], data: Any, where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        message, details = validation_details(exc, where)
        raise ApiError(422, "invalid_request", message, details) from None


MAX_JSON_DEPTH = 32
"""The deepest nesting a body may have (the API's bodies are two or three levels deep)."""


async def _json_body(request: web.Request, max_body: int | None = None) -> Any:
    limit = request.app[CONTEXT].settings.web.request_timeout_s
    if max_body is not None and (request.content_length or 0) > max_body:
        raise ApiError(413, "too_large", f"the body is larger than {max_body} bytes")
    try:
        async with asyncio.timeout(limit):
            if max_body is None:
                raw = await request.read()
            else:
                raw = await _bounded(request, max_body)
    except TimeoutError:
        raise ApiError(
            408, "request_timeout", f"the body did not arrive within {limit:g} s"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(
            400,
            "invalid_request",
            f"the body is not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start}",
        ) from None
    if not text.strip():
        raise ApiError(400, "invalid_request", "the request needs a JSON body")
    too_deep = ApiError(
        400, "invalid_request", f"the body's JSON is nested more than {MAX_JSON_DEPTH} levels deep"
    )
    try:
        data = json.loads(text)
    except RecursionError:
        raise too_deep from None
    except ValueError as exc:
        raise ApiError(400, "invalid_request", f"the body is not valid JSON: {exc}") from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise too_deep
    return data


async def _bounded(request: web.Request, max_body: int) -> bytes:
    # A chunked body has no length to check first: read at most one byte past the limit.
    raw = bytearray()
    while len(raw) <= max_body:
        chunk = await request.content.read(max_body + 1 - len(raw))
        if not chunk:
            return bytes(raw)
        raw += chunk
    raise ApiError(413, "too_large", f"the body is larger than {max_body} bytes")


def _depth(data: Any) -> int:
    # Without recursion: the check must not be the thing a deep body breaks.
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if deepest > MAX_JSON_DEPTH:
                return deepest
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, level + 1) for child in children)
    return deepest


def as_model(model: type[M], data: Any) -> M:
    """Build a response model from plain data (a cast the response check re-validates)."""
    return model.model_validate(data)
