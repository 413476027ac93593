"""Logging in and out.

Strategy: a login is checked against the rate limiter before the password (so guessing
costs nothing but a 429 once the delay runs), then against the user store; a failure is
logged with the user name and address (never the password) and counted against that name
at that address. A good login ends the user's earlier sessions (`web.single_session`):
their other browsers are signed out and their websockets closed with 4401.
"""

from __future__ import annotations

import structlog
from aiohttp import web

from callcenter.web.auth import COOKIE, Principal, client_address
from callcenter.web.endpoint import EVERYONE, Api, ApiRequest
from callcenter.web.errors import ApiError
from callcenter.web.schemas import LoginIn, SessionOut, UserOut

log = structlog.get_logger(__name__)
api = Api()


def session_out(principal: Principal) -> SessionOut:
    """The session as the API shows it."""
    return SessionOut(
        user=UserOut(
            username=principal.username,
            role=principal.role.value,
            display_name=principal.display_name,
            agent_id=principal.agent_id,
            queues=None if principal.queues is None else sorted(principal.queues),
        ),
        csrf_token=principal.csrf_token,
    )


@api.route(
    "POST",
    "/api/login",
    roles=None,
    body=LoginIn,
    response=SessionOut,
    summary="Log in; sets the session cookie and returns the CSRF token",
    tag="session",
)
async def login(req: ApiRequest) -> web.StreamResponse:
    body = req.body(LoginIn)
    ctx = req.ctx
    request = req.request
    address = client_address(
        request.remote, request.headers.get("X-Forwarded-For"), ctx.settings.web.trusted_proxies
    )
    wait = ctx.limiter.blocked(body.username, address)
    if wait is not None:
        log.warning("web.login_rate_limited", username=body.username, address=address)
        raise ApiError(
            429, "rate_limited", f"too many failed logins; try again in {max(1, round(wait))} s"
        )
    user = await ctx.users.authenticate(body.username, body.password)
    if user is None:
        delay = ctx.limiter.failed(body.username, address)
        log.warning("web.login_failed", username=body.username, address=address, delay_s=delay)
        raise ApiError(401, "bad_credentials", "unknown user name or wrong password")
    ctx.limiter.succeeded(body.username, address)
    principal = Principal(
        username=user.username,
        role=user.role,
        display_name=user.display_name,
        queues=ctx.queues_for(user.username, user.role.value),
    )
    token = await ctx.sessions.create(principal)
    if ctx.settings.web.single_session:
        await ctx.sessions.end_user(
            user.username, "you logged in again in another window or browser", keep=token
        )
    log.info("web.login", username=user.username, role=user.role.value, address=address)
    response = web.Response(
        body=session_out(principal).model_dump_json(), content_type="application/json"
    )
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=ctx.settings.web.cookie_secure,
        path="/",
    )
    return response


@api.route("POST", "/api/logout", roles=EVERYONE, summary="End the session", tag="session")
async def logout(req: ApiRequest) -> web.StreamResponse:
    await req.ctx.sessions.end(req.request.cookies.get(COOKIE))
    response = web.Response(status=204)
    response.del_cookie(COOKIE, path="/")
    return response


@api.route(
    "GET",
    "/api/me",
    roles=EVERYONE,
    response=SessionOut,
    summary="Who is logged in, with the CSRF token",
    tag="session",
)
async def me(req: ApiRequest) -> SessionOut:
    return session_out(req.user)
