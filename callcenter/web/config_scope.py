"""Who may change what in the ACD configuration, and the checks a document needs beyond its
own models (issue 16).

Strategy: admins change anything. A supervisor changes only what concerns their queues
(`web.supervisor_queues`, or every queue when they have no entry there):

- the settings of a queue in their scope (strategy, skills, timings, overflow,
  announcements ...), not its name;
- which of their queues an agent serves, and the skill levels of an agent who serves one of
  their queues (before or after the change);

nothing else: no queue or agent added, removed or renamed, no agent's name, phone or server,
no other queue, no key outside the queues and agents. A change (or a rollback) that touches
anything else is refused whole with 403, naming the first key outside their scope; nothing
is stored. The documents are compared after validation (defaults filled in), so a client
that leaves a default out does not "change" it; a document that does not validate is left
to the store, which answers 422 naming every bad key.

Beyond the models: an agent's `server` must name a server of the settings file
(`asterisk.servers`), which the document's models cannot see: 422 naming
`document.agents[i].server`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from acd import AcdSettings
from callcenter.db import ConfigInvalid, Role
from callcenter.db.config_versions import validate_acd
from callcenter.web.endpoint import ApiRequest
from callcenter.web.errors import ApiError

ACD_KEYS = frozenset(AcdSettings.model_fields)
AGENT_FIELDS_FOR_SUPERVISORS = frozenset({"queues", "skills"})
"""What a supervisor may change of an agent (within their queues)."""


def check_change(req: ApiRequest, before: Mapping[str, Any], after: Any, *, status: int) -> None:
    """Raise the `ApiError` that refuses the change from document `before` to `after` by
    the user of `req`; nothing when it may go ahead. A problem only the whole document's
    validation can name (a bad type, a missing key) is left to the store. `status` is the
    status of a server the settings file does not know (422 for a PUT, 409 for a rollback,
    where nothing the user sent is wrong)."""
    try:
        new = validate_acd(after)
    except ConfigInvalid:
        return  # the store names every bad key (422); nothing is stored
    _check_servers(req, new, status)
    if req.user.role is Role.ADMIN:
        return
    try:
        old = validate_acd(before)
    except ConfigInvalid:
        # The version in force no longer validates (a model got stricter): only an admin
        # can tell what a change of it touches.
        raise ApiError(
            403, "forbidden", "the configuration in force must be repaired by an admin first"
        ) from None
    problem = supervisor_problem(req.user.queues, before, after, old, new)
    if problem is not None:
        key, why = problem
        raise ApiError(
            403,
            "forbidden",
            f"{key}: {why}",
            [{"field": key, "problem": why, "in": "body"}],
        )


def _check_servers(req: ApiRequest, acd: AcdSettings, status: int) -> None:
    known = [server.name for server in req.ctx.settings.asterisk.servers]
    details = []
    for index, agent in enumerate(acd.agents):
        if agent.server is not None and agent.server not in known:
            listed = ", ".join(known) if known else "none is configured"
            details.append(
                {
                    "field": f"document.agents[{index}].server",
                    "problem": f"no Asterisk server is named {agent.server!r} "
                    f"(asterisk.servers: {listed})",
                    "in": "body",
                }
            )
    if details:
        message = "; ".join(f"{d['field']}: {d['problem']}" for d in details)
        code = "invalid_request" if status == 422 else "conflict"
        raise ApiError(status, code, message, details)


def supervisor_problem(
    scope: frozenset[str] | None,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    old: AcdSettings,
    new: AcdSettings,
) -> tuple[str, str] | None:
    """The first key (`document.<path>`) a supervisor overseeing `scope` (None: every
    queue) may not change from `old` to `new`, and why; None when all is theirs."""
    mine = scope if scope is not None else frozenset(q.name for q in old.queues)
    for key in sorted((set(before) | set(after)) - ACD_KEYS):
        if before.get(key) != after.get(key):
            return f"document.{key}", "supervisors may change only queues and agents"
    old_acd = old.model_dump(mode="json")
    new_acd = new.model_dump(mode="json")
    for key in sorted(ACD_KEYS - {"queues", "agents"}):
        if old_acd[key] != new_acd[key]:
            return f"document.{key}", "supervisors may change only queues and agents"
    if [q.name for q in old.queues] != [q.name for q in new.queues]:
        return "document.queues", "supervisors may not add, remove, rename or reorder queues"
    for index, (queue, changed) in enumerate(zip(old.queues, new.queues, strict=True)):
        if queue != changed and queue.name not in mine:
            return f"document.queues[{index}]", f"queue {queue.name!r} is not one of yours"
    if [a.id for a in old.agents] != [a.id for a in new.agents]:
        return "document.agents", "supervisors may not add, remove or rename agents"
    for index, (was, now) in enumerate(zip(old.agents, new.agents, strict=True)):
        where = f"document.agents[{index}]"
        for field in sorted(set(type(was).model_fields) - AGENT_FIELDS_FOR_SUPERVISORS):
            if getattr(was, field) != getattr(now, field):
                return f"{where}.{field}", "supervisors may change only queues and skills"
        moved = set(was.queues) ^ set(now.queues)
        outside = sorted(moved - mine)
        if outside:
            return f"{where}.queues", f"queue {outside[0]!r} is not one of yours"
        serves_mine = bool(mine & (set(was.queues) | set(now.queues)))
        if was.skills != now.skills and not serves_mine:
            return (
                f"{where}.skills",
                f"agent {was.id!r} serves none of your queues ({', '.join(sorted(mine))})",
            )
    return None
