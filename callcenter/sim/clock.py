"""Time for the simulator: real, or faster than real so that tests stay fast.

Strategy: every delay the simulator models (a prompt playing, a phone ringing, a caller's
patience) goes through a `Clock`, never through `asyncio.sleep` directly. `RealClock` is
wall time; `ScaledClock(speed=100)` plays 100 simulated seconds in one real second, so a
test can ring a phone for "15 s" in 150 ms and still exercise the real sockets. `now()` is
simulated Unix time: it stamps Uniqueids, `Ping` timestamps and channel durations.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """What the simulator needs from time: the current time and a way to wait."""

    def now(self) -> float:
        """Simulated Unix time in seconds."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of simulated time."""
        ...

    def real_seconds(self, seconds: float) -> float:
        """How many real seconds `seconds` of simulated time take (for asyncio timeouts)."""
        ...


class RealClock:
    """Wall-clock time: a simulated second is a real second."""

    def now(self) -> float:
        """The current Unix time."""
        return time.time()

    async def sleep(self, seconds: float) -> None:
        """Sleep for real."""
        await asyncio.sleep(max(0.0, seconds))

    def real_seconds(self, seconds: float) -> float:
        """The same number of seconds."""
        return seconds


class ScaledClock:
    """Simulated time running `speed` times faster than real time.

    Starts at the real current time (or `start`) and then advances `speed` simulated
    seconds per real second.
    """

    def __init__(self, speed: float = 100.0, start: float | None = None) -> None:
        if speed <= 0:
            raise ValueError(f"clock speed must be positive, got {speed}")
        self.speed = speed
        self._origin = time.time() if start is None else start
        self._mono = time.monotonic()

    def now(self) -> float:
        """Simulated Unix time."""
        return self._origin + (time.monotonic() - self._mono) * self.speed

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds / speed` real seconds."""
        await asyncio.sleep(max(0.0, seconds) / self.speed)

    def real_seconds(self, seconds: float) -> float:
        """`seconds / speed`."""
        return seconds / self.speed
