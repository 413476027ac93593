"""Bootstrap of the live center and the web over one database: used by `serve` and the tests.

Strategy: one function builds the repositories, the screen-pop builder (with the CRM when
one is configured), the `LiveCenter` that owns the ACD, and the web application over them,
so the service and every web test run the very same assembly (tests only pick a SQLite
file and a free port). Nothing starts here; `Backend.start`/`stop` do, in order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.app.settings import Settings
from callcenter.db import (
    BatchedWriter,
    CallbackRepository,
    ConfigVersions,
    CustomerRepository,
    EventLog,
    InteractionRepository,
    TicketRepository,
    UserRepository,
    VoicemailRepository,
)
from callcenter.db.flow_versions import FlowVersions
from callcenter.db.reads import Reads
from callcenter.db.web_sessions import WebSessionRows
from callcenter.live import LiveCenter
from callcenter.live.crm import HttpCrmLookup
from callcenter.reports import ReportRepository, rules_from_settings
from callcenter.web import Telephony, WebContext, WebServer, build_app
from callcenter.web.auth import LoginLimiter, SessionStore
from cti import PopBuilder


@dataclass(slots=True)
class Backend:
    """The live center and the web, built over one database."""

    center: LiveCenter
    context: WebContext
    app: web.Application
    server: WebServer
    crm: HttpCrmLookup | None = None

    async def start(self) -> None:
        """Start the ACD task and the feeds, then open the web port."""
        self.center.start()
        await self.server.start()

    async def start_web(self) -> None:
        """Open the web port alone (a cluster's standby: the center starts when it leads)."""
        await self.server.start()

    async def stop(self) -> None:
        """Close the web (websockets included), then stop the live center."""
        await self.server.stop()
        await self.center.stop()
        if self.crm is not None:
            await self.crm.close()


_SETTLE_S = 2.0
"""How long a request waits for the writer's queued batch before it answers without it
(the database may be down: the answer is then the 404 it would have been)."""


def build_backend(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    writer: BatchedWriter,
    *,
    clock: Callable[[], float] = time.time,
    reload_flows: Callable[[], list[str]] | None = None,
    telephony: Telephony | None = None,
    password_hasher: PasswordHasher | None = None,
    reads: Reads | None = None,
) -> Backend:
    """Assemble (not start) the live center and the web from the settings.

    `password_hasher` defaults to argon2id with the library's recommended cost; tests pass
    a cheaper one so that seeding users takes milliseconds. `reads` runs the call path's
    lookups (`callcenter.db.reads.make_reads`); by default they take a session each.
    """
    cti = settings.cti
    customers = CustomerRepository(
        sessions, region=cti.default_region, cache_s=cti.lookup_cache_s, reads=reads
    )
    interactions = InteractionRepository(sessions, reads=reads)
    tickets = TicketRepository(sessions, cti.ticket_promises_h, reads=reads)
    crm = (
        HttpCrmLookup(cti.crm_url_template, timeout_s=cti.crm_timeout_s)
        if cti.crm_url_template
        else None
    )
    pops = PopBuilder(customers, interactions, tickets, crm=crm, history_size=cti.history_size)
    web_settings = settings.web
    center = LiveCenter(
        settings.acd,
        writer=writer,
        pops=pops,
        clock=clock,
        wallboard_interval_s=web_settings.wallboard_interval_s,
        coalesce_s=web_settings.coalesce_ms / 1000,
    )
    context = WebContext(
        settings=settings,
        center=center,
        sessions=SessionStore(
            web_settings.session_idle_minutes * 60, rows=WebSessionRows(sessions)
        ),
        limiter=LoginLimiter(
            web_settings.login_failures_per_minute, max_delay_s=web_settings.login_backoff_max_s
        ),
        users=UserRepository(sessions, password_hasher),
        customers=customers,
        interactions=interactions,
        tickets=tickets,
        callbacks=CallbackRepository(
            sessions,
            max_attempts=settings.telephony.callback_max_attempts,
            region=cti.default_region,
        ),
        events=EventLog(sessions),
        config_versions=ConfigVersions(sessions),
        flow_versions=FlowVersions(sessions),
        voicemails=VoicemailRepository(sessions),
        reports=ReportRepository(sessions, rules=rules_from_settings(settings.acd)),
        telephony=telephony,
        reload_flows=reload_flows,
        settle_writes=lambda: writer.flush(timeout=_SETTLE_S),
    )
    # A session read back from the database sees the queues the configuration in force gives.
    context.sessions.scope = context.queues_for
    app = build_app(context)
    server = WebServer(
        app, web_settings.host, web_settings.port, request_timeout_s=web_settings.request_timeout_s
    )
    return Backend(center, context, app, server, crm)
