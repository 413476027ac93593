"""A whole web backend for tests: real SQLite database, real ACD host, real web server.

`open_site(tmp_path)` builds it with `callcenter.app.wiring.build_backend` (the assembly `serve`
uses), seeds users and a customer, and serves it on a free loopback port. The helpers play
the parts of the IVR and of Asterisk through the live center's own entry points: a call
handed over by the IVR (`queue_call`), the agent's phone answering (`answer`), a hang-up
(`hang_up`). Nothing is mocked.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from acd import AcdSettings, AgentSettings, QueueSettings
from callcenter.app.settings import Settings
from callcenter.app.wiring import Backend, build_backend
from callcenter.db import (
    BatchedWriter,
    CallEvent,
    CustomerRepository,
    NewCustomer,
    UserRepository,
    make_engine,
    make_sessions,
    upgrade,
)
from callcenter.live import CallInfo
from cti.types import Tier

AGENT = ("agent1", "agent1-pass")
AGENT2 = ("agent2", "agent2-pass")
SUPERVISOR = ("sup1", "sup1-pass")
SCOPED_SUPERVISOR = ("sup2", "sup2-pass")
ADMIN = ("admin", "admin-pass")
CALLER = "+4930123456"
CUSTOMER = "Erika Mustermann"


def site_settings(
    db_url: str, *, timezone: str = "UTC", acd: AcdSettings | None = None, **web: Any
) -> Settings:
    """Two queues, three agents (or `acd`); sup2 oversees only `billing`; the center in
    `timezone`."""
    acd = acd or AcdSettings(
        queues=(
            QueueSettings(name="general", ring_timeout_seconds=20, wrap_up_seconds=30),
            QueueSettings(name="billing", skills={"billing": 1}, wrap_up_seconds=30),
        ),
        agents=(
            AgentSettings(
                id="agent1", name="Anna Berg", queues=("general", "billing"), skills={"billing": 2}
            ),
            AgentSettings(id="agent2", name="Ben Koch", queues=("general",)),
            AgentSettings(
                id="agent3", name="Clara Wolf", queues=("billing",), skills={"billing": 3}
            ),
        ),
    )
    return Settings(
        database={"url": db_url, "batch_interval_s": 0.0},
        ivr={"timezone": timezone},
        acd=acd,
        web={
            "host": "127.0.0.1",
            "port": 0,
            "coalesce_ms": 10,
            "wallboard_interval_s": 0.5,
            "supervisor_queues": {"sup2": ["billing"]},
            **web,
        },
    )


class SkewedClock:
    """Wall-clock time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Site:
    """A running backend and the handles tests drive it with."""

    backend: Backend
    writer: BatchedWriter
    customer_id: int
    base_url: str
    agent: tuple[str, str] = AGENT
    supervisor: tuple[str, str] = SUPERVISOR
    admin: tuple[str, str] = ADMIN
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    clock: SkewedClock | None = None

    def advance(self, seconds: float) -> None:
        """Move the service's clock forward (waits grow; armed timers keep real time)."""
        assert self.clock is not None
        self.clock.offset += seconds

    @property
    def center(self) -> Any:
        """The live center (the ACD host, registry and feeds)."""
        return self.backend.center

    async def queue_call(
        self,
        *,
        caller_number: str = CALLER,
        queue: str = "general",
        ivr_answers: Mapping[str, str] | None = None,
        priority: int = 0,
        server: str | None = None,
    ) -> str:
        """A call leaves the IVR for `queue`; returns its id (an Asterisk-like Uniqueid).
        `server`: the Asterisk server the caller is on (None: bound to none)."""
        call_id = f"1732280000.{next(self._ids)}"
        known = caller_number == CALLER
        info = CallInfo(
            call_id=call_id,
            caller_number=caller_number,
            dialled_number="100",
            arrived_at=self.center.host.now() - 20,
            queue=queue,
            ivr_path=("welcome", "identify", "menu"),
            ivr_answers=dict(ivr_answers or {}),
            customer_id=self.customer_id if known else None,
            customer_name=CUSTOMER if known else None,
            tier="gold" if known else None,
        )
        self.center.queue_call(info, priority=priority, server=server)
        await self.center.host.drain()
        return call_id

    async def answer(self, call_id: str) -> None:
        """The agent's phone picked the call up (Asterisk bridged it)."""
        assert self.center.answered(call_id), f"call {call_id} is not ringing"
        await self.center.host.drain()

    async def hang_up(self, call_id: str, *, by_caller: bool = True) -> None:
        """The call ended (or the caller gave up while waiting)."""
        self.center.hung_up(call_id, by_caller=by_caller)
        await self.center.host.drain()
        await self.writer.flush(timeout=5)

    async def flush(self) -> None:
        """Wait until every write so far is in the database."""
        await self.center.host.drain()
        await self.writer.flush(timeout=5)

    async def seed_history(self, day: datetime | None = None) -> datetime:
        """Write a working day of events (two queues, two agents) into the event log."""
        start = (day or datetime.now(UTC)).replace(hour=8, minute=0, second=0, microsecond=0)
        events: list[CallEvent] = []
        for agent in ("agent1", "agent2"):
            events.append(CallEvent(at=start, kind="login", agent=agent))
            events.append(CallEvent(at=start, kind="ready", agent=agent))
        for n in range(40):
            at = start + timedelta(minutes=10 * n)
            queue = "general" if n % 3 else "billing"
            call = f"hist-{n}"
            wait = float(5 + (n * 7) % 50)
            events.append(
                CallEvent(
                    at=at,
                    kind="enqueue",
                    call_id=call,
                    queue=queue,
                    data={"call_kind": "voice", "priority": 0},  # as the recorder writes it
                )
            )
            if n % 5 == 4:
                events.append(
                    CallEvent(
                        at=at + timedelta(seconds=wait),
                        kind="abandon",
                        call_id=call,
                        queue=queue,
                        data={"wait": wait, "outcome": "abandoned"},
                    )
                )
                continue
            agent = "agent1" if n % 2 else "agent2"
            answered = at + timedelta(seconds=wait)
            events.append(
                CallEvent(
                    at=answered,
                    kind="offer",
                    call_id=call,
                    queue=queue,
                    agent=agent,
                    data={"wait": wait},
                )
            )
            events.append(
                CallEvent(
                    at=answered,
                    kind="connect",
                    call_id=call,
                    queue=queue,
                    agent=agent,
                    data={"wait": wait},
                )
            )
            talk = 120.0 + n
            events.append(
                CallEvent(
                    at=answered + timedelta(seconds=talk),
                    kind="complete",
                    call_id=call,
                    queue=queue,
                    agent=agent,
                    data={"wait": wait, "talk": talk, "outcome": "answered"},
                )
            )
            events.append(
                CallEvent(
                    at=answered + timedelta(seconds=talk + 20),
                    kind="handled",
                    call_id=call,
                    queue=queue,
                    agent=agent,
                    data={"talk": talk, "wrap_up": 20.0},
                )
            )
        await self.backend.context.events.append(events)
        return start


CHEAP_HASHES = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""Argon2id at a cost fit for tests (the service keeps the library's recommended cost)."""


async def _seed(settings: Settings, sessions: Any) -> int:
    users = UserRepository(sessions, CHEAP_HASHES)
    for (name, password), role, display in (
        (AGENT, "agent", "Anna Berg"),
        (AGENT2, "agent", "Ben Koch"),
        (("agent3", "agent3-pass"), "agent", "Clara Wolf"),
        (SUPERVISOR, "supervisor", "Sam Super"),
        (SCOPED_SUPERVISOR, "supervisor", "Sue Billing"),
        (ADMIN, "admin", "Ada Admin"),
    ):
        await users.add(name, password, role, display_name=display)
    customers = CustomerRepository(sessions, region=settings.cti.default_region)
    return await customers.add(
        NewCustomer(
            name=CUSTOMER,
            account="4711",
            tier=Tier.GOLD,
            language="de",
            phones=(CALLER,),
            notes="prefers e-mail",
        )
    )


@contextlib.asynccontextmanager
async def open_site(
    tmp_path: Path,
    *,
    serve: bool = True,
    timezone: str = "UTC",
    acd: AcdSettings | None = None,
    write_interval_s: float = 0.0,
    **web: Any,
) -> AsyncIterator[Site]:
    """Build, seed and (with `serve`) serve a backend in `tmp_path`; stop it all on exit.

    Without `serve` only the live center runs: tests then drive `site.backend.app` with
    aiohttp's test client. `timezone` is the center's (`ivr.timezone`); `acd` replaces the
    two queues and three agents (e.g. the shipped ones). `write_interval_s` is how long the
    call path's writer lets a small batch wait (0: written at once).
    """
    settings = site_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'site.db'}", timezone=timezone, acd=acd, **web
    )
    engine = make_engine(settings.database.url)
    await upgrade(engine)
    sessions = make_sessions(engine)
    writer = BatchedWriter(
        sessions, batch_size=200, interval_s=write_interval_s, max_pending=10_000
    )
    writer.start()
    customer_id = await _seed(settings, sessions)
    clock = SkewedClock()
    backend = build_backend(settings, sessions, writer, password_hasher=CHEAP_HASHES, clock=clock)
    if serve:
        await backend.start()
    else:
        backend.center.start()
    site = Site(
        backend, writer, customer_id, f"http://127.0.0.1:{backend.server.port}", clock=clock
    )
    try:
        yield site
    finally:
        if serve:
            await backend.stop()
        else:
            await backend.center.stop()
        await writer.close(timeout=5)
        await engine.dispose()
