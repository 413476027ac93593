"""A process that stood still (frozen by SIGSTOP, a paused VM) knows it afterwards
(`LoopLag.stalled_since`): a cluster node does not take the end of an IVR session it lost
meanwhile for the caller's hang-up (callcenter/pbx/agi_routes.py, stuck_agi.py)."""

from __future__ import annotations

import asyncio
import time

from callcenter.app.ops import LoopLag


async def test_a_stall_is_seen_at_once_and_remembered_after_the_sampler_ran() -> None:
    lag = LoopLag(interval_s=0.05)
    loop = asyncio.get_running_loop()
    assert not lag.stalled_since(loop.time(), 0.5), "not sampling: nothing is known"
    lag.start()
    await asyncio.sleep(0.12)
    before = loop.time()
    assert not lag.stalled_since(before, 0.5)
    time.sleep(1.2)  # noqa: ASYNC251  (on purpose: the loop stands still, as when frozen)
    # Seen before the sampler ran again: what a woken process runs first.
    assert lag.stalled_since(before, 0.5)
    await asyncio.sleep(0.12)
    assert lag.stalled_since(before, 0.5), "remembered once sampled"
    assert not lag.stalled_since(loop.time(), 0.5), "nothing since"
    assert not lag.stalled_since(before, 2.0), "not as long as that"
    await lag.stop()
    assert not lag.stalled_since(before, 0.5)
