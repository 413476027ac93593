"""The service's background tasks: supervised while they run, stopped the same way everywhere.

Strategy: every long-lived task (the consumers of Asterisk's events, the AMI link's
watchers) runs under a `TaskSupervisor`. A task that raises is logged with its cause (the
exception, its traceback), counted, and started again after a backoff that doubles from
`initial_backoff_s` up to `max_backoff_s` (and starts over once the task has run
`healthy_after_s`). A task its owner starts and stops (the ACD's, the database writer's)
is `watch`ed the same way: its end while the service runs is a crash, and its owner's
`restart` starts it again. A task started with `restart=False` stays down on purpose, where
running it again would make no sense. These tasks are meant to run until stopped, so one
that returns on its own is handled like a crash. While a task is not running it is down:
`/readyz` says so and names it, the AMI link of its group (a server name) shows as
disconnected, and `/metrics` counts the restarts and the tasks down. The supervisor's own
logging is guarded: a log pipeline that raises (a bad keyword, a broken handler) neither
stops the restarts nor hides the cause, which then goes to stderr.

`stop_task` is the one way to stop a plain task: it is cancelled and then awaited, so
whatever it holds (a socket, a timer) is released before the caller goes on; its
cancellation is the expected outcome and is swallowed, any other failure is not.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import structlog

log = structlog.get_logger(__name__)

TaskBody = Callable[[], Coroutine[Any, Any, None]]
"""What a supervised task runs: a coroutine function, called again for each restart."""

Restart = Callable[[], "asyncio.Task[Any] | None"]
"""Starts a watched task again (its owner's `start`); the new task."""


async def stop_task(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` (if any) and wait until it has ended."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


class TaskSet:
    """Short tasks an object starts and does not wait for (an answer to send, a request to
    make), kept referenced until they end and cancelled together when the object stops.
    Long-lived tasks its owner watches may be added too (`add`), so one `cancel` ends all."""

    def __init__(self) -> None:
        """No task yet."""
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Awaitable[Any], *, name: str | None = None) -> asyncio.Task[Any]:
        """Run `work` in a task of its own; the task."""

        async def run() -> None:
            await work

        return self.add(asyncio.get_running_loop().create_task(run(), name=name))

    def add(self, task: asyncio.Task[Any]) -> asyncio.Task[Any]:
        """Keep `task` until it ends (cancelled with the others); the task."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def cancel(self) -> None:
        """Cancel every task and wait until all have ended (whatever they raised)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def __len__(self) -> int:
        return len(self._tasks)


@dataclass(frozen=True, slots=True)
class TaskState:
    """One supervised task as /readyz and /metrics show it."""

    name: str
    group: str
    """What the task serves (an AMI server's name), "" for the service as a whole."""
    up: bool
    """Running now (False while it waits to restart, or stays down on purpose)."""
    restarts: int
    """Times it was started again after a crash."""
    last_error: str | None
    """Why it last stopped (`TypeError: ...`); None if it never did."""


@dataclass(slots=True)
class _Entry:
    name: str
    body: TaskBody | None
    """None for a watched task (its owner runs it)."""
    group: str
    restart: bool
    runner: asyncio.Task[None] | None = None
    up: bool = True
    stopping: bool = False
    restarts: int = 0
    last_error: str | None = None
    timer: asyncio.TimerHandle | None = None


def log_safely(method: Callable[..., Any], message: str, **fields: Any) -> None:
    """`method(message, **fields)` (a structlog method), whatever the log pipeline does:
    if logging raises, the line goes to stderr instead; this never raises."""
    try:
        method(message, **fields)
    except Exception as exc:  # noqa: BLE001  (logging must never end the supervision)
        with contextlib.suppress(Exception):
            sys.stderr.write(f"{message} {fields!r} (logging failed: {exc!r})\n")


class TaskSupervisor:
    """Runs named long-lived tasks, restarts those that crash, and reports their state."""

    def __init__(
        self,
        *,
        initial_backoff_s: float = 0.1,
        max_backoff_s: float = 5.0,
        healthy_after_s: float = 30.0,
    ) -> None:
        """Restart a crashed task after `initial_backoff_s`, doubling up to `max_backoff_s`
        for crashes in a row; a run of `healthy_after_s` or more starts the doubling over.

        The cap is short on purpose: while a consumer of Asterisk's events is down the
        calls it follows go unanswered.
        """
        self._initial = initial_backoff_s
        self._max = max_backoff_s
        self._healthy = healthy_after_s
        self._entries: dict[str, _Entry] = {}

    def start(self, name: str, body: TaskBody, *, group: str = "", restart: bool = True) -> None:
        """Run `body()` as the task `name` (unique) from now until `stop`.

        `group` ties the task to what it serves (an AMI server: its link shows as down
        while the task is); `restart=False` leaves a crashed task down, on purpose.
        """
        old = self._entries.get(name)
        if old is not None and old.runner is not None and not old.runner.done():
            raise ValueError(f"a task named {name!r} is already supervised")
        entry = _Entry(name, body, group, restart)
        self._entries[name] = entry
        entry.runner = asyncio.create_task(self._keep(entry), name=name)

    def watch(
        self,
        name: str,
        task: asyncio.Task[Any] | None,
        restart: Restart | None = None,
        *,
        group: str = "",
    ) -> None:
        """Follow `task`, which its owner started and will stop: its end before `stop` is
        a crash (logged with its cause; the task is down), and `restart()` (None: the task
        stays down) starts it again after the backoff and returns the new task."""
        entry = _Entry(name, None, group, restart is not None)
        self._entries[name] = entry
        self._follow(entry, task, restart, 0)

    def _follow(
        self, entry: _Entry, task: asyncio.Task[Any] | None, restart: Restart | None, in_a_row: int
    ) -> None:
        if task is None:
            entry.up, entry.last_error = False, "not running"
            return
        entry.up = True
        loop = asyncio.get_running_loop()
        started = loop.time()

        def ended(done: asyncio.Task[Any]) -> None:
            if entry.stopping:
                return
            fields: dict[str, Any] = {}
            if done.cancelled():
                entry.last_error = "cancelled"
            elif (exc := done.exception()) is not None:
                entry.last_error = f"{type(exc).__name__}: {exc}"
                fields["exc_info"] = exc
            else:
                entry.last_error = "ended on its own"
            entry.up = False
            row = 0 if loop.time() - started >= self._healthy else in_a_row
            delay = min(self._max, self._initial * 2**row) if restart is not None else None
            log_safely(
                log.error,
                "task.crashed",
                task=entry.name,
                error=entry.last_error,
                restarts=entry.restarts,
                restart_in_s=None if delay is None else round(delay, 3),
                **fields,
            )
            if restart is not None and delay is not None:
                entry.timer = loop.call_later(delay, self._again, entry, restart, row + 1)

        task.add_done_callback(ended)

    def _again(self, entry: _Entry, restart: Restart, in_a_row: int) -> None:
        entry.timer = None
        if entry.stopping:
            return
        entry.restarts += 1
        try:
            task = restart()
        except Exception as exc:  # noqa: BLE001  (a failed restart is one more crash)
            entry.last_error = f"{type(exc).__name__}: {exc}"
            log_safely(log.error, "task.restart_failed", task=entry.name, error=entry.last_error)
            return
        log_safely(log.info, "task.restarted", task=entry.name, restarts=entry.restarts)
        self._follow(entry, task, restart, in_a_row)

    def states(self) -> list[TaskState]:
        """Every task started, by name."""
        return [
            TaskState(e.name, e.group, e.up, e.restarts, e.last_error)
            for e in sorted(self._entries.values(), key=lambda e: e.name)
        ]

    def down(self) -> list[TaskState]:
        """The tasks not running now."""
        return [state for state in self.states() if not state.up]

    async def stop(self, *names: str) -> None:
        """Stop the named tasks (every task when none is named); raises for none of them."""
        if names:
            entries = [self._entries.pop(n) for n in names if n in self._entries]
        else:
            entries = list(self._entries.values())
            self._entries.clear()
        for entry in entries:
            entry.stopping = True
            if entry.timer is not None:
                entry.timer.cancel()
            runner, entry.runner = entry.runner, None
            entry.up = False
            if runner is None:
                continue
            runner.cancel()
            try:
                await runner
            except asyncio.CancelledError:
                pass
            except Exception as exc:  # noqa: BLE001  (stopping goes on for the others)
                log_safely(log.error, "task.stop_failed", task=entry.name, error=repr(exc))

    async def _keep(self, entry: _Entry) -> None:
        loop = asyncio.get_running_loop()
        in_a_row = 0
        while True:
            started = loop.time()
            entry.up = True
            fields: dict[str, Any] = {}
            try:
                assert entry.body is not None  # started by `start`, which runs a body
                await entry.body()
            except asyncio.CancelledError:
                entry.up = False
                raise
            except Exception as exc:  # noqa: BLE001  (every crash is logged, then restarted)
                entry.last_error = f"{type(exc).__name__}: {exc}"
                fields["exc_info"] = exc
            else:
                entry.last_error = "ended on its own"
            entry.up = False
            if loop.time() - started >= self._healthy:
                in_a_row = 0
            delay = min(self._max, self._initial * 2**in_a_row) if entry.restart else None
            in_a_row += 1
            log_safely(
                log.error,
                "task.crashed",
                task=entry.name,
                error=entry.last_error,
                restarts=entry.restarts,
                restart_in_s=None if delay is None else round(delay, 3),
                **fields,
            )
            if delay is None or entry.stopping:
                return
            await asyncio.sleep(delay)
            entry.restarts += 1
            log_safely(log.info, "task.restarted", task=entry.name, restarts=entry.restarts)
