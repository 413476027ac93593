"""The live state as JSON-ready dicts: what the API, the desktops and the wallboards show.

Strategy: one function per view, shared by the REST routes and the websocket feeds so a
screen never sees two shapes of the same thing. Enums become their values, mappings keyed
by enums become plain string keys, and phone numbers on shared screens are masked.
"""

from __future__ import annotations

from typing import Any

from acd import AgentView, CallView, QueueSettings, QueueStats
from acd.states import REQUESTS_ALLOWED_FROM, AgentRequest, AgentState
from callcenter.app.logsetup import mask_number
from callcenter.live.calls import CallRegistry

JSON = dict[str, Any]

_MOVES = (
    ("logged_in", AgentRequest.LOG_IN),
    ("ready", AgentRequest.GO_READY),
    ("not_ready", AgentRequest.PAUSE),
    ("logged_out", AgentRequest.LOG_OUT),
)
"""The states a person may ask for (`POST /api/agents/{id}/state`) and the core's request."""


def moves(state: AgentState) -> list[str]:
    """The state changes the core accepts from `state` (`acd.states.REQUESTS_ALLOWED_FROM`),
    as the API names them; ready while ready (a harmless no-op) is not offered."""
    return [
        name
        for name, request in _MOVES
        if state in REQUESTS_ALLOWED_FROM[request]
        and not (request is AgentRequest.GO_READY and state is AgentState.READY)
    ]


def queue_json(stats: QueueStats, settings: QueueSettings) -> JSON:
    """A queue's live figures (see `acd.QueueStats` for each one's definition)."""
    return {
        "queue": stats.queue,
        "calls_waiting": stats.calls_waiting,
        "callbacks_waiting": stats.callbacks_waiting,
        "calls_ringing": stats.calls_ringing,
        "longest_wait": round(stats.longest_wait, 1),
        "offered": stats.offered,
        "answered": stats.answered,
        "abandoned": stats.abandoned,
        "short_abandoned": stats.short_abandoned,
        "overflowed": stats.overflowed,
        "timed_out": stats.timed_out,
        "callback_requests": stats.callback_requests,
        "service_level": stats.service_level,
        "service_level_target": stats.service_level_target,
        "service_level_seconds": settings.service_level_seconds,
        "asa": _round(stats.asa),
        "aht": _round(stats.aht),
        "abandon_rate": stats.abandon_rate,
        "estimated_wait": _round(stats.estimated_wait),
        "agents_needed": stats.agents_needed,
        "staffed": stats.staffed,
        "occupancy": stats.occupancy,
        "arrival_rate": stats.arrival_rate,
        "agents_by_state": {state.value: n for state, n in stats.agents_by_state.items()},
        "open": stats.open,
    }


def agent_json(
    view: AgentView, name: str, wrap_up_ends: float | None, default_server: str | None = None
) -> JSON:
    """One agent's state and figures; `wrap_up_ends` is set while they wrap up; `server`
    the Asterisk server of their phone (`default_server` when their entry names none)."""
    return {
        "agent_id": view.agent_id,
        "name": name,
        "state": view.state.value,
        "reason": view.reason,
        "since": view.since,
        "time_in_state": round(view.time_in_state, 1),
        "call_id": view.call_id,
        "queues": list(view.queues),
        "calls_today": view.calls_today,
        "handled": view.handled,
        "aht": _round(view.aht),
        "occupancy": view.occupancy,
        "wrap_up_ends": wrap_up_ends,
        "moves": moves(view.state),
        "server": view.server or default_server,
    }


def call_json(view: CallView, calls: CallRegistry) -> JSON:
    """A call in line or ringing, with who is calling (number masked for shared screens)."""
    info = calls.get(view.call_id)
    return {
        "call_id": view.call_id,
        "queue": view.queue,
        "kind": view.kind.value,
        "state": view.state.value,
        "priority": view.priority,
        "position": view.position,
        "waited": round(view.waited, 1),
        "estimated_wait": _round(view.estimated_wait),
        "agent_id": view.agent_id,
        "server": view.server,
        "caller": mask_number(info.caller_number) if info and info.caller_number else None,
        "customer_name": info.customer_name if info else None,
        "tier": info.tier if info else None,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
