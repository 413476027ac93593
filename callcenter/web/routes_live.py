"""Live state: agents' states, queues, waiting calls, screen pops and supervisor actions.

Strategy: reads come straight from the ACD host's views (the core is only changed inside
its task, and a read between two inputs is consistent); changes go through
`AcdHost.request`, so a request and the telephony facts keep one order and an illegal
request comes back as the core's own error (409 with its message). Scope rules: an agent
sees and changes only themselves and opens only the pops of calls offered to them; a
supervisor sees and acts on the agents and calls of their queues.
"""

from __future__ import annotations

from acd import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    CallMoveRequested,
    CallState,
    Event,
)
from callcenter.db import Role
from callcenter.live import JSON
from callcenter.live.views import call_json
from callcenter.web.endpoint import EVERYONE, STAFF, Api, ApiRequest
from callcenter.web.errors import ApiError
from callcenter.web.schemas import (
    AgentOut,
    CallOut,
    MoveIn,
    PublicConfigOut,
    QueueOut,
    SpyIn,
    SpyOut,
    StateChangeIn,
)

api = Api()


def _check_agent_access(req: ApiRequest, agent_id: str) -> None:
    user = req.user
    if user.role is Role.AGENT and user.agent_id != agent_id:
        raise ApiError(403, "forbidden", "agents may only see and change their own state")
    agent = next((a for a in req.ctx.settings.acd.agents if a.id == agent_id), None)
    if agent is None:
        raise ApiError(404, "not_found", f"no agent {agent_id!r} is configured")
    if (
        user.queues is not None
        and user.role is not Role.AGENT
        and not user.queues.intersection(agent.queues)
    ):
        raise ApiError(403, "forbidden", f"agent {agent_id!r} works none of your queues")


@api.route(
    "GET",
    "/api/agents/{agent_id}",
    roles=EVERYONE,
    response=AgentOut,
    summary="An agent's live state",
    tag="agents",
)
async def get_agent(req: ApiRequest) -> JSON:
    agent_id = req.path("agent_id")
    _check_agent_access(req, agent_id)
    return req.ctx.center.agents.agent(agent_id)


@api.route(
    "POST",
    "/api/agents/{agent_id}/state",
    roles=EVERYONE,
    body=StateChangeIn,
    response=AgentOut,
    summary="Log in, go ready, pause with a reason or log out",
    tag="agents",
)
async def change_state(req: ApiRequest) -> JSON:
    agent_id = req.path("agent_id")
    _check_agent_access(req, agent_id)
    body = req.body(StateChangeIn)
    center = req.ctx.center
    reason = body.reason
    if body.state == "not_ready":
        known = center.host.settings.pause_reasons
        if reason is None:
            raise ApiError(422, "invalid_request", f"not ready needs a reason: {', '.join(known)}")

    def make(now: float) -> Event:
        if body.state == "logged_in":
            return AgentLoggedIn(now, agent_id)
        if body.state == "ready":
            return AgentReady(now, agent_id)
        if body.state == "not_ready":
            return AgentPaused(now, agent_id, str(reason))
        return AgentLoggedOut(now, agent_id)

    await center.host.request(make)
    return center.agents.agent(agent_id)


@api.route(
    "GET",
    "/api/live/queues",
    roles=EVERYONE,
    response=list[QueueOut],
    summary="Live figures of the queues you see",
    tag="live",
)
async def live_queues(req: ApiRequest) -> list[JSON]:
    feed = req.ctx.center.wallboard
    snapshot = feed.snapshot(req.user.queues)
    return list(snapshot["queues"])


@api.route(
    "GET",
    "/api/live/agents",
    roles=STAFF,
    response=list[AgentOut],
    summary="Every agent of your queues, live",
    tag="live",
)
async def live_agents(req: ApiRequest) -> list[JSON]:
    return list(req.ctx.center.wallboard.snapshot(req.user.queues)["agents"])


@api.route(
    "GET",
    "/api/live/calls",
    roles=STAFF,
    response=list[CallOut],
    summary="Calls waiting in your queues",
    tag="live",
)
async def live_calls(req: ApiRequest) -> list[JSON]:
    return list(req.ctx.center.wallboard.snapshot(req.user.queues)["calls"])


@api.route(
    "GET",
    "/api/config/public",
    roles=EVERYONE,
    response=PublicConfigOut,
    summary="Pause reasons, dispositions, queues, ticket choices, time zone, agent names",
    tag="live",
)
async def public_config(req: ApiRequest) -> PublicConfigOut:
    settings = req.ctx.settings
    return PublicConfigOut(
        pause_reasons=list(settings.acd.pause_reasons),
        dispositions=list(settings.web.dispositions),
        queues=[q.name for q in settings.acd.queues if req.user.sees_queue(q.name)],
        ticket_categories=sorted(settings.cti.ticket_promises_h),
        ticket_statuses=["open", "in_progress", "resolved", "confirmed", "reopened"],
        timezone=settings.ivr.timezone,
        agents={
            a.id: a.name or a.id
            for a in settings.acd.agents
            if any(req.user.sees_queue(q) for q in a.queues)
        },
    )


@api.route(
    "GET",
    "/api/pops/{call_id}",
    roles=EVERYONE,
    response=dict[str, object],
    summary="The screen pop of a call (agents: only calls offered to them)",
    tag="live",
)
async def get_pop(req: ApiRequest) -> JSON:
    call_id = req.path("call_id")
    center = req.ctx.center
    user = req.user
    if user.agent_id is not None and not center.calls.was_offered_to(call_id, user.agent_id):
        raise ApiError(403, "forbidden", f"call {call_id!r} was not offered to you")
    info = center.calls.get(call_id)
    if info is None:
        raise ApiError(404, "not_found", f"no live call {call_id!r}")
    if user.agent_id is None and not user.sees_queue(info.queue):
        raise ApiError(403, "forbidden", f"call {call_id!r} is not in your queues")
    pop = await center.pops.pop_for(call_id)
    if pop is None:
        raise ApiError(404, "not_found", f"no live call {call_id!r}")
    return pop


@api.route(
    "POST",
    "/api/calls/{call_id}/move",
    roles=STAFF,
    body=MoveIn,
    response=CallOut,
    summary="Move a waiting call to another queue",
    tag="supervisor",
)
async def move_call(req: ApiRequest) -> JSON:
    call_id = req.path("call_id")
    target = req.body(MoveIn).queue
    center = req.ctx.center
    view = center.host.acd.call_view(call_id, center.host.now())
    if view is None:
        raise ApiError(404, "not_found", f"no call {call_id!r} in any queue")
    for queue in (view.queue, target):
        if not req.user.sees_queue(queue):
            raise ApiError(403, "forbidden", f"queue {queue!r} is not one of yours")
    await center.host.request(lambda now: CallMoveRequested(now, call_id, target))
    moved = center.host.acd.call_view(call_id, center.host.now())
    if moved is None:
        raise ApiError(409, "illegal_transition", f"call {call_id!r} left while being moved")
    return call_json(moved, center.calls)


@api.route(
    "POST",
    "/api/calls/{call_id}/spy",
    roles=STAFF,
    body=SpyIn,
    response=SpyOut,
    summary="Listen to, whisper to or barge into a connected call",
    tag="supervisor",
)
async def spy(req: ApiRequest) -> SpyOut:
    call_id = req.path("call_id")
    center = req.ctx.center
    view = center.host.acd.call_view(call_id, center.host.now())
    if view is None or view.state is not CallState.CONNECTED or view.agent_id is None:
        raise ApiError(409, "illegal_transition", f"call {call_id!r} is not connected to an agent")
    if not req.user.sees_queue(view.queue):
        raise ApiError(403, "forbidden", f"queue {view.queue!r} is not one of yours")
    telephony = req.ctx.telephony
    if telephony is None:
        raise ApiError(503, "unavailable", "no Asterisk is connected to ring your phone")
    endpoint = await telephony.spy(
        supervisor=req.user.username, agent_id=view.agent_id, mode=req.body(SpyIn).mode
    )
    return SpyOut(status="ringing", endpoint=endpoint)
