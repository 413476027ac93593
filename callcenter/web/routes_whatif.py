"""What-if (issue 16): a past day replayed under the configuration in force and a changed one.

Strategy: the day comes from the event log (`callcenter.reports.day_from_log`: each call's
arrival, queue, priority, skills, patience and talk, and the agents' staffing), the replay
is the pure ACD's (`acd.whatif.compare`), so a change is tried on the calls the center
really had before it is applied. The change is a whole ACD document (checked as `PUT
/api/config/acd` checks it: 422 naming every bad key) or a stored version. A day of 20,000
calls replays in about 1.5 s (benchmarks/whatif.py); the replay runs in a worker thread so
that the event loop keeps serving calls meanwhile. Supervisors see only their queues.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from acd.whatif import QueueComparison, QueueInterval, compare
from callcenter.db import ConfigInvalid, VersionNotFound
from callcenter.db.config_versions import validate_acd
from callcenter.reports.day_from_log import day_from_log
from callcenter.web.endpoint import STAFF, Api, ApiRequest
from callcenter.web.errors import ApiError
from callcenter.web.routes_config import current_version, invalid_document
from callcenter.web.schemas import WhatIfFigures, WhatIfIn, WhatIfOut

api = Api()
_FIGURES = tuple(WhatIfFigures.model_fields)


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


@api.route(
    "POST",
    "/api/whatif",
    roles=STAFF,
    body=WhatIfIn,
    response=WhatIfOut,
    summary="Replay a past day under the configuration in force and a changed one",
    tag="config",
)
async def what_if(req: ApiRequest) -> dict[str, Any]:
    body = req.body(WhatIfIn)
    tz = ZoneInfo(req.ctx.settings.ivr.timezone)
    today = datetime.now(tz).date()
    if body.day >= today:
        raise ApiError(
            422,
            "invalid_request",
            f"day must be a past day (before {today.isoformat()}, {tz.key})",
            [{"field": "day", "problem": "not a past day", "in": "body"}],
        )
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
    since = datetime.combine(body.day, time(0), tzinfo=tz)
    day = await day_from_log(req.ctx.events, since=since, until=since + timedelta(days=1))
    comparison = await asyncio.to_thread(compare, day, validate_acd(current.document), changed)
    user = req.user
    return {
        "day": body.day,
        "timezone": tz.key,
        "current_version": current.version,
        "changed_version": body.version,
        "calls": len(day.calls),
        "totals": [_row(p) for p in comparison.totals if user.sees_queue(p.queue)],
        "intervals": [_row(p) for p in comparison.intervals if user.sees_queue(p.queue)],
        "refused": list(comparison.changed.refused),
    }
