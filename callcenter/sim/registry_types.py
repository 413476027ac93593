"""What runs on the simulated PBX sees of the registry, and of the agent's leg.

Strategy: the registry (`pbx.Pbx`) holds the callers' calls, the agent legs, the callback
dials and the bridges; each of those holds the registry back, a bridge its agent leg and a
callback's dial the agent leg that dials. They type those back-references through the
protocols here, so that no module of theirs imports `pbx` (or `originate`) and the imports
form no cycle. The tables that hold one of their own classes (`calls`, `legs`, `dials`,
`bridges`) cannot be named here: the module of that class declares its table in a protocol
extending `Registry` (`calls.CallRegistry`, `bridge.BridgeRegistry`,
`outbound.DialRegistry`, `originate.LegRegistry`). mypy checks that `Pbx` is each of them
where the simulator hands it in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol

from callcenter.sim.channel import Channel, ChannelFactory
from callcenter.sim.clock import Clock
from callcenter.sim.options import SimOptions
from callcenter.sim.participants import AgentPhone, Callee, PhoneRing
from callcenter.sim.wire import Pairs


class OpenBridge(Protocol):
    """A bridge a channel is in, as a caller's call ends it (`bridge.Bridging` is one)."""

    def end(self, *, by_caller: bool) -> None:
        """One side hangs up: the bridge comes down."""


class Registry(Protocol):
    """What the calls, agent legs, callback dials and bridges use of the registry."""

    clock: Clock
    options: SimOptions
    factory: ChannelFactory
    callees: dict[str, Callee]
    """The customers on the trunk, by number."""
    dialled: list[str]
    """The numbers callbacks dialled through the trunk, in order."""
    rings: list[PhoneRing]
    """Every Originate that reached a phone, in order."""

    def emit(self, pairs: Pairs) -> None:
        """Broadcast one AMI event to every client."""

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run `coro` as a task the simulator tracks (and cancels on close)."""

    def add(self, channel: Channel) -> None:
        """Register a new live channel."""

    def remove(self, channel: Channel) -> None:
        """Forget a channel that hung up."""

    def find(self, name: str) -> Channel | None:
        """A live channel by exact name, or the first whose name starts with `name-`."""

    def hangup(self, name: str, *, by: str, cause: int | None = 16) -> bool:
        """Hang up channel `name` as `by` would; False when there is no such channel."""

    def bridge_of(self, channel: Channel) -> OpenBridge | None:
        """The bridge `channel` is in, if any."""

    def phone_busy(self, endpoint: str) -> bool:
        """True while the phone on `endpoint` already has a channel."""

    def media_port_free(self) -> bool:
        """Whether a new channel would get an RTP port."""


class AgentSide(Protocol):
    """What a bridge and a callback's dial use of the agent's leg (`originate.AgentLeg`)."""

    channel: Channel
    phone: AgentPhone
    hung_up_by: str
    """Who hung the leg up (`agent` unless something else did)."""

    @property
    def stopped(self) -> asyncio.Future[int]:
        """Done, with the cause, once the phone (or an AMI Hangup) hangs the leg up."""

    def finish(self, cause: int) -> None:
        """Emit the Hangup event and forget the channel."""
