"""The simulated PBX's shared state: channels, calls, phones, and the event fan-out.

Strategy: one `Pbx` object, owned by one event loop, holds every live channel and what is
running on it (a caller's call, an originated agent leg); the AMI server reads it for
list actions and the action handlers change it. All AMI events go through `emit`, which
hands them to the AMI server synchronously: the order in which the simulator decides
things is the order every client sees, as with one Asterisk. Protocol details live in the
modules that use them (`calls`, `originate`, `bridge`, `outbound`); this one is the
registry and the hang-up switchboard. Those modules see it through the protocols of
`registry_types` and never import this one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

from callcenter.sim.channel import Channel, ChannelFactory
from callcenter.sim.clock import Clock
from callcenter.sim.options import SimOptions
from callcenter.sim.participants import AgentPhone, Callee, PhoneRing
from callcenter.sim.wire import Pairs

if TYPE_CHECKING:
    from callcenter.sim.bridge import Bridging
    from callcenter.sim.calls import CallerCall
    from callcenter.sim.originate import AgentLeg
    from callcenter.sim.outbound import OutboundDial

log = structlog.get_logger(__name__)

Emit = Callable[[Pairs], None]


@dataclass
class Pbx:
    """Registry of everything live on the simulated PBX."""

    clock: Clock
    options: SimOptions
    emit: Emit = lambda pairs: None  # replaced by the AMI server's broadcast
    factory: ChannelFactory = field(init=False)
    channels: dict[str, Channel] = field(default_factory=dict)
    calls: dict[str, CallerCall] = field(default_factory=dict)
    legs: dict[str, AgentLeg] = field(default_factory=dict)
    dials: dict[str, OutboundDial] = field(default_factory=dict)
    """Customer legs of callbacks, by channel name."""
    callees: dict[str, Callee] = field(default_factory=dict)
    dialled: list[str] = field(default_factory=list)
    """The numbers callbacks dialled through the trunk, in order."""
    bridges: dict[str, Bridging] = field(default_factory=dict)
    phones: dict[str, AgentPhone] = field(default_factory=dict)
    rings: list[PhoneRing] = field(default_factory=list)
    """Every Originate that reached a phone, in order (what each phone saw)."""
    globals: dict[str, str] = field(default_factory=dict)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    started: float = 0.0

    def __post_init__(self) -> None:
        self.factory = ChannelFactory(self.clock, system_name=self.options.system_name)
        self.started = self.clock.now()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run `coro` as a task the simulator tracks (and cancels on close)."""
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("sim.task_failed", task=task.get_name(), error=repr(task.exception()))

    def add(self, channel: Channel) -> None:
        """Register a new live channel."""
        self.channels[channel.name] = channel

    def remove(self, channel: Channel) -> None:
        """Forget a channel that hung up."""
        channel.alive = False
        self.channels.pop(channel.name, None)
        self.calls.pop(channel.name, None)
        self.legs.pop(channel.name, None)
        for leg in list(self.legs.values()):
            leg.channel_gone(channel)

    def bridge_of(self, channel: Channel) -> Bridging | None:
        """The bridge `channel` is in, if any."""
        return self.bridges.get(channel.bridge_id) if channel.bridge_id else None

    def phone_busy(self, endpoint: str) -> bool:
        """True while the phone on `endpoint` already has a channel."""
        return any(leg.phone.endpoint == endpoint for leg in self.legs.values())

    def find(self, name: str) -> Channel | None:
        """A live channel by exact name, or the first whose name starts with `name-`."""
        if name in self.channels:
            return self.channels[name]
        return next((c for n, c in self.channels.items() if n.startswith(name + "-")), None)

    def channel(self, name_or_uniqueid: str) -> Channel | None:
        """A live channel by exact name or by Uniqueid (as Asterisk's channel lookup)."""
        if name_or_uniqueid in self.channels:
            return self.channels[name_or_uniqueid]
        return next((c for c in self.channels.values() if c.uniqueid == name_or_uniqueid), None)

    def hangup(self, name: str, *, by: str, cause: int | None = 16) -> bool:
        """Hang up channel `name` as `by` would; False when there is no such channel.

        `cause` None: a Hangup action without a Cause (a ringing leg then ends with 0).
        """
        call = self.calls.get(name)
        if call is not None:
            call.caller_hangup(by, cause=16 if cause is None else cause)
            return True
        leg = self.legs.get(name)
        if leg is not None:
            leg.hangup(by, cause=cause)
            return True
        dial = self.dials.get(name)
        if dial is not None:
            dial.hangup(16 if cause is None else cause)
            return True
        return False

    def media_port_free(self) -> bool:
        """Whether a new channel would get an RTP port (two ports per live channel)."""
        ports = self.options.rtp_ports
        return ports is None or len(self.channels) < ports // 2

    def device_state(self, device: str) -> str:
        """`DEVICE_STATE(PJSIP/<endpoint>)` as Asterisk reports a PJSIP phone."""
        tech, _, endpoint = device.partition("/")
        phone = self.phones.get(endpoint) if tech.upper() == "PJSIP" else None
        if phone is None:
            return "INVALID"
        if not phone.registered:
            return "UNAVAILABLE"
        legs = [leg for leg in self.legs.values() if leg.phone.endpoint == endpoint]
        if any(leg.ringing for leg in legs):
            return "RINGING"
        return "INUSE" if legs else "NOT_INUSE"

    def variable(self, name: str, channel: str | None) -> str | None:
        """Getvar: a channel variable, or a global one when `channel` is None (where the
        DEVICE_STATE() function is read too)."""
        if channel is None:
            if name.startswith("DEVICE_STATE(") and name.endswith(")"):
                return self.device_state(name[len("DEVICE_STATE(") : -1])
            return self.globals.get(name, "")
        chan = self.channels.get(channel)
        if chan is None:
            return None
        return chan.variable(name) or ""
