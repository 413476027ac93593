"""The IVR flows as data (issue 16): list, read, upload, activate and import versions.

Strategy: supervisors and admins read the flows in force, their versions (author, time,
comment, diff) and each version's text and tree (as `callcenter flows check` draws it);
admins change them. An upload is the flow's whole YAML text, checked with the other
active flows exactly as `flows check` checks files (`FlowCatalog`): a refused one is a
422 with one entry in `details` per problem, each naming the line and the node besides
the message `flows check` prints, and nothing is stored or changed. A good one is stored
as the flow's next version and runs at once for new calls (calls in a flow finish on the
flow they started with). `base_version` refuses a stale edit (409). Activating an older
version stores a new version equal to it. Flows are not deleted here: a flow that a route
or another flow names must stay, and one nobody names is harmless (`used_by` shows who
names each flow).
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError

from callcenter.db.flow_versions import (
    MAX_COMMENT,
    MAX_TEXT,
    FlowConflict,
    FlowNotFound,
    FlowVersions,
    StoredFlow,
    check_flow_name,
)
from callcenter.ivr.catalog import FlowCatalog, Tree, draw_tree
from callcenter.ivr.loader import FLOW_SUFFIX, FlowLoadError
from callcenter.web.endpoint import ADMINS, STAFF, Api, ApiRequest
from callcenter.web.errors import ApiError
from callcenter.web.schemas import MAX_ID

log = structlog.get_logger(__name__)
api = Api()


class FlowUploadIn(BaseModel):
    """A new version of a flow: its whole YAML text (kept exactly as sent)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_TEXT)
    comment: str = Field("", max_length=MAX_COMMENT)
    base_version: int | None = Field(None, ge=0, le=MAX_ID)
    """The active version this text was edited from (0: a new flow); refused (409) if
    another version is active now."""


class FlowActivateIn(BaseModel):
    """Why an older version is put back in force."""

    model_config = ConfigDict(extra="forbid")

    comment: str = Field("", max_length=MAX_COMMENT)


class FlowVersionOut(BaseModel):
    """One version of one flow; `text` and the tree only where one version is shown."""

    flow: str
    version: int
    active: bool
    author: str
    created_at: datetime
    comment: str
    summary: str
    diff: str
    text: str | None = None
    tree: list[str] | None = None
    tree_problems: list[str] | None = None


class FlowOut(BaseModel):
    """A flow with its active version and who names it (routes, other flows)."""

    flow: str
    version: int
    author: str
    created_at: datetime
    comment: str
    summary: str
    used_by: list[str]


class FlowImportOut(BaseModel):
    """The versions an import of the flow files stored (none: no file changed)."""

    stored: list[FlowVersionOut]


def _catalog(req: ApiRequest) -> FlowCatalog:
    if req.ctx.flows is None:
        raise ApiError(503, "unavailable", "this server runs no IVR")
    return req.ctx.flows


def _versions(req: ApiRequest) -> FlowVersions:
    if req.ctx.flow_versions is None:
        raise ApiError(503, "unavailable", "this server stores no IVR flows")
    return req.ctx.flow_versions


async def _tree(req: ApiRequest, version: StoredFlow) -> Tree:
    if req.ctx.flows is not None:
        return await req.ctx.flows.tree(version)
    return draw_tree(version, Path(f"{version.flow}{FLOW_SUFFIX}"))


def _out(version: StoredFlow, active: int, tree: Tree | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "flow": version.flow,
        "version": version.version,
        "active": version.version == active,
        "author": version.author,
        "created_at": version.created_at,
        "comment": version.comment,
        "summary": version.summary,
        "diff": version.diff,
    }
    if tree is not None:
        out["text"] = version.text
        out["tree"] = tree.lines
        out["tree_problems"] = [p.text for p in tree.problems]
    return out


def _name(req: ApiRequest) -> str:
    raw = req.path("name")
    try:
        return check_flow_name(raw)
    except ValueError as exc:
        raise ApiError(
            422, "invalid_request", str(exc), [{"field": "name", "problem": str(exc), "in": "path"}]
        ) from None


def _version_number(req: ApiRequest) -> int:
    raw = req.path("n")
    # isascii: "²" and other Unicode digits pass isdigit() but not int().
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18 or int(raw) < 1:
        raise ApiError(
            422,
            "invalid_request",
            f"n must be a version number (1, 2, ...), got {raw!r}",
            [{"field": "n", "problem": "not a version number", "in": "path"}],
        )
    return int(raw)


def refused_flows(name: str | None, error: FlowLoadError) -> ApiError:
    """The 422 of a refused change: per problem the message `flows check` prints, and its
    flow, line, node and key apart (`field` is `text` for the uploaded flow's own
    problems; `problem` is the problem alone, without where)."""
    details = [
        {
            "field": "text" if p.flow == name else f"flows.{p.flow}" if p.flow else "flows",
            "problem": p.problem or p.text,
            "in": "body",
            "flow": p.flow,
            "line": p.line,
            "node": p.node,
            "key": p.key,
            "message": p.text,
        }
        for p in error.problems
    ]
    count = len(details)
    message = f"{count} problem{'s' if count != 1 else ''}; nothing was stored: " + "; ".join(
        p.text for p in error.problems
    )
    return ApiError(422, "invalid_request", message, details)


async def _store(name: str | None, change: Awaitable[Any]) -> Any:
    """Run a change of flow `name` (None: several), turning its refusals into answers
    (nothing stored for any)."""
    try:
        return await change
    except FlowLoadError as exc:
        raise refused_flows(name, exc) from None
    except FlowConflict as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except FlowNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except ValueError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    except SQLAlchemyError as exc:
        log.error("flows.store_failed", error=str(exc).splitlines()[0])
        raise ApiError(
            503, "unavailable", "the database did not store the change; the flows stay as they were"
        ) from None


@api.route(
    "GET",
    "/api/flows",
    roles=STAFF,
    response=list[FlowOut],
    summary="The IVR flows with their active versions and who names each",
    tag="flows",
)
async def list_flows(req: ApiRequest) -> list[dict[str, Any]]:
    catalog = req.ctx.flows
    return [
        {
            "flow": name,
            "version": v.version,
            "author": v.author,
            "created_at": v.created_at,
            "comment": v.comment,
            "summary": v.summary,
            "used_by": [] if catalog is None else catalog.users_of(name),
        }
        for name, v in (await _versions(req).active()).items()
    ]


@api.route(
    "GET",
    "/api/flows/{name}/versions",
    roles=STAFF,
    response=list[FlowVersionOut],
    summary="The versions of a flow, newest first (author, time, comment, diff)",
    tag="flows",
)
async def list_versions(req: ApiRequest) -> list[dict[str, Any]]:
    name = _name(req)
    try:
        versions = await _versions(req).history(name, limit=200)
    except FlowNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    return [_out(v, versions[0].version) for v in versions]


@api.route(
    "GET",
    "/api/flows/{name}/versions/{n}",
    roles=STAFF,
    response=FlowVersionOut,
    summary="One version of a flow: its text, diff and tree (as `flows check` draws it)",
    tag="flows",
)
async def show_version(req: ApiRequest) -> dict[str, Any]:
    name, number = _name(req), _version_number(req)
    store = _versions(req)
    try:
        version = await store.get(name, number)
        active = await store.get(name)
    except FlowNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    return _out(version, active.version, await _tree(req, version))


@api.route(
    "PUT",
    "/api/flows/{name}",
    roles=ADMINS,
    body=FlowUploadIn,
    response=FlowVersionOut,
    summary="Upload a flow's YAML text as its next version and run it (422 naming line and "
    "node of each problem, 409 on a stale base_version; nothing stored then)",
    tag="flows",
)
async def upload(req: ApiRequest) -> dict[str, Any]:
    name = _name(req)
    catalog = _catalog(req)
    body = req.body(FlowUploadIn)
    stored: StoredFlow = await _store(
        name,
        catalog.upload(
            name, body.text, req.user.username, body.comment, base_version=body.base_version
        ),
    )
    log.info("flows.uploaded", flow=name, version=stored.version, by=req.user.username)
    return _out(stored, stored.version, await catalog.tree(stored))


@api.route(
    "POST",
    "/api/flows/{name}/versions/{n}/activate",
    roles=ADMINS,
    body=FlowActivateIn,
    response=FlowVersionOut,
    summary="Run version n of a flow again (stored as a new version; 422 if it no longer "
    "passes the checks with today's other flows)",
    tag="flows",
)
async def activate(req: ApiRequest) -> dict[str, Any]:
    name, number = _name(req), _version_number(req)
    comment = req.body(FlowActivateIn).comment
    try:
        await _versions(req).get(name, number)
    except FlowNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    catalog = _catalog(req)
    stored: StoredFlow = await _store(
        name, catalog.activate(name, number, req.user.username, comment)
    )
    log.info("flows.activated", flow=name, version=number, now=stored.version, by=req.user.username)
    return _out(stored, stored.version, await catalog.tree(stored))


@api.route(
    "POST",
    "/api/flows/import",
    roles=ADMINS,
    response=FlowImportOut,
    summary="Store the flow files of ivr.flows_dir that differ from the active versions as "
    "new versions and run them (422 naming line and node; nothing stored then)",
    tag="flows",
)
async def import_files(req: ApiRequest) -> dict[str, Any]:
    catalog = _catalog(req)
    stored: list[StoredFlow] = await _store(None, catalog.import_files(req.user.username))
    log.info("flows.imported", flows={v.flow: v.version for v in stored}, by=req.user.username)
    return {"stored": [_out(v, v.version) for v in stored]}


async def import_flow_files(req: ApiRequest) -> list[str]:
    """The admin page's former reload: import the changed files; the problems, if any."""
    try:
        await import_files(req)
    except ApiError as exc:
        details = [d.get("message", d.get("problem", "")) for d in exc.details]
        return details or [exc.message]
    return []
