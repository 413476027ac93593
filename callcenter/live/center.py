"""The live call center: the ACD's owner with the feeds and recorders around it.

Strategy: `LiveCenter` wires the parts that depend on the ACD's commands in one place
(recorder first, so the event log holds a fact before any screen shows it; then the agent
desktops, then the wallboards) and offers the handful of entry points the rest of the
service uses: the IVR hands a call over (`queue_call`), Asterisk reports an answer or a
hang-up (`answered`, `hung_up`), and people make requests (`request`, through the host).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime

import structlog

from acd import AcdSettings, CallEnded, CallerHungUp, CallQueued, CallState, OfferAnswered
from callcenter.app.tasks import stop_task
from callcenter.db import BatchedWriter
from callcenter.live.agent_feed import AgentFeed
from callcenter.live.calls import CallInfo, CallRegistry
from callcenter.live.host import AcdHost, Clock
from callcenter.live.pops import PopService
from callcenter.live.recorder import Recorder
from callcenter.live.wallboard import WallboardFeed
from cti import PopBuilder

log = structlog.get_logger(__name__)


class LiveCenter:
    """Owns the ACD host, the call registry, the pops and the live feeds."""

    def __init__(
        self,
        settings: AcdSettings,
        *,
        writer: BatchedWriter,
        pops: PopBuilder,
        clock: Clock | None = None,
        wallboard_interval_s: float = 1.0,
        coalesce_s: float = 0.05,
    ) -> None:
        """Build (not start) the live parts; `clock` defaults to wall-clock epoch seconds."""
        self.host = AcdHost(settings) if clock is None else AcdHost(settings, clock=clock)
        self.calls = CallRegistry()
        self.recorder = Recorder(writer)
        self.pops = PopService(
            pops,
            self.calls,
            wall_clock=lambda: datetime.fromtimestamp(self.host.now(), UTC),
            live=self.recorder.latest,
        )
        # A call that ends changes what the pops of its caller's other calls show.
        self.recorder.on_call_over = lambda data: self.pops.caller_changed(
            data.caller_number, data.customer_id
        )
        self.agents = AgentFeed(self.host, self.calls, self.pops)
        self.wallboard = WallboardFeed(
            self.host,
            self.calls,
            self.agents,
            interval_s=wallboard_interval_s,
            coalesce_s=coalesce_s,
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self.host.add_listener(self.recorder)
        self.host.add_listener(self.agents)
        self.host.add_listener(self.wallboard)

    def start(self) -> None:
        """Start the ACD task and the wallboard refresher."""
        self.host.start()
        self.wallboard.start()

    async def stop(self) -> None:
        """Stop the feeds, then the ACD task."""
        await self.wallboard.stop()
        await self.agents.close()
        for task in list(self._tasks):
            await stop_task(task)
        await self.host.stop()

    def queue_call(
        self,
        info: CallInfo,
        *,
        priority: int = 0,
        skills: Mapping[str, int] | None = None,
        server: str | None = None,
        default_server: bool = False,
    ) -> None:
        """The IVR hands a call to the ACD: remember its context, record it, queue it.
        `server`: the Asterisk server the caller is on (only agents there are offered it),
        `default_server`: it is the first configured one (agents naming none are there)."""
        self.calls.add(info)
        now = self.host.now()
        self.recorder.call_arrived(info, now)
        self.host.submit(
            CallQueued(
                now,
                info.call_id,
                info.queue,
                priority,
                dict(skills or {}),
                server=server,
                default_server=default_server,
            )
        )
        # Gather the pop while the caller waits, so it is on the desktop as the phone rings
        # instead of a few database round trips later (they grow under load).
        task = asyncio.create_task(self._prefetch(info.call_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _prefetch(self, call_id: str) -> None:
        try:
            await self.pops.pop_for(call_id)
        except Exception:
            log.warning("cti.pop_prefetch_failed", call_id=call_id, exc_info=True)

    def answered(self, call_id: str) -> bool:
        """The agent's phone answered the call offered to them; False if none is ringing."""
        view = self.host.acd.call_view(call_id, self.host.now())
        if view is None or view.agent_id is None or view.state is not CallState.OFFERED:
            return False
        self.host.submit(OfferAnswered(self.host.now(), call_id, view.agent_id))
        return True

    def hung_up(self, call_id: str, *, by_caller: bool = True) -> None:
        """A call ended: the caller left (an abandon while waiting) or the agent hung up."""
        now = self.host.now()
        view = self.host.acd.call_view(call_id, now)
        if view is not None and view.state is CallState.CONNECTED and not by_caller:
            self.host.submit(CallEnded(now, call_id))
        else:
            self.host.submit(CallerHungUp(now, call_id))
