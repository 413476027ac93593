"""Operations endpoints: /metrics (Prometheus), /healthz (liveness), /readyz (readiness).

Strategy: plain aiohttp routes outside /api (they are for machines, not the OpenAPI
document). /metrics renders a `prometheus_client` registry holding one collector that
reads the live figures at scrape time (the ACD's queue stats, and the service's
`OpsProbe`: AMI links, FastAGI sessions, loop lag, database writer, offers Asterisk could
not place, supervised tasks and their restarts, events dropped), so the exposition
format, label escaping and HELP/TYPE lines are the library's. /healthz answers while the
event loop runs; /readyz answers 200 only while the database answers, every AMI link is
up (logged in, and its events followed by live tasks), every supervised task runs and
FastAGI listens, and 503 naming what is not, so an orchestrator sends no calls to a
backend that cannot take them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

from acd import AgentState
from callcenter.cluster.leadership import ClusterStatus, Role, standby_message
from callcenter.web.context import CONTEXT, OpsProbe, WebContext

_REGISTRY = web.AppKey("ops_registry", CollectorRegistry)


class CallCenterCollector(Collector):
    """Reads the live figures of one web context at each scrape."""

    def __init__(self, ctx: WebContext) -> None:
        """Collect from `ctx` (its live center and, when set, its `ops` probe)."""
        self._ctx = ctx

    def _cluster(self) -> Iterator[Metric]:
        if self._ctx.cluster is None:
            return
        status = self._ctx.cluster()
        yield GaugeMetricFamily(
            "callcenter_cluster_leader",
            "1 while this node leads the cluster (owns the ACD), 0 on a standby",
            1.0 if status.role is Role.LEADER else 0.0,
        )
        yield GaugeMetricFamily(
            "callcenter_cluster_term",
            "The leader's term as this node last saw it (raised at each take-over)",
            float(status.term),
        )
        info = GaugeMetricFamily(
            "callcenter_cluster_node",
            "This node: its name, role (leader, standby, fenced) and the leader it sees",
            labels=["node", "role", "leader"],
        )
        info.add_metric([status.node, str(status.role), status.leader or ""], 1.0)
        yield info
        if status.leader_heartbeat_age_s is not None:
            yield GaugeMetricFamily(
                "callcenter_cluster_leader_heartbeat_age_seconds",
                "Seconds since the leader was last heard from, as this node last read it "
                "(a standby's lag behind the leader; 0 on the leader)",
                status.leader_heartbeat_age_s,
            )

    def _relay(self) -> Iterator[Metric]:
        relay = self._ctx.relay
        if relay is None:
            return
        stats = relay.stats
        yield GaugeMetricFamily(
            "callcenter_cluster_relay_listening",
            "1 while this node hears the relay's notifications (its listening connection "
            "to PostgreSQL is open)",
            1.0 if relay.listening else 0.0,
        )
        for name, text, value in (
            ("sent", "Requests this node relayed to the leader", stats.sent),
            ("answered", "Relayed requests the leader answered", stats.answered),
            (
                "failed",
                "Relayed requests refused, expired or not answered in time",
                stats.failed,
            ),
            ("served", "Requests of the standbys this node ran while leading", stats.served),
            ("expired", "Requests this node took after their deadline (not run)", stats.expired),
            ("published", "Feed notifications this node sent to the standbys", stats.published),
        ):
            yield CounterMetricFamily(f"callcenter_cluster_relay_{name}", text, value)
        yield from self._standby_work()
        quantiles = relay.round_trip_quantiles()
        if quantiles:
            trips = GaugeMetricFamily(
                "callcenter_cluster_relay_round_trip_seconds",
                "A standby's lag behind the leader: from relaying a request to its answer "
                "(recent requests, by quantile)",
                labels=["quantile"],
            )
            for quantile, seconds in quantiles.items():
                trips.add_metric([quantile], seconds)
            yield trips

    def _standby_work(self) -> Iterator[Metric]:
        ctx = self._ctx
        if ctx.feeds is not None:
            yield GaugeMetricFamily(
                "callcenter_cluster_relayed_screens",
                "Desktops and wallboards connected to this standby, fed by the leader",
                len(ctx.feeds),
            )
        if ctx.served_screens is not None:
            yield GaugeMetricFamily(
                "callcenter_cluster_served_screens",
                "The standbys' desktops and wallboards this node feeds while it leads",
                ctx.served_screens(),
            )
        if ctx.standby_handoffs is not None:
            handed = CounterMetricFamily(
                "callcenter_cluster_standby_handoffs",
                "What this node's FastAGI handed to the leader while a standby: queued "
                "callers, callback and voicemail entries, sessions sent on untouched",
                labels=["kind"],
            )
            counts = ctx.standby_handoffs()
            for kind in ("queued", "callback", "voicemail", "sent_on"):
                handed.add_metric([kind], counts.get(kind, 0))
            yield handed
        if ctx.frozen_node_rescues is not None:
            rescued = CounterMetricFamily(
                "callcenter_cluster_frozen_node_rescues",
                "Callers this node, while leading, sent on from a frozen node's FastAGI, "
                "by that node",
                labels=["node"],
            )
            for node, count in sorted(ctx.frozen_node_rescues().items()):
                rescued.add_metric([node], count)
            yield rescued

    def collect(self) -> Iterator[Metric]:
        """The metric families, freshly read."""
        yield from self._cluster()
        yield from self._relay()
        yield from self._queues()
        ops = self._ctx.ops
        if ops is None:
            return
        ami = GaugeMetricFamily(
            "callcenter_ami_connected",
            "1 while the AMI link to the server is up",
            labels=["server"],
        )
        for server, up in sorted(ops.ami_states().items()):
            ami.add_metric([server], 1.0 if up else 0.0)
        yield ami
        yield GaugeMetricFamily(
            "callcenter_fastagi_listening", "1 while the FastAGI port is open", ops.agi_listening()
        )
        yield GaugeMetricFamily(
            "callcenter_agi_sessions", "FastAGI sessions (calls) being served", ops.agi_sessions()
        )
        refused = dict(ops.agi_refused())
        yield GaugeMetricFamily(
            "callcenter_fastagi_waiting_connections",
            "FastAGI connections that have not sent their environment yet",
            refused.pop("waiting", 0),
        )
        by_reason = CounterMetricFamily(
            "callcenter_fastagi_refused",
            "FastAGI connections closed before they became a call, by why",
            labels=["reason"],
        )
        for reason, count in sorted(refused.items()):
            by_reason.add_metric([reason], count)
        yield by_reason
        yield GaugeMetricFamily(
            "callcenter_event_loop_lag_seconds",
            "How late the event loop last ran a timer",
            ops.loop_lag(),
        )
        pending, rejected = ops.writer_stats()
        yield GaugeMetricFamily(
            "callcenter_db_writes_pending", "Writes queued for the database", pending
        )
        yield CounterMetricFamily(
            "callcenter_db_writes_rejected", "Writes the database refused", rejected
        )
        yield from _pbx(ops.pbx_health())
        yield from _tasks(ops)

    def _queues(self) -> Iterator[Metric]:
        acd = self._ctx.center.host.acd
        now = self._ctx.center.host.now()
        waiting = GaugeMetricFamily(
            "callcenter_calls_waiting", "Calls waiting in the queue", labels=["queue"]
        )
        longest = GaugeMetricFamily(
            "callcenter_longest_wait_seconds", "Age of the oldest waiting call", labels=["queue"]
        )
        level = GaugeMetricFamily(
            "callcenter_service_level_ratio",
            "Answered within the threshold / (answered + abandoned), today",
            labels=["queue"],
        )
        agents = GaugeMetricFamily(
            "callcenter_agents", "Agents of the queue by state", labels=["queue", "state"]
        )
        for queue in acd.settings.queues:
            stats = acd.queue_stats(queue.name, now)
            waiting.add_metric([queue.name], stats.calls_waiting)
            longest.add_metric([queue.name], stats.longest_wait)
            if stats.service_level is not None:
                level.add_metric([queue.name], stats.service_level)
            for state in AgentState:
                agents.add_metric([queue.name, state.value], stats.agents_by_state.get(state, 0))
        yield from (waiting, longest, level, agents)


def _pbx(health: tuple[int, bool, Mapping[str, int]]) -> Iterator[Metric]:
    in_a_row, failing, by_kind = health
    yield GaugeMetricFamily(
        "callcenter_pbx_failing",
        "1 while Asterisk cannot ring the agents (offers failing in a row: the wallboard alert)",
        1.0 if failing else 0.0,
    )
    yield GaugeMetricFamily(
        "callcenter_originate_failures_in_a_row",
        "Offers in a row Asterisk could not place (0 once it places one)",
        in_a_row,
    )
    failures = CounterMetricFamily(
        "callcenter_originate_failures",
        "Offers Asterisk could not place, by kind (no agent was paused for these)",
        labels=["kind"],
    )
    for kind, count in sorted(by_kind.items()):
        failures.add_metric([kind], count)
    yield failures


def _tasks(ops: OpsProbe) -> Iterator[Metric]:
    states = ops.tasks()
    up = GaugeMetricFamily(
        "callcenter_task_up", "1 while the supervised background task runs", labels=["task"]
    )
    restarts = CounterMetricFamily(
        "callcenter_task_restarts",
        "Times a supervised background task was started again after it crashed",
        labels=["task"],
    )
    for state in states:
        up.add_metric([state.name], 1.0 if state.up else 0.0)
        restarts.add_metric([state.name], state.restarts)
    yield up
    yield restarts
    yield GaugeMetricFamily(
        "callcenter_tasks_down",
        "Supervised background tasks not running now (crashed, waiting to restart)",
        sum(1 for state in states if not state.up),
    )
    dropped = CounterMetricFamily(
        "callcenter_ami_events_dropped",
        "Asterisk's events dropped: ami:<server> for a consumer that fell behind, "
        "a consumer's name for events it could not apply",
        labels=["where"],
    )
    for where, count in sorted(ops.events_dropped().items()):
        dropped.add_metric([where], count)
    yield dropped


async def metrics(request: web.Request) -> web.Response:
    """GET /metrics: the Prometheus text exposition format."""
    body = generate_latest(request.app[_REGISTRY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz: the process and its event loop are alive."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """GET /readyz: 200 when calls can be taken, else 503 naming what is missing."""
    ctx = request.app[CONTEXT]
    ops = ctx.ops
    cluster = None if ctx.cluster is None else ctx.cluster()
    if cluster is not None and cluster.role is not Role.LEADER:
        checks = await _standby_checks(ctx, cluster)
    elif ops is None:
        checks = {"service": "no telephony service runs in this process"}
    else:
        checks = {}
        if not await ops.db_ready():
            checks["database"] = "the database does not answer"
        states = ops.ami_states()
        down = sorted(name for name, up in states.items() if not up)
        if not states:
            checks["ami"] = "no Asterisk server is configured"
        elif down:
            checks["ami"] = f"not connected: {', '.join(down)}"
        clashes = ops.asterisk_problems()
        if clashes:
            checks["asterisk"] = "; ".join(clashes)
        if not ops.agi_listening():
            checks["fastagi"] = "the FastAGI port is not open"
        stopped = [f"{t.name} ({t.last_error})" for t in ops.tasks() if not t.up]
        if stopped:
            checks["tasks"] = f"not running: {', '.join(stopped)}"
    status = 503 if checks else 200
    body: dict[str, object] = {"ready": not checks, "problems": checks}
    if cluster is not None:
        body["cluster"] = {
            "node": cluster.node,
            "role": str(cluster.role),
            "term": cluster.term,
            "leader": cluster.leader,
            "leader_heartbeat_age_s": cluster.leader_heartbeat_age_s,
        }
    return web.json_response(body, status=status)


async def _standby_checks(ctx: WebContext, cluster: ClusterStatus) -> dict[str, str]:
    """A standby serves the web and FastAGI itself and relays to the leader: it is ready
    while the database answers, its relay hears the leader's answers, and a leader was
    heard from within the lease."""
    checks: dict[str, str] = {}
    if cluster.role is Role.FENCED:
        return {"cluster": standby_message(cluster)}
    ops, relay = ctx.ops, ctx.relay
    if ops is not None and not await ops.db_ready():
        checks["database"] = "the database does not answer"
    if relay is None or not relay.listening:
        checks["relay"] = "the relay to the leader is not listening (PostgreSQL unreachable?)"
    age = cluster.leader_heartbeat_age_s
    lease = ctx.cluster_lease_s
    if cluster.leader is None or cluster.leader == cluster.node:
        checks["cluster"] = standby_message(cluster)
    elif age is None or age > lease:
        checks["cluster"] = (
            f"the leader {cluster.leader} was last heard from "
            f"{'never' if age is None else f'{age:.1f} s ago'} (lease {lease:g} s): "
            "nothing relayed would be answered"
        )
    if ops is not None and ctx.standby_agi and not ops.agi_listening():
        checks["fastagi"] = "the FastAGI port is not open"
    return checks


async def leaderz(request: web.Request) -> web.Response:
    """GET /leaderz: 200 on the node that leads (a single node always does), 503 on a
    standby, naming the leader: what a load balancer in front of the nodes checks (it
    must not follow /readyz, which a leader also fails while Asterisk is away)."""
    status_of = request.app[CONTEXT].cluster
    if status_of is None:
        return web.json_response({"leader": True, "cluster": False})
    status = status_of()
    body = {"leader": status.role is Role.LEADER, "node": status.node, "term": status.term}
    if status.role is Role.LEADER:
        return web.json_response(body)
    return web.json_response({**body, "problem": standby_message(status)}, status=503)


def install(app: web.Application, ctx: WebContext) -> None:
    """Add the operations routes and their registry to `app`."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CallCenterCollector(ctx))
    app[_REGISTRY] = registry
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/leaderz", leaderz)
