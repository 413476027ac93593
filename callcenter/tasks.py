"""Stopping the service's background tasks the same way everywhere.

Strategy: a task is cancelled and then awaited, so whatever it holds (a socket, a timer)
is released before the caller goes on; its cancellation is the expected outcome and is
swallowed, any other failure is not.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def stop_task(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` (if any) and wait until it has ended."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
