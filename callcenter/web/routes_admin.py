"""Administration: users and the configuration in force.

Strategy: admins create users, change roles, reset passwords and deactivate accounts;
any such change ends the user's open sessions at once: their next click is refused and
their live screens (websockets) are closed with 4401 and the reason. The configuration is
shown as the service read it, secrets masked, and the IVR flow files that changed can be
stored as new flow versions and run without a restart (the old flows stay in use if the
new are broken; the flows page, `routes_flows`, does the rest).
"""

from __future__ import annotations

from typing import Any

import structlog

from callcenter.db import UserError, UserInfo
from callcenter.db.agent_logins import unconfigured_agent
from callcenter.web.endpoint import ADMINS, Api, ApiRequest
from callcenter.web.errors import ApiError
from callcenter.web.routes_flows import import_flow_files
from callcenter.web.schemas import ReloadOut, UserAdminOut, UserIn, UserPatchIn

log = structlog.get_logger(__name__)
api = Api()


def _user_out(user: UserInfo) -> dict[str, Any]:
    return {
        "username": user.username,
        "role": user.role.value,
        "display_name": user.display_name,
        "active": user.active,
    }


@api.route(
    "GET",
    "/api/users",
    roles=ADMINS,
    response=list[UserAdminOut],
    summary="Every user",
    tag="admin",
)
async def list_users(req: ApiRequest) -> list[dict[str, Any]]:
    return [_user_out(u) for u in await req.ctx.users.list()]


@api.route(
    "POST",
    "/api/users",
    roles=ADMINS,
    body=UserIn,
    response=UserAdminOut,
    status=201,
    summary="Create a user",
    tag="admin",
)
async def create_user(req: ApiRequest) -> dict[str, Any]:
    body = req.body(UserIn)
    try:
        user = await req.ctx.users.add(
            body.username, body.password, body.role, display_name=body.display_name
        )
    except UserError as exc:
        status, code = (409, "conflict") if "taken" in str(exc) else (422, "invalid_request")
        raise ApiError(status, code, str(exc)) from None
    log.info("web.user_created", username=user.username, role=user.role.value, by=req.user.username)
    warning = unconfigured_agent(user.username, user.role.value, req.ctx.settings.acd)
    return {**_user_out(user), "warning": warning}


@api.route(
    "PATCH",
    "/api/users/{username}",
    roles=ADMINS,
    body=UserPatchIn,
    response=UserAdminOut,
    summary="Change a user's role, name, password or activity",
    tag="admin",
)
async def edit_user(req: ApiRequest) -> dict[str, Any]:
    username = req.path("username")
    changes = req.body(UserPatchIn).model_dump(exclude_unset=True)
    if username == req.user.username and (
        changes.get("active") is False or changes.get("role") not in (None, "admin")
    ):
        raise ApiError(409, "illegal_transition", "you cannot demote or deactivate yourself")
    try:
        user = await req.ctx.users.update(username, **changes)
    except UserError as exc:
        status = 404 if "no user" in str(exc) or "unknown user" in str(exc) else 422
        raise ApiError(
            status, "not_found" if status == 404 else "invalid_request", str(exc)
        ) from None
    if set(changes) - {"display_name"}:
        ended = await req.ctx.sessions.end_user(username, _why_signed_out(changes))
        log.info(
            "web.user_changed",
            username=username,
            fields=sorted(changes),
            sessions_ended=ended,
            by=req.user.username,
        )
    return _user_out(user)


def _why_signed_out(changes: dict[str, Any]) -> str:
    """What the user is told when an admin's change ends their sessions."""
    if changes.get("active") is False:
        return "your account was deactivated"
    if changes.get("password") is not None:
        return "your password was changed"
    return "your account was changed"


@api.route(
    "GET",
    "/api/admin/config",
    roles=ADMINS,
    response=dict[str, Any],
    summary="The configuration in force (secrets masked)",
    tag="admin",
)
async def show_config(req: ApiRequest) -> dict[str, Any]:
    data: dict[str, Any] = req.ctx.settings.model_dump(mode="json")
    for server in data.get("asterisk", {}).get("servers", []):
        if server.get("secret") is not None:
            server["secret"] = "***"  # noqa: S105 - the mask, not a secret
    return data


@api.route(
    "POST",
    "/api/admin/reload-flows",
    roles=ADMINS,
    response=ReloadOut,
    summary="Store the changed IVR flow files as new versions and run them (the running "
    "flows stay if the new ones are broken)",
    tag="admin",
)
async def reload_flows(req: ApiRequest) -> ReloadOut:
    if req.ctx.flows is not None:
        problems = await import_flow_files(req)
        return ReloadOut(reloaded=not problems, problems=problems)
    reload = req.ctx.reload_flows
    if reload is None:
        raise ApiError(503, "unavailable", "this server runs no IVR")
    problems = reload()
    log.info("web.flows_reload", ok=not problems, by=req.user.username)
    return ReloadOut(reloaded=not problems, problems=problems)
