"""The one task that owns the ACD core.

Strategy: the core belongs to a single asyncio task reading a queue (docs/ARCHITECTURE.md,
"The cores: events in, commands out"), so no lock is ever needed: facts from Asterisk and
the IVR (`submit`) and requests from people (`request`, which answers with the commands or
raises the core's `AcdError`) are applied strictly in the order they arrive. Each batch of
commands goes to the listeners in registration order (the event-log recorder, the agent
desktops, the wallboard, the PBX executor); a listener must not block, it hands slow work
to its own task. Timers are data in the core: a `StartTimer` becomes a `loop.call_at` that
submits `TimerFired` when due, and a `CancelTimer` (or a new `StartTimer` for the same key)
disarms it. Time is wall-clock epoch seconds from an injectable clock, so the core's `now`
and the event log agree.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import structlog

from acd import Acd, AcdSettings, CancelTimer, Command, Event, StaleFact, StartTimer, TimerFired
from acd.types import TimerKey
from callcenter.app.tasks import stop_task

log = structlog.get_logger(__name__)


class NotLeading(RuntimeError):
    """This node may not act (a cluster node that lost the lead, or a standby): the
    request was not applied; the message says why."""


class CommandListener(Protocol):
    """Something that acts on the core's commands (must return quickly, never raise)."""

    def on_commands(self, commands: Sequence[Command], event: Event) -> None:
        """React to the commands the core returned for `event`."""


Clock = Callable[[], float]
_Maker = Callable[[float], Event]
_Item = tuple[Event | _Maker | None, asyncio.Future[list[Command]] | None]
"""An input, or a request to build at the moment it is taken, or None (a drain marker)."""


class AcdHost:
    """Runs one `Acd` in one task; the rest of the service talks to it through here."""

    def __init__(self, settings: AcdSettings, *, clock: Clock = time.time) -> None:
        """Build the core at the clock's current time; call `start` to begin applying inputs."""
        self.clock = clock
        self.acd = Acd(settings, clock())
        self._inbox: asyncio.Queue[_Item] = asyncio.Queue()
        self._listeners: list[CommandListener] = []
        self._timers: dict[TimerKey, asyncio.TimerHandle] = {}
        self._task: asyncio.Task[None] | None = None
        self.applied = 0
        """How many inputs the core has taken (a health figure)."""
        self.gate: Callable[[], str | None] | None = None
        """Several nodes: why this node may not act now (None while it may). Checked
        before every input, so a leader whose lease ran out (it was paused, cut off)
        applies nothing more, by its own clock, even before it hears it lost the lock."""
        self.refused = 0
        """Inputs refused by the gate."""

    @property
    def settings(self) -> AcdSettings:
        """The ACD configuration in force."""
        return self.acd.settings

    def add_listener(self, listener: CommandListener) -> None:
        """Send every later batch of commands to `listener` too."""
        self._listeners.append(listener)

    def start(self) -> asyncio.Task[None]:
        """Start the owning task (again, if it ended); the task, for the service to watch."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="acd-host")
        return self._task

    async def stop(self) -> None:
        """Stop applying inputs and disarm every timer (inputs still queued are dropped)."""
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        await stop_task(self._task)
        self._task = None

    def adopt(self, core: Acd) -> None:
        """Take over a core rebuilt from the event log (before `start`), arming its timers."""
        if self._task is not None:
            raise RuntimeError("adopt a rebuilt core before the host starts")
        self.acd = core
        for timer in core.armed_timers():
            self._arm(timer)

    def now(self) -> float:
        """The current time on the core's clock."""
        return self.clock()

    def submit(self, fact: Event) -> None:
        """Queue a telephony or timer fact; it never raises (the core answers StaleFact)."""
        self._inbox.put_nowait((fact, None))

    async def request(self, make: Callable[[float], Event]) -> list[Command]:
        """Apply a person's request built by `make(now)`; its commands, or the `AcdError`.

        `now` is read when the owning task takes the request, so requests and facts keep
        one timeline even when the inbox is busy.
        """
        future: asyncio.Future[list[Command]] = asyncio.get_running_loop().create_future()
        self._inbox.put_nowait((make, future))
        return await future

    async def drain(self) -> None:
        """Wait until every input queued so far has been applied (tests, shutdown)."""
        future: asyncio.Future[list[Command]] = asyncio.get_running_loop().create_future()
        self._inbox.put_nowait((None, future))
        await future

    async def _run(self) -> None:
        inbox = self._inbox
        while True:
            item, reply = await inbox.get()
            if item is None:
                if reply is not None and not reply.done():
                    reply.set_result([])
                continue
            closed = None if self.gate is None else self.gate()
            if closed is not None:
                self.refused += 1
                if self.refused == 1:
                    log.error("acd.not_leading", reason=closed, hint="inputs are refused")
                if reply is not None and not reply.done():
                    reply.set_exception(NotLeading(closed))
                continue
            event: Event | None = None
            try:
                event = item if isinstance(item, Event) else item(self.clock())
                commands = self.acd.handle(event)
            except Exception as exc:
                if reply is not None and not reply.done():
                    reply.set_exception(exc)
                else:
                    log.exception("acd.fact_failed", fact=type(event).__name__)
                continue
            assert event is not None
            self.applied += 1
            self._dispatch(event, commands)
            if reply is not None and not reply.done():
                reply.set_result(commands)

    def _dispatch(self, event: Event, commands: list[Command]) -> None:
        for command in commands:
            if isinstance(command, StartTimer):
                self._arm(command)
            elif isinstance(command, CancelTimer):
                handle = self._timers.pop(command.key, None)
                if handle is not None:
                    handle.cancel()
            elif isinstance(command, StaleFact):
                log.info("acd.stale_fact", fact=type(command.fact).__name__, reason=command.reason)
        for listener in self._listeners:
            try:
                listener.on_commands(commands, event)
            except Exception:
                log.exception("acd.listener_failed", listener=type(listener).__name__)

    def _arm(self, command: StartTimer) -> None:
        old = self._timers.pop(command.key, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        delay = max(0.0, command.at - self.clock())
        key = command.key

        def fire() -> None:
            self._timers.pop(key, None)
            # The fact carries the armed time when the clock reads earlier (a coarse clock):
            # the core must see the timer's moment reached.
            self.submit(TimerFired(max(self.clock(), command.at), key))

        self._timers[key] = loop.call_at(loop.time() + delay, fire)

    @property
    def armed_timers(self) -> int:
        """Timers waiting to fire."""
        return len(self._timers)
