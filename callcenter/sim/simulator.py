"""`PbxSimulator`: a stand-in for Asterisk that speaks real AMI and FastAGI over sockets.

Strategy: the facade tests and the demo use. It owns a `Pbx` (the shared state), an
`AMIServer` (port 0 by default: read `ami_port`), and the tasks of every call. Callers are
placed with `place_call(CallerScript(...))`, which returns a `SimCall` at once; the
simulated caller then dials the hotline, reaches the product's FastAGI server at
`agi_host:agi_port` and follows its script. Agent phones are registered with `add_phone`
and react to the product's Originate actions. Time is injectable (`ScaledClock` makes
tests fast). Test hooks: `hangup(channel)`, `drop_ami()`, `refuse_ami(seconds)`,
`cut_agi(channel)`, `vanish(channel)`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from types import TracebackType

import structlog

from callcenter.sim.ami_server import AMIServer
from callcenter.sim.calls import CallerCall
from callcenter.sim.clock import Clock, RealClock
from callcenter.sim.options import SimOptions
from callcenter.sim.participants import (
    AgentPhone,
    Callee,
    CallerScript,
    CallRecord,
    PhoneRing,
)
from callcenter.sim.pbx import Pbx

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SimCall:
    """A placed call: its channel name and Uniqueid now, its `CallRecord` when `done`."""

    channel: str
    uniqueid: str
    record: CallRecord
    done: asyncio.Future[CallRecord]


class PbxSimulator:
    """A simulated Asterisk: AMI server, FastAGI client, callers and agent phones."""

    def __init__(
        self,
        agi_host: str = "127.0.0.1",
        agi_port: int = 4573,
        username: str = "callcenter",
        secret: str = "callcenter",  # noqa: S107  (the lab credentials, lab-config/manager.conf)
        *,
        clock: Clock | None = None,
        options: SimOptions | None = None,
        ami_host: str = "127.0.0.1",
        ami_port: int = 0,
    ) -> None:
        """Configure; nothing listens until `start()`. `options` overrides the AGI target."""
        base = options or SimOptions()
        self.options = replace(base, agi_host=agi_host, agi_port=agi_port)
        self.clock: Clock = clock or RealClock()
        self.pbx = Pbx(self.clock, self.options)
        self.ami = AMIServer(self.pbx, username, secret, ami_host)
        self._requested_port = ami_port
        self._started = False

    @property
    def ami_port(self) -> int:
        """The TCP port the AMI server is bound to (after `start()`)."""
        return self.ami.port

    async def start(self) -> None:
        """Start listening for AMI clients."""
        await self.ami.start(self._requested_port)
        self._started = True
        log.info("sim.started", ami_port=self.ami.port, agi_port=self.options.agi_port)

    def add_phone(self, phone: AgentPhone) -> None:
        """Register (or replace) the phone on `phone.endpoint`."""
        self.pbx.phones[phone.endpoint] = phone

    def add_callee(self, callee: Callee) -> None:
        """Register (or replace) the customer an agent-first callback reaches at
        `callee.number` (an unknown number answers after a second and talks on)."""
        self.pbx.callees[callee.number] = callee

    async def place_call(self, script: CallerScript) -> SimCall:
        """A caller dials in now; returns at once with the call's channel and Uniqueid."""
        if not self._started:
            raise RuntimeError("PbxSimulator.start() must run before place_call()")
        call = CallerCall(self.pbx, script)
        self.pbx.spawn(call.run(), f"call:{call.channel.name}")
        await asyncio.sleep(0)  # let the call emit Newchannel before the caller goes on
        return SimCall(call.channel.name, call.channel.uniqueid, call.record, call.done)

    def hangup(self, channel: str) -> bool:
        """The party on `channel` hangs up (caller or phone); False if no such channel."""
        by = "caller" if channel in self.pbx.calls else "agent"
        if channel in self.pbx.dials:
            by = "customer"
        return self.pbx.hangup(channel, by=by)

    def cut_agi(self, channel: str) -> bool:
        """The caller's FastAGI connection breaks (a reset) while the channel lives on: the
        dialplan goes on (a queued caller waits in `[queue-hold]`); False if no such call."""
        call = self.pbx.calls.get(channel)
        if call is None or call.leg is None:
            return False
        call.leg.break_connection()
        return True

    def vanish(self, channel: str) -> bool:
        """The caller's channel disappears without a `Hangup` event and its FastAGI
        connection closes without a `HANGUP` line: what the service sees of a phantom call
        (a peer that was never Asterisk) or of an Asterisk that lost the call. A test's
        fault, not Asterisk's behaviour; False if no such call."""
        call = self.pbx.calls.get(channel)
        if call is None:
            return False
        self.pbx.remove(call.channel)  # no event: Asterisk never says
        for task in list(self.pbx.tasks):
            name = task.get_name()
            if name == f"call:{channel}" or name.startswith(f"agi:{channel}:"):
                task.cancel()
        return True

    def set_rtp_ports(self, ports: int | None) -> None:
        """Give Asterisk `ports` RTP ports from now on (None: unlimited), as a test's fault."""
        self.pbx.options = replace(self.pbx.options, rtp_ports=ports)

    def rings(self, endpoint: str | None = None) -> list[PhoneRing]:
        """What the phones saw of each Originate (of one phone's endpoint, if given)."""
        return [r for r in self.pbx.rings if endpoint is None or r.endpoint == endpoint]

    @property
    def dialled(self) -> list[str]:
        """The customers' numbers agent-first callbacks dialled through the trunk, in order."""
        return list(self.pbx.dialled)

    @property
    def channels(self) -> list[str]:
        """Names of every live channel."""
        return sorted(self.pbx.channels)

    async def drop_ami(self) -> int:
        """Cut every AMI connection (clients must reconnect); returns how many were cut."""
        dropped = self.ami.drop_all()
        await asyncio.sleep(0)
        return dropped

    def refuse_ami(self, seconds: float) -> None:
        """Close new AMI connections at once for `seconds` of simulated time."""
        self.ami.refuse_for(seconds)

    async def close(self) -> None:
        """Stop the AMI server and every call task."""
        await self.ami.close()
        tasks = list(self.pbx.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._started = False

    async def __aenter__(self) -> PbxSimulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
