"""What-if (issue 16): a day replayed under the configuration in force and a changed one.

Strategy: the day comes from the event log (`callcenter.reports.day_from_log`: each call's
arrival, queue, priority, skills, patience and talk, and the agents' staffing) or is made
up from a load per queue (`day: {"synthetic": ...}`: calls per hour for each hour or
quarter hour, mean talk and patience, a seed; `acd.whatif.synthetic_day`, with every agent
of each configuration on duty all day, on the latest day of 24 hours so that hour h is
h:00). The replay is the pure ACD's (`acd.whatif.compare`), so a change is tried before it
is applied (the page applies it through `PUT /api/config/acd`). The change is a whole ACD
document (checked as `PUT /api/config/acd` checks it: 422 naming every bad key) or a
stored version; a synthetic day is checked the same way (422 naming
`day.synthetic.loads[0].aht_seconds`). A day of 20,000 calls replays in about 1.5 s
(benchmarks/whatif.py); the replay runs in a worker thread so that the event loop keeps
serving calls meanwhile, and a synthetic day is capped at `MAX_SYNTHETIC_CALLS` expected
calls. Supervisors see only their queues, and a synthetic day of theirs loads only their
queues.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from acd import AcdSettings
from acd.whatif import (
    Day,
    QueueComparison,
    QueueInterval,
    QueueLoad,
    StaffingAction,
    compare,
    shifts_of_new_agents,
    synthetic_day,
)
from callcenter.db import ConfigInvalid, VersionNotFound
from callcenter.db.config_versions import key_path, validate_acd
from callcenter.reports.day_from_log import day_from_log
from callcenter.web.auth import Principal
from callcenter.web.endpoint import STAFF, Api, ApiRequest
from callcenter.web.errors import ApiError
from callcenter.web.routes_config import current_version, invalid_document
from callcenter.web.schemas import (
    ALL_QUEUES,
    SyntheticDayIn,
    WhatIfDayIn,
    WhatIfFigures,
    WhatIfIn,
    WhatIfOut,
)

api = Api()
_FIGURES = tuple(WhatIfFigures.model_fields)
MAX_SYNTHETIC_CALLS = 50_000
"""The most calls a synthetic day may expect (over all its queues): about 4 s of replay."""
_LOADS = "day.synthetic.loads"


def _figures(row: QueueInterval | None) -> dict[str, Any] | None:
    if row is None:
        return None
    values = asdict(row)
    return {name: values[name] for name in _FIGURES}


def _row(pair: QueueComparison) -> dict[str, Any]:
    return {
        "queue": pair.queue,
        "start": datetime.fromtimestamp(pair.start, UTC),
        "current": _figures(pair.current),
        "changed": _figures(pair.changed),
    }


def _invalid(details: list[dict[str, Any]]) -> ApiError:
    message = "invalid body: " + "; ".join(f"{d['field']}: {d['problem']}" for d in details)
    return ApiError(422, "invalid_request", message, details)


def _synthetic_shape(raw: dict[str, Any]) -> SyntheticDayIn:
    """The synthetic day asked for; a 422 naming every bad key (`day.synthetic.<path>`)."""
    try:
        return WhatIfDayIn.model_validate(raw).synthetic
    except ValidationError as exc:
        details = [
            {"field": key_path(err["loc"], "day"), "problem": err["msg"], "in": "body"}
            for err in exc.errors(include_url=False, include_context=False, include_input=False)
        ]
        raise _invalid(details) from None


def _synthetic_loads(
    spec: SyntheticDayIn, current: AcdSettings, changed: AcdSettings, user: Principal
) -> list[QueueLoad]:
    """The per-queue loads of `spec` (``"*"`` spread over the queues in force that the user
    sees and that have no load of their own), in 15-minute intervals; a 422 naming the load
    whose queue is unknown, not the user's or given twice, or when the day is empty or too
    big."""
    in_force = [q.name for q in current.queues]
    known = in_force + [q.name for q in changed.queues if q.name not in in_force]
    problems: list[dict[str, Any]] = []
    given: dict[str, int] = {}
    for index, load in enumerate(spec.loads):
        field = f"{_LOADS}[{index}].queue"
        if load.queue in given:
            what = "every queue" if load.queue == ALL_QUEUES else f"queue {load.queue!r}"
            problem = f"a second load for {what} (the first is load {given[load.queue] + 1})"
        elif load.queue != ALL_QUEUES and load.queue not in known:
            problem = f"no queue is named {load.queue!r} (queues: {', '.join(known)})"
        elif load.queue != ALL_QUEUES and not user.sees_queue(load.queue):
            problem = f"queue {load.queue!r} is not one of yours"
        else:
            given.setdefault(load.queue, index)
            continue
        problems.append({"field": field, "problem": problem, "in": "body"})
    if problems:
        raise _invalid(problems)
    loads: list[QueueLoad] = []
    for load in spec.loads:
        if load.queue == ALL_QUEUES:
            names = [q for q in in_force if user.sees_queue(q) and q not in given]
        else:
            names = [load.queue]
        # A rate per hour over 24 hours or 96 quarters: each quarter gets a quarter of it.
        repeat = 96 // len(load.calls_per_hour)
        per_interval = [rate / 4 for rate in load.calls_per_hour for _ in range(repeat)]
        loads += [
            QueueLoad(
                queue=name,
                calls_per_interval=per_interval,
                mean_talk=load.aht_seconds,
                mean_patience=load.patience_seconds,
            )
            for name in names
        ]
    expected = sum(sum(load.calls_per_interval) for load in loads)
    if expected == 0:
        raise _invalid(
            [
                {
                    "field": _LOADS,
                    "problem": "every rate is 0: the day would have no calls",
                    "in": "body",
                }
            ]
        )
    if expected > MAX_SYNTHETIC_CALLS:
        raise _invalid(
            [
                {
                    "field": _LOADS,
                    "problem": f"the day would have about {expected:,.0f} calls; at most "
                    f"{MAX_SYNTHETIC_CALLS:,} (lower the rates)",
                    "in": "body",
                }
            ]
        )
    return loads


def whole_day(today: date, tz: ZoneInfo) -> date:
    """The latest day up to `today` with 24 hours on the clock (not a daylight-saving
    change): a synthetic day's hour h is then h:00 in the center's time."""
    day = today
    while True:
        start = datetime.combine(day, time(0), tzinfo=tz)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        if end.timestamp() - start.timestamp() == 86_400:
            return day
        day -= timedelta(days=1)


@api.route(
    "POST",
    "/api/whatif",
    roles=STAFF,
    body=WhatIfIn,
    response=WhatIfOut,
    summary="Replay a past or synthetic day under the configuration in force and a changed one",
    tag="config",
)
async def what_if(req: ApiRequest) -> dict[str, Any]:
    body = req.body(WhatIfIn)
    tz = ZoneInfo(req.ctx.settings.ivr.timezone)
    today = datetime.now(tz).date()
    spec: SyntheticDayIn | None = None
    if isinstance(body.day, date):
        if body.day >= today:
            raise ApiError(
                422,
                "invalid_request",
                f"day must be a past day (before {today.isoformat()}, {tz.key})",
                [{"field": "day", "problem": "not a past day", "in": "body"}],
            )
    else:
        spec = _synthetic_shape(body.day)
    if (body.document is None) == (body.version is None):
        raise ApiError(
            422,
            "invalid_request",
            "give the changed configuration as document or as a stored version, not both",
            [{"field": "document", "problem": "document or version", "in": "body"}],
        )
    current = await current_version(req)
    versions = req.ctx.config_versions
    try:
        if body.document is not None:
            changed = validate_acd(body.document)
        else:
            assert body.version is not None
            changed = validate_acd((await versions.get(body.version)).document)
    except ConfigInvalid as exc:
        raise invalid_document(exc) from None
    except VersionNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    in_force = validate_acd(current.document)
    user = req.user
    day_of = whole_day(today, tz) if spec is not None else body.day
    assert isinstance(day_of, date)
    since = datetime.combine(day_of, time(0), tzinfo=tz)
    day: Day
    if spec is None:
        day = await day_from_log(req.ctx.events, since=since, until=since + timedelta(days=1))
    else:
        loads = _synthetic_loads(spec, in_force, changed, user)
        day = synthetic_day(loads, start=since.timestamp(), seed=spec.seed)
    # Agents the change adds have no shifts in a past day's log: they work its staffed span.
    added = (
        ()
        if spec is not None
        else shifts_of_new_agents(
            day, (a.id for a in in_force.agents), (a.id for a in changed.agents)
        )
    )
    comparison = await asyncio.to_thread(
        functools.partial(
            compare,
            day,
            in_force,
            changed,
            changed_staffing=added,
            all_agents_on_duty=spec is not None,
        )
    )
    return {
        "day": day_of,
        "timezone": tz.key,
        "current_version": current.version,
        "changed_version": body.version,
        "synthetic": spec is not None,
        "added_shifts": [
            {"agent": c.agent_id, "from": datetime.fromtimestamp(c.at, UTC)}
            for c in added
            if c.action is StaffingAction.LOG_IN
        ],
        "seed": None if spec is None else spec.seed,
        "calls": len(day.calls),
        "totals": [_row(p) for p in comparison.totals if user.sees_queue(p.queue)],
        "intervals": [_row(p) for p in comparison.intervals if user.sees_queue(p.queue)],
        "refused": list(comparison.changed.refused),
    }
