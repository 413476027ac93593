"""The batched writer: the hot path hands writes over and never waits for the database.

Strategy: one asyncio task owns a bounded queue of operations (`WriteOp`: anything with
`async apply(session)`, e.g. `AppendEvents`, `SaveInteraction`). It takes what is queued,
up to `batch_size`, and applies it in one transaction. A failed batch is kept and retried,
whole and in order, with exponential backoff; each failure increments `failures`, sets
`last_error` and logs `db_write_failed`, so an outage is visible on the first failed
attempt, and nothing is ever dropped. When the queue is full (the database has been down
for a while), `submit` raises `WriteQueueFull` at once instead of blocking the call:
the caller decides, and it is never silent. `close()` flushes on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = structlog.get_logger(__name__)


class WriteOp(Protocol):
    """One deferred write, applied inside the writer's transaction."""

    async def apply(self, session: AsyncSession) -> None:
        """Add or change rows through `session` (no commit: the writer commits)."""
        ...


class WriteQueueFull(RuntimeError):
    """The writer's queue is full: the database is not keeping up or is down."""


class BatchedWriter:
    """Applies queued `WriteOp`s in batches from one background task."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        batch_size: int = 200,
        interval_s: float = 0.05,
        max_pending: int = 10_000,
        retry_initial_s: float = 0.1,
        retry_max_s: float = 5.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`interval_s` is how long a small batch waits for company before it is written."""
        self._sessions = sessions
        self._batch_size = batch_size
        self._interval = interval_s
        self._retry_initial = retry_initial_s
        self._retry_max = retry_max_s
        self._sleep = sleep
        self._queue: asyncio.Queue[WriteOp] = asyncio.Queue(max_pending)
        self._task: asyncio.Task[None] | None = None
        self.written = 0
        """Operations committed so far."""
        self.failures = 0
        """Failed batch attempts so far (each was retried)."""
        self.last_error: str | None = None
        """The last failure's message; None once a batch commits again."""

    @property
    def pending(self) -> int:
        """Operations submitted and not yet committed."""
        return self._queue.qsize()

    def start(self) -> None:
        """Start the background task (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="db-writer")

    def submit(self, op: WriteOp) -> None:
        """Queue `op` without waiting; `WriteQueueFull` when the queue is full."""
        try:
            self._queue.put_nowait(op)
        except asyncio.QueueFull:
            log.error("db_write_queue_full", pending=self._queue.qsize(), error=self.last_error)
            raise WriteQueueFull(
                f"{self._queue.qsize()} writes pending; last error: {self.last_error}"
            ) from None

    async def flush(self, timeout: float | None = None) -> None:
        """Wait until everything submitted so far is committed (`TimeoutError` if not)."""
        self.start()
        async with asyncio.timeout(timeout):
            await self._queue.join()

    async def close(self, timeout: float | None = None) -> None:
        """Flush, then stop the task; what cannot be written in time raises `TimeoutError`."""
        try:
            await self.flush(timeout)
        finally:
            if self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
                self._task = None

    def _take(self, batch: list[WriteOp]) -> None:
        while len(batch) < self._batch_size:
            try:
                batch.append(self._queue.get_nowait())
            except asyncio.QueueEmpty:
                return

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            self._take(batch)
            if len(batch) < self._batch_size and self._interval > 0:
                await self._sleep(self._interval)
                self._take(batch)
            await self._write(batch)
            for _ in batch:
                self._queue.task_done()

    async def _write(self, batch: list[WriteOp]) -> None:
        delay = self._retry_initial
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._sessions() as session, session.begin():
                    for op in batch:
                        await op.apply(session)
            except Exception as exc:  # noqa: BLE001  (any failure is retried and surfaced)
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.error(
                    "db_write_failed",
                    attempt=attempt,
                    batch=len(batch),
                    retry_in_s=delay,
                    error=self.last_error,
                )
                await self._sleep(delay)
                delay = min(delay * 2, self._retry_max)
                continue
            self.written += len(batch)
            if attempt > 1:
                log.info("db_write_recovered", attempts=attempt, batch=len(batch))
            self.last_error = None
            return
