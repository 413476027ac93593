"""The batched writer: the hot path hands writes over and never waits for the database.

Strategy: one asyncio task owns a bounded queue of operations (`WriteOp`: anything with
`async apply(session)`, e.g. `AppendEvents`, `SaveInteraction`). It takes what is queued,
up to `batch_size`, and applies it in one transaction. Each failure increments `failures`,
sets `last_error` and logs `db_write_failed`, so trouble is visible on the first attempt.

Failures come in two kinds. A transient one (the database is down, locked, the connection
dropped) retries the batch whole and in order with exponential backoff, for as long as it
takes: nothing is dropped, and the writes catch up when the database is back. A permanent
one (an integrity or data error, a bug in an operation) would fail forever and stall every
write queued behind it, so the batch is split and each operation written alone; one still
refused is rejected: counted in `rejected`, kept in `dead_letters` (the newest 1,000, as
type and error, no row data) and logged as `db_write_rejected`. When the queue is full (the
database has been down for a while), `submit` raises `WriteQueueFull` at once instead of
blocking the call: the caller decides, and it is never silent. `close()` flushes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Protocol, cast

import structlog
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = structlog.get_logger(__name__)


class WriteOp(Protocol):
    """One deferred write, applied inside the writer's transaction."""

    async def apply(self, session: AsyncSession) -> None:
        """Add or change rows through `session` (no commit: the writer commits)."""
        ...


class MergeableOp(Protocol):
    """A `WriteOp` that a later one of the same key can absorb within one batch."""

    def merge_key(self) -> Hashable:
        """Operations with equal keys merge (e.g. the same call's record)."""
        ...

    def merged(self, later: Any) -> WriteOp:
        """One operation doing what this one and then `later` would."""
        ...


def coalesce(ops: list[WriteOp]) -> list[WriteOp]:
    """The batch with mergeable operations folded together, the first one's place kept.

    Many small writes of one batch (every ACD record, every step of a call's interaction)
    become one multi-row insert and one write per call: the database work per call no
    longer grows with the number of records it produces.
    """
    out: list[WriteOp] = []
    index: dict[Hashable, int] = {}
    for op in ops:
        key_of = getattr(op, "merge_key", None)
        if key_of is None:
            out.append(op)
            continue
        key = key_of()
        at = index.get(key)
        if at is None:
            index[key] = len(out)
            out.append(op)
        else:
            out[at] = cast(MergeableOp, out[at]).merged(op)
    return out


class WriteQueueFull(RuntimeError):
    """The writer's queue is full: the database is not keeping up or is down."""


def is_transient(exc: BaseException) -> bool:
    """True for failures that retrying can cure: the database away, locked or reconnecting."""
    if isinstance(exc, OSError | TimeoutError | OperationalError | InterfaceError):
        return True
    if isinstance(exc, DisconnectionError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


FENCED_SQLSTATE = "CC001"
"""What PostgreSQL answers an event-log entry of a leader's term that is over (0012)."""


def fenced_error(exc: BaseException) -> str | None:
    """The database's message when `exc` is the fence refusing a write, else None."""
    seen: BaseException | None = exc
    for _ in range(5):  # SQLAlchemy wraps the driver's error, which wraps asyncpg's
        if seen is None:
            return None
        if getattr(seen, "sqlstate", None) == FENCED_SQLSTATE:
            return str(seen).splitlines()[0]
        seen = getattr(seen, "orig", None) or seen.__cause__
    return None


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
        self._hurry = asyncio.Event()
        """Set by `flush`: someone waits for the batch, so it stops waiting for company."""
        self._submitted = 0
        self._settled = 0
        """Operations submitted, and taken to the end (written or refused), so far."""
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None
        self.written = 0
        """Operations committed so far."""
        self.failures = 0
        """Failed batch attempts so far (each was retried)."""
        self.last_error: str | None = None
        self.rejected = 0
        self.dead_letters: deque[tuple[str, str]] = deque(maxlen=1000)
        """The last failure's message; None once a batch commits again."""
        self.fenced: Callable[[str], None] | None = None
        """Told when the database refuses a write because this node's term is over (the
        service then steps down); the write is not retried."""

    @property
    def pending(self) -> int:
        """Operations submitted and not yet committed."""
        return self._queue.qsize()

    def start(self) -> asyncio.Task[None]:
        """Start the background task (idempotent; again if it ended); the task."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="db-writer")
        return self._task

    def submit(self, op: WriteOp) -> None:
        """Queue `op` without waiting; `WriteQueueFull` when the queue is full."""
        try:
            self._queue.put_nowait(op)
            self._submitted += 1
        except asyncio.QueueFull:
            log.error("db_write_queue_full", pending=self._queue.qsize(), error=self.last_error)
            raise WriteQueueFull(
                f"{self._queue.qsize()} writes pending; last error: {self.last_error}"
            ) from None

    async def flush(self, timeout: float | None = None) -> None:
        """Wait until everything submitted so far is committed (`TimeoutError` if not)."""
        self.start()
        self._hurry.set()
        async with asyncio.timeout(timeout):
            await self._queue.join()

    async def settle(self, timeout: float | None = None) -> None:
        """Wait until the operations submitted so far are taken to the end (committed, or
        refused and counted); `TimeoutError` if not. Unlike `flush`, later submissions do
        not make it wait longer: under steady traffic the queue is never empty."""
        target = self._submitted
        if self._settled >= target:
            return
        self.start()
        self._hurry.set()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, waiter))
        try:
            async with asyncio.timeout(timeout):
                await waiter
        finally:
            if not waiter.done():
                waiter.cancel()
                self._waiters = [(t, w) for t, w in self._waiters if w is not waiter]

    def _wake_settled(self) -> None:
        waiting = []
        for target, waiter in self._waiters:
            if target <= self._settled:
                if not waiter.done():
                    waiter.set_result(None)
            else:
                waiting.append((target, waiter))
        self._waiters = waiting

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
            if len(batch) < self._batch_size and self._interval > 0 and not self._hurry.is_set():
                await self._wait_for_company()
                self._take(batch)
            self._hurry.clear()
            await self._write(batch)
            for _ in batch:
                self._queue.task_done()
            self._settled += len(batch)
            self._wake_settled()

    async def _wait_for_company(self) -> None:
        """The batch interval, cut short by a `flush`."""
        waits = [
            asyncio.ensure_future(self._sleep(self._interval)),
            asyncio.ensure_future(self._hurry.wait()),
        ]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    async def _write(self, batch: list[WriteOp]) -> None:
        refused = await self._apply(batch)
        if refused is None:
            return
        if len(batch) > 1:
            # One bad operation must not stall the rest: find it by writing each alone.
            for op in batch:
                error = await self._apply([op])
                if error is not None:
                    self._reject(op, error)
        else:
            self._reject(batch[0], refused)

    def _reject(self, op: WriteOp, error: str) -> None:
        self.rejected += 1
        self.dead_letters.append((type(op).__name__, error))
        log.error("db_write_rejected", op=type(op).__name__, error=error, rejected=self.rejected)

    async def _apply(self, ops: list[WriteOp]) -> str | None:
        """Write `ops` in one transaction, retrying transient failures for as long as it
        takes; None once written, or the error text of a permanent failure."""
        delay = self._retry_initial
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._sessions() as session, session.begin():
                    for op in coalesce(ops):
                        await op.apply(session)
            except Exception as exc:  # noqa: BLE001  (every failure is classified and surfaced)
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                fenced = fenced_error(exc)
                if fenced is not None:
                    if self.fenced is not None:
                        self.fenced(fenced)
                    return fenced
                transient = is_transient(exc)
                log.error(
                    "db_write_failed",
                    attempt=attempt,
                    batch=len(ops),
                    retry_in_s=delay if transient else None,
                    permanent=not transient,
                    error=self.last_error,
                )
                if not transient:
                    return self.last_error
                await self._sleep(delay)
                delay = min(delay * 2, self._retry_max)
                continue
            self.written += len(ops)
            if attempt > 1:
                log.info("db_write_recovered", attempts=attempt, batch=len(ops))
            self.last_error = None
            return None
