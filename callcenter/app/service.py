"""The running service: the Asterisk bridge up, until a signal says stop.

Strategy: build every adapter from the settings (one AMI client per Asterisk server, one
FastAGI server), start them, say plainly what the service is waiting for, and on SIGINT or
SIGTERM shut them down in reverse order with a grace period for calls in progress. The
live center (the task owning the ACD) and the web come up once the database is ready.
The long-lived tasks that follow Asterisk's events run under one `TaskSupervisor` (a crash
is logged, the task restarted, /readyz and /metrics show it). Shutdown runs every step
even when one fails (each failure is logged), so the AMI clients are always closed and
the database writer always flushed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg  # type: ignore[import-untyped]  # (no stubs)
import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from acd import Acd
from callcenter.agi import FastAGIServer
from callcenter.ami import (
    AMIAuthenticationError,
    AMIClient,
    AMIClientOptions,
    AMIServer,
    ConnectionChanged,
    EventSubscription,
    OverflowPolicy,
)
from callcenter.app.center_config import (
    CenterConfig,
    flow_calendars,
    from_settings,
    missing_sections,
    settings_with,
)
from callcenter.app.ops import LoopLag, ServiceProbe
from callcenter.app.settings import AsteriskSettings, Settings, advertised_fastagi
from callcenter.app.tasks import TaskSupervisor, log_safely
from callcenter.app.wiring import Backend, build_backend
from callcenter.cluster.feed_relay import FeedServer, RemoteFeeds
from callcenter.cluster.fence import Fence
from callcenter.cluster.leadership import Leadership, Role
from callcenter.cluster.relay import Relay
from callcenter.cluster.web_relay import WebRelay
from callcenter.db import BatchedWriter, ConfigInvalid, make_engine, make_sessions, upgrade
from callcenter.db.config_versions import SEED_AUTHOR, ConfigProblem, as_document
from callcenter.db.flow_versions import FlowConflict, FlowVersions
from callcenter.db.reads import Reads, make_reads
from callcenter.db.web_sessions import WebSessionRows
from callcenter.ivr.catalog import FlowCatalog
from callcenter.ivr.loader import FlowLibrary, FlowLoadError
from callcenter.live.callback_schedule import ScheduledCallbacks
from callcenter.live.queue_hours import QueueHours
from callcenter.live.recovery import recover, resume_interactions
from callcenter.live.voicemail_retention import VoicemailRetention
from callcenter.live.voicemail_work import restore_contexts
from callcenter.pbx import Telephony, build_telephony
from callcenter.pbx.callback_attempts import CallbackAttempts
from callcenter.pbx.followup_calls import SCRIPT as FOLLOWUP_SCRIPT
from callcenter.pbx.followup_calls import FollowUpCalls
from callcenter.pbx.standby_agi import LeaderLink, serve_standbys
from callcenter.pbx.stuck_agi import StuckAgiRescue
from callcenter.pbx.system_names import SystemNames
from ivr_flows import FlowSet

log = structlog.get_logger(__name__)

CENTER_NEWS = "cc_center"
"""The relay channel on which a cluster's leader tells the standbys that the flows or the
center's configuration changed (payload `flows` or `config`): they load them again."""


class ServiceStartError(Exception):
    """A part the service needs cannot be brought up; the message says which and why."""


def ami_clients(settings: AsteriskSettings) -> list[AMIClient]:
    """One client per configured Asterisk server, with the configured timeouts."""
    options = AMIClientOptions(
        connect_timeout=settings.connect_timeout_s,
        action_timeout=settings.action_timeout_s,
        ping_interval=settings.ping_interval_s,
        ping_timeout=settings.ping_timeout_s,
        backoff_initial=settings.reconnect_initial_s,
        backoff_max=settings.reconnect_max_s,
        filter_events=True,
    )
    clients = []
    for srv in settings.servers:
        if srv.secret is None:
            log.error(
                "ami.secret_missing",
                server=srv.name,
                hint=f"set {srv.secret_env} to connect to {srv.host}:{srv.port}",
            )
            continue
        secret = srv.secret.get_secret_value()
        server = AMIServer(srv.name, srv.host, srv.port, srv.username, secret, srv.auth, srv.events)
        clients.append(AMIClient(server, options))
    return clients


YOUNG_COLLECTION_THRESHOLD = 5_000
"""Allocations between young-generation collections (Python's default is 700)."""


async def _written(writer: BatchedWriter, timeout: float) -> None:
    # An offer waits for its record (a cluster's write-ahead, `PbxExecutor.before_offer`);
    # a database that does not take it in time leaves the decision to the fence.
    try:
        await writer.settle(timeout=timeout)
    except TimeoutError:
        log.warning("cluster.offer_not_logged_in_time", pending=writer.pending)


def _system_names(settings: Settings, clients: list[AMIClient]) -> SystemNames:
    # Several servers: each needs a systemname of its own, or their Uniqueids meet.
    names = SystemNames([s.name for s in settings.asterisk.servers])
    for client in clients:
        names.attach(client)
    return names


def route_problems(center: CenterConfig, flows: FlowSet) -> list[ConfigProblem]:
    """The dialled numbers (and the default) of `center` that name a flow not in `flows`."""
    known = ", ".join(flows.names)
    routes = [(("default_flow",), center.default_flow)] + [
        (("dialled_numbers", number), flow) for number, flow in center.dialled_numbers.items()
    ]
    return [
        ConfigProblem(loc, f"no flow {flow!r} (the flows: {known})")
        for loc, flow in routes
        if flow not in flows
    ]


def settle_heap() -> None:
    """Once the service is up (`run`, for `serve` and `demo`): collect once, then freeze
    what is alive and collect less often. Process-wide, so not in `Service.start`.

    Why: a full collection walks every object the process holds, and the service holds
    some 100,000 that live as long as it does (modules, flows, routes, the ACD's state).
    Frozen, they are never walked again: `benchmarks/e2e_load.py` at 100 calls/s measured
    the longest pause at 213 ms before and 86 ms after, and the total time in collections
    from 1.2 s to 0.2 s per 20 s with the higher threshold. Objects that die are still
    freed at once by reference counting; only cycles created before the freeze would stay.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)


@dataclass
class Service:
    """The adapters of one running backend."""

    settings: Settings
    agi: FastAGIServer
    flows: FlowLibrary
    engine: AsyncEngine
    writer_engine: AsyncEngine
    """The batched writer's own connection: readers waiting for the pool never starve it."""
    reads: Reads
    """How the call path's lookups run (`callcenter.db.reads`)."""
    writer: BatchedWriter
    backend: Backend
    telephony: Telephony
    callback_attempts: CallbackAttempts
    """Agent-first callbacks: each attempt at the customer stored, misses tried again."""
    catalog: FlowCatalog
    """The stored flows: the IVR runs their active versions (`_flows_from_database`)."""
    queue_hours: QueueHours
    """Opens and closes the queues by their calendars (`CenterConfig.queue_hours`)."""
    ami: list[AMIClient] = field(default_factory=list)
    lag: LoopLag = field(default_factory=LoopLag)
    supervisor: TaskSupervisor = field(default_factory=TaskSupervisor)
    """Runs the long-lived tasks that follow Asterisk (restarted when they crash)."""
    followup_calls: FollowUpCalls | None = None
    """The automated follow-up calls of resolved tickets (dialled, answers recorded)."""
    _imports: set[asyncio.Task[list[str]]] = field(default_factory=set)
    """Flow imports SIGHUP started (kept referenced until they end)."""
    fence: Fence = field(default_factory=Fence)
    """What lets this process act and write (always, for a single node)."""
    leadership: Leadership | None = None
    """Several nodes (`cluster.enabled`): the lock campaign; None for a single node."""
    relay: Relay | None = None
    leading: bool = False
    """This node has taken over (its ACD runs, FastAGI hands it nothing); set at the end
    of `lead`. A standby's FastAGI relays what the IVR hands the ACD until then."""
    _center_reload: asyncio.Task[None] | None = None
    _reload_again: bool = False
    _news: set[asyncio.Task[None]] = field(default_factory=set)
    """Several nodes: what the standbys hand the leader through PostgreSQL (API requests,
    feeds, queued callers) and the leader answers; None for a single node."""
    web_relay: WebRelay | None = None
    """Several nodes: the API of a standby's browsers, relayed to the leader (and run
    there through its own web app); None for a single node."""
    stuck_agi: StuckAgiRescue | None = None
    """Several nodes: the leader's sweep for callers whose FastAGI session is on a frozen
    node (`rescued` counts them, for /metrics); None for a single node."""

    feeds: RemoteFeeds | None = None
    """Several nodes: the desktops and wallboards open on this standby, fed by the
    leader's feeds through the relay; None for a single node."""
    feed_server: FeedServer | None = None
    """Several nodes: the standbys' screens this node feeds while it leads."""

    @classmethod
    def build(cls, settings: Settings) -> Service:
        """Create (not start) every adapter the settings describe.

        The flows run are the database's (`start`); broken flow files are only logged here.
        """
        try:
            flows = FlowLibrary(settings.ivr)
        except FlowLoadError as exc:
            # The files only seed a fresh database: `start` runs the stored flows, and
            # refuses these files only if they are to be the seed.
            log.warning(
                "ivr.flow_files_broken",
                problems=list(exc.messages),
                hint="the IVR runs the flows stored in the database; these files seed only "
                "a new one",
            )
            flows = FlowLibrary(settings.ivr, FlowSet([]))
        fa = settings.fastagi
        agi = FastAGIServer(
            host=fa.host,
            port=fa.port,
            max_sessions=fa.max_sessions,
            max_sessions_per_peer=fa.max_sessions_per_peer,
            allowed_peers=fa.allowed_peers,
            env_timeout=fa.env_timeout_s,
            max_silent=fa.max_silent,
            idle_timeout=fa.idle_timeout_s,
        )
        db = settings.database
        fence = Fence()
        engine = make_engine(db.url, echo=db.echo, pool_size=db.pool_size)
        sessions = make_sessions(engine, fence=fence)
        writer_engine = make_engine(db.url, echo=db.echo, pool_size=1)
        writer = BatchedWriter(
            make_sessions(writer_engine, fence=fence),
            batch_size=db.batch_size,
            interval_s=db.batch_interval_s,
            max_pending=db.max_pending,
        )
        reads = make_reads(engine)
        backend = build_backend(settings, sessions, writer, reads=reads)
        clients = ami_clients(settings.asterisk)
        supervisor = TaskSupervisor()
        telephony = build_telephony(
            settings,
            backend.center,
            flows=flows,
            agi=agi,
            clients=clients,
            writer=writer,
            customers=backend.context.customers,
            callbacks=backend.context.callbacks,
            interactions=backend.context.interactions,
            supervisor=supervisor,
        )
        backend.context.telephony = telephony.executor
        # The pop labels the caller's answers as the flows in force say: read through the
        # library at each pop, since a reload replaces `flows.flows`.
        backend.center.pops.labels = lambda: flows.flows.pop_labels()  # noqa: PLW0108
        attempts = CallbackAttempts(
            backend.center, backend.context.callbacks, settings.telephony, supervisor=supervisor
        )
        backend.center.host.add_listener(attempts)
        for client in clients:
            attempts.attach(client)
        followups = FollowUpCalls(
            backend.context.tickets,
            telephony.runner,
            settings.telephony,
            telephony.servers,
            supervisor=supervisor,
        )
        for client in clients:
            followups.attach(client)
        service = cls(
            settings,
            agi,
            flows,
            engine,
            writer_engine,
            reads,
            writer,
            backend,
            telephony,
            attempts,
            FlowCatalog(flows, backend.context.flow_versions or FlowVersions(sessions)),
            QueueHours(backend.center.host, ZoneInfo(settings.ivr.timezone)),
            clients,
            supervisor=supervisor,
            followup_calls=followups,
        )
        service.fence = fence
        if settings.cluster.enabled:
            service.leadership = Leadership(
                db.url, settings.cluster, fence, fastagi=advertised_fastagi(settings)
            )
            service.relay = Relay(
                db.url, settings.cluster.node, timeout_s=settings.cluster.relay_timeout_s
            )
            backend.context.relay = service.relay
            service._relay_screens(WebSessionRows(sessions))
            # The standbys' API requests run through this node's own web once it leads.
            service.web_relay = WebRelay(
                service.relay, settings.web.host, lambda: backend.server.port
            )
            service.web_relay.install()
            backend.context.web_relay = service.web_relay
            backend.context.cluster_lease_s = settings.cluster.lease_s
            backend.context.cluster = service.leadership.status
            service._rescue_frozen_nodes(clients)
        service._route_cluster_fastagi(followups)
        # A write the database refuses for an old term means another node leads now.
        writer.fenced = lambda why: fence.lose(f"the database refused a write: {why}")
        backend.center.host.gate = service.why_not_acting
        telephony.executor.may_act = fence.may_act
        if settings.cluster.enabled:
            telephony.executor.before_offer = functools.partial(
                _written, writer, settings.service.shutdown_grace_s
            )
        backend.context.flows = service.catalog
        service.catalog.named_by[settings.telephony.followup_flow] = ["telephony.followup_flow"]
        backend.context.center_checks.append(lambda center: route_problems(center, flows.flows))
        backend.context.center_hooks.append(service.follow_center)
        backend.context.ops = ServiceProbe(
            ami=clients,
            server_names=[s.name for s in settings.asterisk.servers],
            agi=agi,
            writer=writer,
            engine=engine,
            lag=service.lag,
            pbx=telephony.health,
            supervisor=supervisor,
            dropped_facts=[telephony.facts.dropped, attempts.dropped],
            system_names=_system_names(settings, clients),
        )
        return service

    def _rescue_frozen_nodes(self, clients: list[AMIClient]) -> None:
        # Several nodes: the leader sends callers stuck on a frozen node's FastAGI to
        # itself (`stuck_agi`), counted for /metrics.
        rescue = self.stuck_agi = StuckAgiRescue(
            self.engine,
            clients,
            self.telephony.calls,
            node=self.settings.cluster.node,
            lease_s=self.settings.cluster.lease_s,
            acting=self.why_not_acting,
        )
        self.backend.context.frozen_node_rescues = lambda: dict(rescue.by_node)
        # This node frozen long enough for that: the ends of its IVR sessions are not
        # taken for hang-ups (the leader may have sent the callers on).
        lease_s = self.settings.cluster.lease_s
        self.telephony.routes.stalled = lambda since: self.lag.stalled_since(since, lease_s / 2)

    def _route_cluster_fastagi(self, followups: FollowUpCalls) -> None:
        # Several nodes: standbys run the IVR and hand the ACD's part to the leader
        # (`standby_agi`), and follow the flows and configuration the leader changes.
        routes, link = self.telephony.routes, None
        if self.relay is not None and self.leadership is not None:
            link = routes.link = LeaderLink(
                self.relay, self.leadership.status, lambda: self.leading, self.settings.telephony
            )
            handed = link.handed
            self.backend.context.standby_handoffs = lambda: dict(handed)
            self.backend.context.standby_agi = True  # /readyz checks a standby's port too
            if self.telephony.waits is not None:
                self.telephony.waits.link = link  # the IVR's estimates: the leader's ACD
            serve_standbys(
                self.relay,
                self.backend.center,
                self.telephony.calls,
                address=self.leadership.fastagi,
            )
            self.catalog.on_change.append(lambda: self.tell_standbys("flows"))
            self.backend.context.center_hooks.append(lambda _: self.tell_standbys("config"))
        # A follow-up call's state is the leader's: a standby sends its session on.
        answer = followups.answer
        self.agi.route(
            FOLLOWUP_SCRIPT, answer if link is None else link.leader_only(FOLLOWUP_SCRIPT, answer)
        )

    def _relay_screens(self, stored: WebSessionRows) -> None:
        # Several nodes: the desktops and wallboards of a standby are fed by the leader's
        # feeds (`callcenter.cluster.feed_relay`); this node feeds them once it leads.
        assert self.relay is not None
        assert self.leadership is not None
        context = self.backend.context
        self.feeds = context.feeds = RemoteFeeds(self.relay, status=self.leadership.status)
        self.feed_server = FeedServer(
            self.relay,
            self.backend.center,
            scope_of=context.queues_for,
            stored_sessions=stored.stored,
        )
        context.sessions.on_end(self.feed_server.session_ended)
        served = self.feed_server
        context.served_screens = lambda: len(served)

    def why_not_acting(self) -> str | None:
        """Why this node may not act now (None while it may): the ACD host's gate."""
        if self.fence.may_act():
            return None
        return self.fence.lost or "this node does not lead (the lease is not held)"

    def follow_center(self, center: CenterConfig) -> None:
        """Put in force the parts of a new configuration the web does not hold: which flow
        answers a dialled number, the opening hours the flows consult, the promises tickets
        are opened with. A call already in the IVR goes on as it started."""
        self.flows.settings = self.flows.settings.model_copy(
            update={"dnis": dict(center.dialled_numbers), "default_flow": center.default_flow}
        )
        calendars = center.calendar_objects()
        self.telephony.runner.calendars = calendars
        self.queue_hours.use({q: calendars[c] for q, c in center.queue_hours.items()})
        self.backend.context.tickets.use_promises(center.ticket_categories)
        self.callback_attempts.use_retries(center.callback_retries)
        self.backend.context.tickets.use_followups(center.followups.for_category)

    def reload_flows(self) -> None:
        """SIGHUP: store the flow files that changed as new versions, checked together
        with the other active flows (`import_flow_files`); broken files change nothing."""
        task = asyncio.get_running_loop().create_task(self.import_flow_files("SIGHUP"))
        self._imports.add(task)
        task.add_done_callback(self._imports.discard)

    async def import_flow_files(self, author: str) -> list[str]:
        """Store the files of `ivr.flows_dir` that differ from the active versions as new
        versions and run them; [] when done (or nothing changed), else the problems (the
        running flows stay)."""
        try:
            stored = await self.catalog.import_files(author)
        except FlowLoadError as error:
            problems = list(error.messages)
        except (FlowConflict, ValueError, SQLAlchemyError) as error:
            problems = [str(error).splitlines()[0]]
        else:
            log.info(
                "ivr.flows_reloaded",
                flows=list(self.flows.flows.names),
                stored={version.flow: version.version for version in stored},
            )
            return []
        log.error("ivr.flows_kept", reason="the new flows are refused", problems=problems)
        return problems

    async def _flows_from_database(self, url: str) -> None:
        """Run the active stored flows (the files seed version 1 on a fresh database).
        FlowLoadError when they, or the files that would seed them, are broken."""
        try:
            await self.catalog.start()
        except SQLAlchemyError as exc:
            raise ServiceStartError(f"the IVR flows in {url} cannot be read: {exc}") from exc

    async def start(self) -> None:
        """Bring the database to the current schema (creating a SQLite file on first start);
        a single node then `lead`s at once: opens the FastAGI port and starts connecting to
        every Asterisk server. A cluster node opens its web port and FastAGI (it runs the
        IVR as a standby, `_follow_leader`) and leads once elected (`serve_cluster`)."""
        url = self.settings.database.model_dump()["url"]  # the password shows as ***
        try:
            await upgrade(self.engine)
        except (OSError, SQLAlchemyError) as exc:
            raise ServiceStartError(f"database {url} cannot be used: {exc}") from exc
        log.info("db.ready", backend=self.engine.dialect.name, url=url)
        watch = self.supervisor.watch
        watch("db-writer", self.writer.start(), self.writer.start)
        watch("loop-lag", self.lag.start(), self.lag.start)
        if self.leadership is None:
            await self.lead()
            return
        if self.relay is not None:
            try:
                await self.relay.start()
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                raise ServiceStartError(f"the cluster relay cannot reach {url}: {exc}") from exc
        await self._follow_leader(url)
        await self.backend.start_web()
        self._log_web()
        log.info(
            "cluster.standby",
            node=self.settings.cluster.node,
            hint="this node leads when it gets the lock (the leader stopped or went silent)",
        )

    async def _follow_leader(self, url: str) -> None:
        """A standby: run the stored flows and configuration, follow the leader's changes
        (`CENTER_NEWS`, and everything again when the relay reconnects: news sent
        meanwhile is gone), and open FastAGI: the IVR runs here too."""
        await self._flows_from_database(url)
        await self._acd_from_database(url)
        if self.relay is not None:
            self.relay.listen(CENTER_NEWS, self._center_news)
            self.relay.on_reconnect.append(lambda: self._center_news("reconnected"))
        await self._open_fastagi()

    async def _open_fastagi(self) -> None:
        await self.agi.start()
        log.info(
            "fastagi.listening",
            url=f"agi://{self.settings.fastagi.host}:{self.agi.port}/",
            max_sessions=self.settings.fastagi.max_sessions,
            advertised=None if self.leadership is None else self.leadership.fastagi,
        )
        if self.leadership is not None and self.leadership.fastagi is None:
            log.warning(
                "cluster.fastagi_address_unknown",
                hint="standbys cannot send queued callers to this node while it leads: set "
                "cluster.fastagi_address (host:port as Asterisk reaches this node)",
            )

    def tell_standbys(self, what: str) -> None:
        """The leader: tell the standbys that `what` (flows, config) changed."""
        if not self.leading or self.relay is None:
            return
        task = asyncio.get_running_loop().create_task(self._publish_news(what))
        self._news.add(task)
        task.add_done_callback(self._news.discard)

    async def _publish_news(self, what: str) -> None:
        assert self.relay is not None
        try:
            await self.relay.publish(CENTER_NEWS, [what])
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("cluster.center_news_not_sent", what=what, error=str(exc))

    def _standing_by(self) -> bool:
        # Not from the election on: the take-over loads the flows and configuration itself
        # and rebuilds the ACD, which a late load must not replace under it.
        return self.leadership is not None and self.leadership.role is Role.STANDBY

    def _center_news(self, payload: str) -> None:
        # Loads coalesce: news during a load loads once more after it.
        if not self._standing_by():
            return
        if self._center_reload is not None and not self._center_reload.done():
            self._reload_again = True
            return
        self._center_reload = asyncio.get_running_loop().create_task(
            self._reload_center(payload), name="center-reload"
        )

    async def _reload_center(self, why: str) -> None:
        """A standby: the leader's flows and configuration in force here too."""
        while True:
            self._reload_again = False
            try:
                active = await self.catalog.store.active()
                flows = self.flows.check({name: v.text for name, v in active.items()})
                current = await self.backend.context.config_versions.current()
                problems = [] if current is None else route_problems(current.center, flows)
                if not self._standing_by():
                    return
                self.flows.use(flows)
                if current is not None and not problems:
                    self._use_center(current.center)
            except (FlowLoadError, ConfigInvalid, SQLAlchemyError, OSError) as exc:
                log.error("cluster.center_not_followed", why=why, error=str(exc))
            else:
                log.info(
                    "cluster.center_followed",
                    why=why,
                    flows={name: v.version for name, v in active.items()},
                    config=None if current is None else current.version,
                    problems=[str(p) for p in problems],
                )
            if not self._reload_again:
                return

    async def serve_cluster(self) -> str:
        """A cluster node: wait for the lock, lead, and hold the lead; why it ended.

        The heartbeats run from the moment of the election, while the node takes over
        (replays the log, connects to Asterisk): a take-over slower than the lease must
        not cost the lease. A take-over that fails raises (the node stops).
        """
        if self.leadership is None:
            raise RuntimeError("serve_cluster needs cluster.enabled")
        term = await self.leadership.campaign()
        loop = asyncio.get_running_loop()
        elected = loop.time()
        holding = asyncio.create_task(self.leadership.hold(), name="cluster-hold")
        leading = asyncio.create_task(self.lead(), name="cluster-lead")
        try:
            await asyncio.wait({holding, leading}, return_when=asyncio.FIRST_COMPLETED)
            if holding.done():
                return holding.result()
            leading.result()  # a take-over that failed raises here
            log.info(
                "cluster.took_over",
                node=self.settings.cluster.node,
                term=term,
                took_s=round(loop.time() - elected, 3),
            )
            return await holding
        finally:
            for task in (holding, leading):
                if not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    def _log_web(self) -> None:
        web_url = f"http://{self.settings.web.host}:{self.backend.server.port}"
        log.info(
            "web.listening",
            agent_desktop=f"{web_url}/agent",
            wallboard=f"{web_url}/wallboard",
            reports=f"{web_url}/reports",
            api=f"{web_url}/api/openapi.json",
        )

    async def lead(self) -> None:
        """Run the center: the stored flows and configuration, the live state replayed
        from the event log, the ACD and its tasks, FastAGI, and the AMI links (each
        resyncs with its Asterisk once connected)."""
        url = self.settings.database.model_dump()["url"]
        await self._flows_from_database(url)
        version = await self._acd_from_database(url)
        center = self.backend.center
        try:
            await recover(
                center.host,
                self.settings.acd,
                self.backend.context.events,
                self.settings.ivr.timezone,
                version=version,
            )
            await resume_interactions(
                center.host, center.recorder, self.backend.context.interactions
            )
            await self.callback_attempts.resume()
            if self.backend.context.voicemails is not None:
                await restore_contexts(center, self.backend.context.voicemails)
        except SQLAlchemyError as exc:
            raise ServiceStartError(f"the event log of {url} cannot be read: {exc}") from exc
        # The loops the service cannot do without are watched: one that ends is a crash,
        # logged with its cause, shown by /readyz, and started again.
        watch = self.supervisor.watch
        if self.leadership is None:
            await self.backend.start()
        else:
            center.start()  # the web has been up since `start`
        watch("acd-host", center.host.start(), center.host.start)
        watch("wallboard", center.wallboard.start(), center.wallboard.start)
        self.supervisor.start("queue-hours", self.queue_hours.run)
        # Callbacks made for later (the web form's window, or outside the hours) join the
        # line at their time.
        scheduled = ScheduledCallbacks(
            center,
            self.backend.context.callbacks,
            interval_s=self.settings.telephony.callback_schedule_s,
            hours=self.queue_hours,
        )
        self.supervisor.start("callback-schedule", scheduled.run)
        if self.followup_calls is not None:
            # Automated follow-up calls of resolved tickets, each claimed in the database
            # before it is dialled (a restart does not dial one twice).
            self.supervisor.start("followup-calls", self.followup_calls.run)
        inbox = self.backend.context.voicemails
        if inbox is not None:
            telephony = self.settings.telephony
            retention = VoicemailRetention(
                inbox, telephony.voicemail_dir, telephony.voicemail_retention_days
            )
            self.supervisor.start("voicemail-retention", retention.run)
        if self.leadership is None:
            self._log_web()
        if self.feeds is not None:
            # Screens fed through another leader: reconnected, they are this node's now.
            self.feeds.end_all(1012, "this node leads now; reconnecting")
        self.leading = True  # FastAGI queues its callers here from now on
        if self.relay is not None:
            self.relay.lead()  # what the standbys relay is taken from now on
        if self.leadership is None:
            await self._open_fastagi()  # a cluster node opened it as a standby
        if not self.ami:
            log.warning(
                "ami.none_configured",
                hint="no AMI link: add asterisk.servers with their secrets to drive a PBX",
            )
        for client in self.ami:
            sub = client.subscribe(
                ["FullyBooted"], maxsize=64, policy=OverflowPolicy.DROP, name="ami-watch"
            )
            self.supervisor.start(
                f"ami-watch:{client.server.name}",
                functools.partial(self._watch, sub),
                group=client.server.name,
            )
            await client.start()
            log.info(
                "ami.waiting_for_asterisk",
                server=client.server.name,
                address=f"{client.server.host}:{client.server.port}",
            )
        if self.stuck_agi is not None:
            # Callers whose FastAGI session is on a frozen node are sent here.
            self.supervisor.start("stuck-agi", self.stuck_agi.run)

    async def _acd_from_database(self, url: str) -> int:
        """Run the center with the newest stored version of its configuration (its number
        is returned); on a database that holds none, the settings file's sections (and the
        flows' calendars) are stored as version 1 first. A version stored before the
        center's sections existed gets them from the file, as a new version.

        From then on the file's sections are only the seed (and `config import`'s format):
        a file that says otherwise is logged as ignored, never silently mixed in.
        """
        versions = self.backend.context.config_versions
        seed = from_settings(self.settings, flow_calendars(self.flows.flows))
        try:
            current = await versions.seed(seed)
            missing = missing_sections(current.document)
            if missing:
                seeded = as_document(seed)
                current = await versions.save(
                    {**{key: seeded[key] for key in missing}, **current.document},
                    SEED_AUTHOR,
                    f"from the settings file: {', '.join(missing)}",
                )
            center = current.center
        except SQLAlchemyError as exc:
            raise ServiceStartError(f"the configuration in {url} cannot be read: {exc}") from exc
        except ConfigInvalid as exc:
            raise ServiceStartError(
                f"the stored configuration (the newest version) is not valid: {exc}"
            ) from exc
        problems = route_problems(center, self.flows.flows)
        if problems:
            raise ServiceStartError(
                f"the stored configuration (version {current.version}) names flows the IVR "
                "does not have: " + "; ".join(str(p) for p in problems)
            )
        if center.acd != self.settings.acd:
            log.warning(
                "config.file_acd_ignored",
                version=current.version,
                hint="the acd section of the settings file only seeds a new database; "
                "`callcenter config import FILE` stores it as a new version",
            )
        self._use_center(center)
        log.info(
            "config.acd_in_force",
            version=current.version,
            author=current.author,
            stored_at=current.created_at.isoformat(),
            queues=[q.name for q in center.queues],
        )
        return current.version

    def _use_center(self, center: CenterConfig) -> None:
        # Before the ACD task starts and before recovery: the core is rebuilt empty with
        # the stored settings (recovery then replays today's log into one of its own).
        self.settings = settings_with(self.settings, center)
        self.backend.context.adopt_center(center)
        host = self.backend.center.host
        host.adopt(Acd(center.acd, host.now()))

    async def _watch(self, sub: EventSubscription) -> None:
        # Connection changes are operational facts: each one becomes a log event.
        async for item in sub:
            if isinstance(item, ConnectionChanged):
                log.info("ami.connection", server=item.server, state=item.state, reason=item.reason)

    async def stop(self, *, grace: float | None = None) -> None:
        """Stop accepting calls, let running sessions finish (`grace`, by default the
        settings' period), disconnect, flush the database writer, give up the lead (a
        cluster's standby takes over) and close the database.

        Every step runs whatever the earlier ones did: a step that raises is logged with
        its cause and the next one runs, so the AMI clients are always closed and the
        writer always flushed. Never raises (but a cancellation of the caller goes on).
        """
        if grace is None:
            grace = self.settings.service.shutdown_grace_s
        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("fastagi", lambda: self.agi.close(grace=grace)),
            ("telephony", self.telephony.close),
            ("callback_attempts", self.callback_attempts.close),
            *(
                [("followup_calls", self.followup_calls.close)]
                if self.followup_calls is not None
                else []
            ),
            ("supervised_tasks", self.supervisor.stop),
            *((("feeds", self.feeds.stop),) if self.feeds is not None else ()),
            *((("feed_server", self.feed_server.close),) if self.feed_server is not None else ()),
            *((("relay", self.relay.close),) if self.relay is not None else ()),
            *((("web_relay", self.web_relay.close),) if self.web_relay is not None else ()),
            *((f"ami:{c.server.name}", c.close) for c in self.ami),
            ("backend", self.backend.stop),
            ("writer", self._flush_writer),
            # After the last write of this term: a standby may lead only once it is in.
            *((("cluster", self.leadership.close),) if self.leadership is not None else ()),
            ("writer_engine", self.writer_engine.dispose),
            ("reads", self.reads.close),
            ("engine", self.engine.dispose),
            ("loop_lag", self.lag.stop),
        ]
        for name, step in steps:
            try:
                await step()
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
                log_safely(log.error, "service.stop_step_failed", step=name, error="cancelled")
            except Exception as exc:  # noqa: BLE001  (the next steps must run all the same)
                log_safely(
                    log.error,
                    "service.stop_step_failed",
                    step=name,
                    error=f"{type(exc).__name__}: {exc}",
                    exc_info=exc,
                )

    async def _flush_writer(self) -> None:
        try:
            await self.writer.close(timeout=self.settings.service.shutdown_grace_s)
        except TimeoutError:
            log.error(
                "db.writes_unflushed",
                pending=self.writer.pending,
                error=self.writer.last_error,
                hint="the database did not take the last writes before the grace period ended",
            )


async def run(settings: Settings, *, on_started: Callable[[Service], None] | None = None) -> int:
    """Run until SIGINT/SIGTERM (SIGHUP stores changed flow files as new versions); the
    CLI's exit status.

    `on_started` is called once every part is up (the demo prints its banner then). A
    cluster node that loses the lead (fenced) stops every part at once, with no grace for
    the calls on its FastAGI (the dialplan takes them to the leader), and starts over as
    a standby in the same process.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    first = True
    while True:
        try:
            service = Service.build(settings)
        except FlowLoadError as exc:
            log.error("service.broken_flows", problems=list(exc.messages))
            return 2
        loop.add_signal_handler(signal.SIGHUP, service.reload_flows)
        try:
            await service.start()
        except FlowLoadError as exc:
            log.error("service.broken_flows", problems=list(exc.messages))
            await service.stop()
            return 2
        except (OSError, ServiceStartError) as exc:
            log.error("service.start_failed", error=str(exc))
            await service.stop()
            return 1
        if first:
            settle_heap()
            if on_started is not None:
                on_started(service)
            first = False
        failed = asyncio.create_task(_first_auth_failure(service))
        stopped = asyncio.create_task(stop.wait())
        waits: set[asyncio.Task[Any]] = {failed, stopped}
        lead: asyncio.Task[str] | None = None
        if service.leadership is not None:
            lead = asyncio.create_task(service.serve_cluster(), name="cluster")
            waits.add(lead)
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in waits:
            task.cancel()
        if lead is not None and lead in done and not stop.is_set():
            error = lead.exception()
            if error is not None:
                log.error("cluster.take_over_failed", error=f"{type(error).__name__}: {error}")
                await service.stop()
                return 1
            log.warning(
                "cluster.stepped_down",
                node=settings.cluster.node,
                reason=lead.result(),
                hint="starting over as a standby",
            )
            await service.stop(grace=0)
            continue
        if lead is not None:
            await asyncio.gather(lead, return_exceptions=True)  # ended, whatever it raised
        log.info("service.stopping")
        await service.stop()
        return 2 if failed in done and failed.result() else 0


async def _first_auth_failure(service: Service) -> bool:
    # A refused AMI login will not fix itself: stop with an error instead of idling.
    waits = [asyncio.create_task(c.wait_connected()) for c in service.ami]
    try:
        for next_done in asyncio.as_completed(waits):
            try:
                await next_done
            except AMIAuthenticationError as exc:
                log.error("service.ami_login_refused", error=str(exc))
                return True
        await asyncio.Event().wait()
        return False
    finally:
        # Cancelled (the service stops, or steps down): the waits end with it, and what
        # they raised as their clients closed is collected here, not left unretrieved.
        for wait in waits:
            wait.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
