"""A traffic generator for the demo and the load benchmark: callers arriving at a rate.

Strategy: arrivals are a Poisson process (exponential gaps with mean `1 / rate_per_s`,
from a seedable `random.Random`) in the simulator's clock, so a scaled clock compresses
an hour of traffic into seconds. `script_factory(n)` builds the n-th caller's script,
which keeps the mix (IVR choices, patience, talk time) in the caller's hands.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from callcenter.sim.participants import CallerScript
from callcenter.sim.simulator import PbxSimulator, SimCall

ScriptFactory = Callable[[int], CallerScript]
"""Builds the script of the n-th caller (n counts from 0)."""


async def run_traffic(
    sim: PbxSimulator,
    rate_per_s: float,
    script_factory: ScriptFactory,
    *,
    count: int | None = None,
    duration_s: float | None = None,
    rng: random.Random | None = None,
) -> list[SimCall]:
    """Place calls at `rate_per_s` until `count` calls or `duration_s` simulated seconds.

    Returns every call placed (await each `done` for the outcomes). At least one of
    `count` and `duration_s` must be given.
    """
    if rate_per_s <= 0:
        raise ValueError(f"rate_per_s must be positive, got {rate_per_s}")
    if count is None and duration_s is None:
        raise ValueError("run_traffic needs count or duration_s")
    rng = rng or random.Random()
    clock = sim.clock
    start = clock.now()
    placed: list[SimCall] = []
    while count is None or len(placed) < count:
        gap = rng.expovariate(rate_per_s)
        if duration_s is not None and clock.now() + gap - start > duration_s:
            break
        await clock.sleep(gap)
        placed.append(await sim.place_call(script_factory(len(placed))))
    return placed
