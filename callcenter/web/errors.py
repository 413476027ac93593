"""Errors with an HTTP contract: a status, a machine-readable code and a message for people.

Strategy: handlers raise `ApiError` (or let the ACD's domain errors and pydantic's
validation errors through); one middleware turns every one of them into the same JSON
body, `{"error": {"status", "code", "message", "details"}}`, so the desktop shows the
message and a script branches on the code. Anything else is a bug: it is logged with the
request and answered 500 `internal` without leaking internals.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import ValidationError

from acd import AcdError, CallNotWaiting, IllegalTransition, UnknownAgent, UnknownQueue
from callcenter.live.host import NotLeading

log = structlog.get_logger(__name__)


class ApiError(Exception):
    """An error answered with `status`, a stable `code` and a readable `message`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        """`details` lists per-field problems (validation errors) when there are several;
        `headers` go with the answer (`Retry-After` of a 429)."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """The JSON response of an error."""
    body = {"error": {"status": status, "code": code, "message": message, "details": details or []}}
    return web.Response(
        status=status, text=json.dumps(body), content_type="application/json", headers=headers
    )


def validation_details(exc: ValidationError, where: str) -> tuple[str, list[Any]]:
    """A one-line message naming each bad field, and the details list, for a 422."""
    details = []
    parts = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        # The API's models are flat: the first part of the location is the field; the rest
        # names union members (`since.date`, `since.datetime`), reported once as the field.
        field = str(err["loc"][0]) if err["loc"] else where
        if field in seen:
            continue
        seen.add(field)
        details.append({"field": field, "problem": err["msg"], "in": where})
        parts.append(f"{field}: {err['msg']}")
    return f"invalid {where}: " + "; ".join(parts), details


def acd_error(exc: AcdError) -> ApiError:
    """The HTTP contract of the ACD core's domain errors."""
    if isinstance(exc, UnknownAgent | UnknownQueue):
        return ApiError(404, "not_found", str(exc))
    if isinstance(exc, IllegalTransition | CallNotWaiting):
        return ApiError(409, "illegal_transition", str(exc))
    return ApiError(422, "invalid_request", str(exc))


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer every failure of an API route with the JSON error body."""
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)
    except AcdError as exc:
        err = acd_error(exc)
        return error_response(err.status, err.code, err.message)
    except NotLeading as exc:
        return error_response(503, "not_leading", str(exc), headers={"Retry-After": "1"})
    except web.HTTPException as exc:
        if not request.path.startswith("/api/") or exc.status < 400:
            raise
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status, "http_error"
        )
        return error_response(exc.status, code, f"{request.method} {request.path}: {exc.reason}")
    except Exception:
        log.exception("web.handler_failed", method=request.method, path=request.path)
        return error_response(500, "internal", "the server failed; the error is logged")
