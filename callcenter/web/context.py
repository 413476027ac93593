"""What the web needs from the rest of the service, in one object stored on the app.

Strategy: the service builds one `WebContext` (the live center, the repositories, the
session store) and the routes reach it through `request.app[CONTEXT]`; tests build the
same object over a real database and a real ACD host, with no fakes in between. The
telephony side (listen / whisper / barge) is a port, `Telephony`, filled by the PBX
executor when an Asterisk is connected; so is `OpsProbe`, the service's health figures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from aiohttp import web

from acd import AcdSettings
from callcenter.app.center_config import CenterConfig, seed_from_files, settings_with
from callcenter.app.settings import Settings
from callcenter.app.tasks import TaskState
from callcenter.cluster.feed_relay import RemoteFeeds
from callcenter.cluster.leadership import ClusterStatus
from callcenter.cluster.relay import Relay
from callcenter.db import (
    CallbackRepository,
    ConfigProblem,
    ConfigVersions,
    CustomerRepository,
    EventLog,
    InteractionRepository,
    TicketRepository,
    UserRepository,
    VoicemailRepository,
)
from callcenter.db.flow_versions import FlowVersions
from callcenter.ivr.catalog import FlowCatalog
from callcenter.live import LiveCenter
from callcenter.web.auth import LoginLimiter, SessionStore

SpyMode = Literal["listen", "whisper", "barge"]


class OpsProbe(Protocol):
    """What the operations endpoints (/metrics, /readyz) read from the running service."""

    def ami_states(self) -> dict[str, bool]:
        """Each configured Asterisk server's name -> whether its AMI link is up."""

    def asterisk_problems(self) -> list[str]:
        """What is wrong with the Asterisk servers' own settings (several servers sharing
        Uniqueids), empty when nothing is."""

    def agi_listening(self) -> bool:
        """Whether the FastAGI port is open."""

    def agi_sessions(self) -> int:
        """FastAGI sessions (calls) being served now."""

    def agi_refused(self) -> Mapping[str, int]:
        """FastAGI connections refused since the start by why (`peer_not_allowed`,
        `peer_sessions`, `sessions`, `silent`, `environment_timeout`), and `waiting`: the
        connections waiting for their environment now."""

    def loop_lag(self) -> float:
        """The event loop's latest scheduling delay in seconds."""

    def writer_stats(self) -> tuple[int, int]:
        """The database writer's (pending, rejected so far) operations."""

    def pbx_health(self) -> tuple[int, bool, Mapping[str, int]]:
        """Offers Asterisk could not place: (in a row now, whether the alert is up, the
        failures since the start by kind: not-placed, congestion, refused ...)."""

    async def db_ready(self) -> bool:
        """Whether the database answers a query now."""

    def tasks(self) -> Sequence[TaskState]:
        """The supervised background tasks: running or not, restarts, last error."""

    def events_dropped(self) -> Mapping[str, int]:
        """Asterisk's events dropped since the start, by where (`ami:<server>`: a consumer
        fell behind; a consumer's name: events it could not apply)."""


class Telephony(Protocol):
    """Actions on live calls that go through Asterisk."""

    async def spy(self, *, supervisor: str, agent_id: str, mode: SpyMode) -> str:
        """Ring the supervisor's phone into the agent's call; the endpoint rung."""


class WebForward(Protocol):
    """Several nodes: the API through the cluster relay (`callcenter.cluster.web_relay`)."""

    local_paths: frozenset[str]
    """API paths a standby answers itself instead of relaying them."""

    async def forward(self, request: web.Request) -> web.StreamResponse:
        """A standby's answer to an /api/ request: the leader's answer to it."""

    def relayed_client(self, request: web.Request) -> str | None:
        """The browser's address a request from this node's own relay carries (the
        leader runs the standbys' requests through its own app); None for any other."""


@dataclass(slots=True)
class WebContext:
    """Everything the routes use."""

    settings: Settings
    center: LiveCenter
    sessions: SessionStore
    limiter: LoginLimiter
    users: UserRepository
    customers: CustomerRepository
    interactions: InteractionRepository
    tickets: TicketRepository
    callbacks: CallbackRepository
    events: EventLog
    config_versions: ConfigVersions
    """The ACD configuration's versions (the one in force is the newest)."""
    reports: Any = None
    """The historical reports repository (`callcenter.reports.ReportRepository`)."""
    telephony: Telephony | None = None
    reload_flows: Callable[[], list[str]] | None = None
    """Re-read the IVR flows; the problems found (empty when the new flows are in use).
    Only where no `flows` catalog runs (the service has one)."""
    flow_versions: FlowVersions | None = None
    """The IVR flows' stored versions (readable where no IVR runs)."""
    flows: FlowCatalog | None = None
    """The IVR's stored flows and the library running them; None where no IVR runs."""
    ops: OpsProbe | None = None
    """The service's health figures; None where only the web and the ACD run (tests)."""
    cluster: Callable[[], ClusterStatus] | None = None
    """Several nodes: this node's role, term and leader (None: a single node). Only the
    leader runs the API; a standby relays it (`web_relay`) or answers 503 naming the leader."""
    relay: Relay | None = None
    """Several nodes: what hands a standby's requests and feeds to the leader through
    PostgreSQL (`callcenter.cluster.relay`); None for a single node."""
    cluster_lease_s: float = 3.0
    """Several nodes: the leader's lease (`cluster.lease_s`); a standby whose leader was
    last heard from longer ago than this is not ready (/readyz)."""
    standby_agi: bool = False
    """Several nodes: a standby serves FastAGI too (/readyz checks its port)."""
    frozen_node_rescues: Callable[[], dict[str, int]] | None = None
    """Several nodes: the callers this process, while leading, sent on from a frozen
    node's FastAGI, by that node (`callcenter.pbx.stuck_agi`, for /metrics); None for a
    single node."""
    standby_handoffs: Callable[[], dict[str, int]] | None = None
    """Several nodes: what this node's FastAGI handed to the leader while a standby, by
    kind (`callcenter.pbx.standby_agi.LeaderLink.handed`, for /metrics)."""
    served_screens: Callable[[], int] | None = None
    """Several nodes: the standbys' screens this node feeds while it leads (/metrics)."""
    feeds: RemoteFeeds | None = None
    """Several nodes: a standby's websockets get the leader's feeds through this
    (`callcenter.cluster.feed_relay`); None for a single node."""
    web_relay: WebForward | None = None
    """Several nodes: a standby serves the pages itself and relays the API to the leader
    through this; the leader trusts the browser's address its own relay carries."""
    center_hooks: list[Callable[[CenterConfig], None]] = field(default_factory=list)
    """Called with each configuration put in force, after the web adopted it: the parts
    of the service outside the web that read it (the IVR's routes and calendars, tickets'
    promises)."""
    center_checks: list[Callable[[CenterConfig], list[ConfigProblem]]] = field(default_factory=list)
    """Checks of a new configuration against what only the running service knows (a
    dialled number must name a flow the IVR has); any problem refuses the change."""
    voicemails: VoicemailRepository | None = None
    """The voicemail inbox (`callcenter.db.voicemails`)."""
    settle_writes: Callable[[], Awaitable[None]] | None = None
    """Wait until the call path's writes queued so far are in the database. The writer
    batches them (`database.batch_interval_s`), so a call the desktop has just shown may
    not be stored yet; a route that cannot find it asks once more after this."""

    def adopt_acd(self, acd: AcdSettings) -> None:
        """Read the ACD configuration `acd` from now on (a stored version the live center
        runs): queues, agents and pause reasons the pages show, the reports' rules where
        the event log holds no `config` record yet (otherwise each call is judged by the
        rules recorded before it), and the queues each open session's user sees."""
        self.settings = self.settings.model_copy(update={"acd": acd})
        if self.reports is not None:
            self.reports.use_acd(acd)
        # An agent's queues are the configuration's: open sessions see the new ones at once.
        for principal in self.sessions.principals():
            principal.queues = self.queues_for(principal.username, principal.role.value)

    def seed_center(self) -> CenterConfig:
        """The configuration the settings file describes (the seed of a new database)."""
        return seed_from_files(self.settings)

    def check_center(self, center: CenterConfig) -> list[ConfigProblem]:
        """What keeps `center` from being put in force here (empty: nothing)."""
        return [problem for check in self.center_checks for problem in check(center)]

    def adopt_center(self, center: CenterConfig) -> None:
        """Read the configuration `center` from now on: the ACD's part (`adopt_acd`), the
        settings the pages and routes read (dispositions, ticket categories, supervisors'
        queues, dialled numbers), then the service's own readers (`center_hooks`)."""
        self.adopt_acd(center.acd)
        self.settings = settings_with(self.settings, center)
        self.center.wallboard.alerts = center.alerts
        for principal in self.sessions.principals():
            principal.queues = self.queues_for(principal.username, principal.role.value)
        for hook in self.center_hooks:
            hook(center)

    def queues_for(self, username: str, role: str) -> frozenset[str] | None:
        """The queues a user may see: an agent's own, a supervisor's configured, or all."""
        if role == "admin":
            return None
        if role == "agent":
            for agent in self.settings.acd.agents:
                if agent.id == username:
                    return frozenset(agent.queues)
            return frozenset()
        scoped = self.settings.web.supervisor_queues.get(username)
        return None if scoped is None else frozenset(scoped)


CONTEXT = web.AppKey("callcenter", WebContext)
"""Where the app keeps its `WebContext`."""
