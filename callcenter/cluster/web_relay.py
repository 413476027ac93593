"""The web on a standby: it serves the pages itself and hands each API request to the leader.

Strategy (issue 18: standbys serve the web themselves): the pages and static files are
files, and the sessions live in the database, so a standby serves them locally. An /api/
request needs the leader's live center, so the standby relays it whole through
PostgreSQL (`Relay.call("http", ...)`): method, raw path with query, the request headers
the app reads (cookie, CSRF token, content type, conditional and range headers ...), the
body (base64; the app's limit of 1 MiB holds on the standby already) and the browser's
address as the standby computed it (`client_address`: its own peer, or behind a trusted
proxy the `X-Forwarded-For` client). The leader answers by running the request through
its own web app over loopback HTTP: the whole middleware stack (sessions, roles, CSRF,
rate limits, the JSON errors) judges it exactly as a request made to the leader, so a
standby gives the same answers, refusals included. The loopback request carries a random
secret of this process (`X-Callcenter-Relay`); only with it does the leader's app take the
carried address (`X-Callcenter-Client`) as the request's peer, so the login brake and the
public form's per-address limits count the browser, not 127.0.0.1, and nobody else can
claim an address. A request relayed to a node that no longer leads is answered 503 there,
never relayed again.

The answer (status, the headers a browser needs: Content-Type, every Set-Cookie,
Content-Disposition, caching, Location, Retry-After ...; body in base64) goes back in the
relay's table; the standby's own middleware adds the security headers. An answer larger
than `MAX_ANSWER` (a year of call records) is refused with a 502 naming the limit: the
relay holds answers in memory and in one row. A relayed request must be done within the
relay's timeout (`cluster.relay_timeout_s`), the leader's loopback request too: when no
leader answers in time (a fail-over under way), the browser gets a 503 naming why, with
Retry-After, never a hang.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import secrets
from collections.abc import Callable
from typing import Any

import aiohttp
import structlog
from aiohttp import web
from multidict import CIMultiDict

from callcenter.cluster.relay import JSON, Origin, Refused, Relay, RelayError
from callcenter.web.auth import client_address
from callcenter.web.context import CONTEXT
from callcenter.web.errors import error_response

log = structlog.get_logger(__name__)

KIND = "http"
"""The relay's kind of an API request."""
RELAY_HEADER = "X-Callcenter-Relay"
"""The leader's relay secret: the loopback request comes from its own relay."""
CLIENT_HEADER = "X-Callcenter-Client"
"""The browser's address as the standby computed it (trusted with the secret only)."""
MAX_ANSWER = 32 * 1024 * 1024
"""The largest answer relayed (bytes of body)."""
LOCAL_ON_STANDBY = frozenset({"/api/cdr"})
"""API routes a standby answers itself instead of relaying them: they read only the
database and the settings (`routes_cdr`), and an export of a month streams for longer than
a relayed request may take, held whole in memory on both nodes. Served by the standby,
that load stays off the leader."""

REQUEST_HEADERS = (
    "Accept",
    "Accept-Language",
    "Cache-Control",
    "Content-Type",
    "Cookie",
    "Host",
    "If-Match",
    "If-Modified-Since",
    "If-None-Match",
    "If-Range",
    "Origin",
    "Range",
    "Referer",
    "User-Agent",
    "X-CSRF-Token",
)
"""What the app reads of a request, and what conditional answers need. Not
X-Forwarded-For: the standby resolved it into the carried address already."""
ANSWER_HEADERS = frozenset(
    name.lower()
    for name in (
        "Accept-Ranges",
        "Allow",
        "Cache-Control",
        "Content-Disposition",
        "Content-Language",
        "Content-Range",
        "Content-Type",
        "ETag",
        "Expires",
        "Last-Modified",
        "Location",
        "Retry-After",
        "Set-Cookie",
        "Vary",
        "WWW-Authenticate",
    )
)
"""What the browser gets of the leader's answer headers (the security headers are the
standby's own; lengths and encodings are the standby's connection's)."""


class WebRelay:
    """Both sides of the API through the relay: `forward` on a standby, `serve` (the
    handler of kind "http") on the leader."""

    def __init__(
        self,
        relay: Relay,
        web_host: str,
        web_port: Callable[[], int],
        *,
        max_answer: int = MAX_ANSWER,
    ) -> None:
        """Relay through `relay`; the leader reaches its own web at `web_host` (a
        wildcard address means loopback) on the port `web_port()` gives once started."""
        self.relay = relay
        self._host = _loopback(web_host)
        self._port = web_port
        self.max_answer = max_answer
        self.local_paths = LOCAL_ON_STANDBY
        """API paths this node answers itself as a standby (`LOCAL_ON_STANDBY`)."""
        self._secret = secrets.token_urlsafe(32)
        self._http: aiohttp.ClientSession | None = None

    def install(self) -> None:
        """Serve the standbys' API requests while this node leads."""
        self.relay.serve(KIND, self.serve)

    async def close(self) -> None:
        """Close the leader's loopback connections."""
        if self._http is not None:
            http, self._http = self._http, None
            await http.close()

    # ------------------------------------------------------------------ a standby

    async def forward(self, request: web.Request) -> web.StreamResponse:
        """Answer an /api/ request on a standby with the leader's answer to it."""
        settings = request.app[CONTEXT].settings.web
        limit = request.client_max_size
        if (request.content_length or 0) > limit:
            return _too_large(request)
        try:
            async with asyncio.timeout(settings.request_timeout_s):
                raw = await request.read() if request.body_exists else b""
        except web.HTTPRequestEntityTooLarge:
            return _too_large(request)
        except TimeoutError:
            return error_response(
                408,
                "request_timeout",
                f"the body did not arrive within {settings.request_timeout_s:g} s",
            )
        headers = [
            [name, value] for name in REQUEST_HEADERS for value in request.headers.getall(name, [])
        ]
        message: JSON = {
            "method": request.method,
            "path": request.raw_path,
            "headers": headers,
            "body": base64.b64encode(raw).decode("ascii"),
            "chunked": request.content_length is None and bool(raw),
            "client": client_address(
                request.remote, request.headers.get("X-Forwarded-For"), settings.trusted_proxies
            ),
            "timeout_s": self.relay.timeout_s,
        }
        try:
            answer = await self.relay.call(KIND, message)
        except RelayError as exc:
            log.warning(
                "cluster.web_relay_failed", method=request.method, path=request.path, error=str(exc)
            )
            return error_response(
                503,
                "leader_unavailable",
                f"this node ({self.relay.node}) is a standby and relays the API to the "
                f"leader, which did not answer: {exc}",
                headers={"Retry-After": "1"},
            )
        return _response(answer)

    # ------------------------------------------------------------------ the leader

    def relayed_client(self, request: web.Request) -> str | None:
        """The browser's address a request from this process's own relay carries; None
        for any other request (a client cannot claim an address)."""
        sent = request.headers.get(RELAY_HEADER)
        if sent is None or not hmac.compare_digest(sent.encode(), self._secret.encode()):
            return None
        return request.headers.get(CLIENT_HEADER) or None

    async def serve(self, body: JSON, origin: Origin) -> JSON:
        """The relay's handler of kind "http": run the request through this node's own web
        app (its every check) and answer its status, headers and body."""
        try:
            method, path = str(body["method"]), str(body["path"])
            raw = base64.b64decode(str(body["body"]), validate=True)
            carried = [(str(name), str(value)) for name, value in body["headers"]]
            client = str(body["client"])
        except (KeyError, TypeError, ValueError) as exc:
            raise Refused(f"a malformed web request: {type(exc).__name__}: {exc}") from None
        if not path.startswith("/api/"):
            raise Refused(f"only API requests are relayed, not {path!r}")
        remaining = float(body.get("timeout_s", self.relay.timeout_s)) - origin.waited_s
        if remaining <= 0:
            raise Refused("the request waited past its timeout")
        headers: CIMultiDict[str] = CIMultiDict(carried)
        headers[RELAY_HEADER] = self._secret
        headers[CLIENT_HEADER] = client
        skip = [name for name in ("User-Agent", "Accept") if name not in headers]
        url = f"http://{self._host}:{self._port()}{path}"
        try:
            async with self._session().request(
                method,
                url,
                headers=headers,
                data=raw if raw or method not in ("GET", "HEAD") else None,
                chunked=True if body.get("chunked") else None,
                allow_redirects=False,
                skip_auto_headers=skip,
                timeout=aiohttp.ClientTimeout(total=remaining),
            ) as response:
                return await self._answer(response, method, path)
        except TimeoutError:
            raise Refused(f"the leader's web did not answer within {remaining:.1f} s") from None
        except aiohttp.ClientError as exc:
            raise Refused(f"the leader's web failed: {type(exc).__name__}: {exc}") from None

    async def _answer(self, response: aiohttp.ClientResponse, method: str, path: str) -> JSON:
        headers = [[k, v] for k, v in response.headers.items() if k.lower() in ANSWER_HEADERS]
        length = response.content_length
        if length is not None and length > self.max_answer:
            return self._oversized(method, path, f"{length:,} bytes")
        data = bytearray()
        async for chunk in response.content.iter_chunked(1 << 16):
            data += chunk
            if len(data) > self.max_answer:
                return self._oversized(method, path, f"more than {self.max_answer:,} bytes")
        return {
            "status": response.status,
            "headers": headers,
            "body": base64.b64encode(bytes(data)).decode("ascii"),
        }

    def _oversized(self, method: str, path: str, size: str) -> JSON:
        path = path.partition("?")[0]  # (a query may hold a phone number)
        log.warning("cluster.web_relay_too_large", method=method, path=path, size=size)
        text = (
            f"the answer to {method} {path} is {size}: a standby relays at most "
            f"{_bytes(self.max_answer)}; ask for a shorter period, or ask the leader directly"
        )
        error = {
            "error": {"status": 502, "code": "answer_too_large", "message": text, "details": []}
        }
        return {
            "status": 502,
            "headers": [["Content-Type", "application/json; charset=utf-8"]],
            "body": base64.b64encode(json.dumps(error).encode()).decode("ascii"),
        }

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            # No cookie jar: each request carries its own browser's cookie, and an answer's
            # Set-Cookie belongs to that browser alone.
            self._http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        return self._http


def _response(answer: JSON) -> web.Response:
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in answer.get("headers", []):
        headers.add(str(name), str(value))
    body: Any = base64.b64decode(str(answer.get("body", "")))
    return web.Response(status=int(answer["status"]), headers=headers, body=body or None)


def _too_large(request: web.Request) -> web.Response:
    # What the app's error middleware answers for a body past the app's limit.
    return error_response(
        413, "too_large", f"{request.method} {request.path}: Request Entity Too Large"
    )


def _bytes(count: int) -> str:
    mib = count / (1024 * 1024)
    return f"{count:,} bytes ({mib:g} MiB)" if mib >= 1 else f"{count:,} bytes"


def _loopback(host: str) -> str:
    # The leader reaches its own server: a wildcard bind is reached on loopback.
    if host in ("", "0.0.0.0"):  # noqa: S104  (compared, not bound)
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host
