"""The ACD configuration as data (issue 16): read it, change it, list and roll back versions.

Strategy: supervisors and admins read the configuration in force and its history; admins
change it, supervisors only what concerns their queues (`config_scope`: 403 naming the
key). A change is the whole document (as `GET /api/config/acd` shows it),
validated by the same models as the settings file: a bad document is a 422 naming every
bad key (`document.queues[1].ring_timeout_seconds`) and stores nothing. A good one is
stored and applied to the running ACD in one step: the new version is written, the live
center applies it (`ConfigurationChanged`, an input of the core like any other, so the
event log records when it took effect), and only then is the version committed. A change
the core refuses (it would lose a waiting call, say) leaves no version behind and is a
409 with the core's reason. A rollback is a new version equal to an older one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError

from acd import AcdError, ConfigurationChanged
from callcenter.db import (
    ConfigConflict,
    ConfigInvalid,
    StoredVersion,
    VersionNotFound,
)
from callcenter.db.config_versions import Apply
from callcenter.web.config_scope import check_change
from callcenter.web.endpoint import STAFF, Api, ApiRequest
from callcenter.web.errors import ApiError
from callcenter.web.schemas import ConfigIn, ConfigVersionOut, ConfigVersionsQuery, RollbackIn

log = structlog.get_logger(__name__)
api = Api()


def _out(version: StoredVersion, *, document: bool) -> dict[str, Any]:
    return {
        "version": version.version,
        "author": version.author,
        "created_at": version.created_at,
        "comment": version.comment,
        "summary": version.summary,
        "changes": [change.as_json() for change in version.changes],
        "document": version.document if document else None,
    }


async def current_version(req: ApiRequest) -> StoredVersion:
    """The version in force (stored as version 1 first where only a bare web runs)."""
    current = await req.ctx.config_versions.current()
    if current is None:
        # The service stores version 1 at its start; only a bare web (no service) lacks it.
        current = await req.ctx.config_versions.seed(req.ctx.seed_center())
    return current


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


@api.route(
    "GET",
    "/api/config/acd",
    roles=STAFF,
    response=ConfigVersionOut,
    summary="The ACD configuration in force (the newest version) with its version",
    tag="config",
)
async def show_acd(req: ApiRequest) -> dict[str, Any]:
    return _out(await current_version(req), document=True)


@api.route(
    "GET",
    "/api/config/versions",
    roles=STAFF,
    query=ConfigVersionsQuery,
    response=list[ConfigVersionOut],
    summary="The versions of the ACD configuration, newest first (author, time, diff)",
    tag="config",
)
async def list_versions(req: ApiRequest) -> list[dict[str, Any]]:
    await current_version(req)
    limit = req.query(ConfigVersionsQuery).limit
    return [_out(v, document=False) for v in await req.ctx.config_versions.list(limit)]


@api.route(
    "GET",
    "/api/config/versions/{n}",
    roles=STAFF,
    response=ConfigVersionOut,
    summary="One version of the ACD configuration, whole, with its diff",
    tag="config",
)
async def show_version(req: ApiRequest) -> dict[str, Any]:
    number = _version_number(req)
    try:
        version = await req.ctx.config_versions.get(number)
    except VersionNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    return _out(version, document=True)


@api.route(
    "PUT",
    "/api/config/acd",
    roles=STAFF,
    body=ConfigIn,
    response=ConfigVersionOut,
    summary="Store and apply a new ACD configuration (422 naming each bad key; 409 if the "
    "running center refuses it or another change came first; nothing stored then)",
    tag="config",
)
async def change_acd(req: ApiRequest) -> dict[str, Any]:
    body = req.body(ConfigIn)
    before = await current_version(req)
    # A supervisor changes only their queues (403 naming the key); servers must exist.
    check_change(req, before.document, body.document, status=422)
    try:
        stored = await _store_and_apply(
            req,
            before,
            lambda apply: req.ctx.config_versions.save(
                body.document,
                req.user.username,
                body.comment,
                base_version=body.base_version,
                apply=apply,
            ),
        )
    except ConfigInvalid as exc:
        raise invalid_document(exc) from None
    except ConfigConflict as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except AcdError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return _done(req, before, stored)


@api.route(
    "POST",
    "/api/config/versions/{n}/rollback",
    roles=STAFF,
    body=RollbackIn,
    response=ConfigVersionOut,
    summary="Restore version n as a new version, applied at once (history is kept whole)",
    tag="config",
)
async def rollback(req: ApiRequest) -> dict[str, Any]:
    number = _version_number(req)
    before = await current_version(req)
    comment = req.body(RollbackIn).comment
    try:
        target = await req.ctx.config_versions.get(number)
    except VersionNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    check_change(req, before.document, target.document, status=409)
    try:
        stored = await _store_and_apply(
            req,
            before,
            lambda apply: req.ctx.config_versions.rollback(
                number, req.user.username, comment, apply=apply
            ),
        )
    except VersionNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except ConfigInvalid as exc:
        raise ApiError(
            409, "conflict", f"version {number} is no longer valid and cannot be restored: {exc}"
        ) from None
    except (ConfigConflict, AcdError) as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return _done(req, before, stored)


async def _store_and_apply(
    req: ApiRequest,
    before: StoredVersion,
    store: Callable[[Apply], Awaitable[StoredVersion]],
) -> StoredVersion:
    """Run `store` with the live apply as its step before the commit. Should the commit
    fail after the core took the change, the version in force before is applied again,
    so the running center never runs a version the database does not hold."""
    applied: list[StoredVersion] = []

    async def apply(version: StoredVersion) -> None:
        await _apply(req, version)
        applied.append(version)

    try:
        return await store(apply)
    except SQLAlchemyError as exc:
        log.error("config.store_failed", error=str(exc).splitlines()[0], applied=bool(applied))
        if applied:
            try:
                await _apply(req, before)
            except AcdError as undo:
                log.error("config.restore_failed", version=before.version, error=str(undo))
        raise ApiError(
            503,
            "unavailable",
            f"the database did not store the change; version {before.version} stays in force",
        ) from None


async def _apply(req: ApiRequest, version: StoredVersion) -> None:
    """Apply `version` to the running ACD (inside the storing transaction): a dialled
    number naming a flow the IVR does not have (`ConfigInvalid`) and the core's refusal
    propagate, and the version is not committed."""
    problems = req.ctx.check_center(version.center)
    if problems:
        raise ConfigInvalid(problems)
    settings = version.settings
    await req.ctx.center.host.request(
        lambda now: ConfigurationChanged(now, settings, version.version)
    )


def _done(req: ApiRequest, before: StoredVersion, stored: StoredVersion) -> dict[str, Any]:
    if stored.version != before.version:
        req.ctx.adopt_center(stored.center)
        log.info(
            "config.acd_changed",
            version=stored.version,
            by=req.user.username,
            changes=len(stored.changes),
            summary=stored.summary,
        )
    return _out(stored, document=True)


def invalid_document(exc: ConfigInvalid) -> ApiError:
    """The 422 naming every bad key of a refused document (`document.<key>`)."""
    details = [
        {"field": f"document.{p.key}" if p.loc else "document", "problem": p.message, "in": "body"}
        for p in exc.problems
    ]
    message = "invalid body: " + "; ".join(f"{d['field']}: {d['problem']}" for d in details)
    return ApiError(422, "invalid_request", message, details)
