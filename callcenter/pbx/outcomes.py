"""A failed offer becomes the fact the ACD needs: the agent's failure, or the PBX's.

Strategy: the evidence comes in pieces and in no fixed order (Asterisk raises the
OriginateResponse from the dial thread and the channel events through stasis: on 22.10.1
a 488 showed the response before the leg's Hangup, a 503 the Hangup first). So: a decisive
`Reason` (3, 5, 8, 1) decides at once; a `Hangup` of the leg before its answer decides by
its cause and state; a `Reason` 0 waits up to `settle_s` for that Hangup, and when none
comes Asterisk never made the channel: the endpoint's `DEVICE_STATE` then tells a phone
that is not registered (the agent's side) from a PBX that could not make the channel
(see `failures`). The agent's side becomes `OfferTimedOut` or `OfferRejected`, the PBX's
`OfferFailed`; `PbxHealth` hears of both (a placed call clears its alert). A leg whose
offer was withdrawn meanwhile (the caller hung up) decides nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

import structlog

from acd import Event, OfferFailed, OfferRejected, OfferTimedOut
from callcenter.ami import AMIClient, AMIError
from callcenter.ami import actions as ami
from callcenter.pbx.calls import AgentLeg, PbxCalls
from callcenter.pbx.failures import (
    Blame,
    Verdict,
    from_hangup,
    from_missing_channel,
    from_reason,
    refused,
)
from callcenter.pbx.health import PbxHealth

log = structlog.get_logger(__name__)

LATE_HANGUP = Verdict(Blame.PBX, "other", "the Originate failed (reason 0), its cause unknown")
"""A failed Originate whose channel showed up but whose Hangup did not come in time."""


class FactSink(Protocol):
    """Where the facts go: the ACD host (`callcenter.live.AcdHost`)."""

    def now(self) -> float:
        """The core's clock."""

    def submit(self, fact: Event) -> None:
        """Queue a fact for the core."""


DeviceState = Callable[[str], Awaitable[str | None]]
"""Reads `DEVICE_STATE(<endpoint>)` from Asterisk (None when it cannot; never raises)."""


def ami_device_state(ami_client: Callable[[str], AMIClient | None]) -> DeviceState:
    """A `DeviceState` asking over AMI, of the client `ami_client(endpoint)` names (the
    server the phone is on): `Getvar DEVICE_STATE(PJSIP/agent1001)`: NOT_INUSE, INUSE,
    RINGING, UNAVAILABLE for an endpoint without contact, INVALID for none."""

    async def device_state(endpoint: str) -> str | None:
        client = ami_client(endpoint)
        if client is None:
            return None
        try:
            result = await client.send_action(ami.getvar(f"DEVICE_STATE({endpoint})"))
        except AMIError as exc:
            log.warning("pbx.device_state_failed", endpoint=endpoint, error=str(exc))
            return None
        return result.response.headers.get("Value") or None

    return device_state


class OfferOutcomes:
    """Turns failed Originates into the ACD's facts and the PBX's health."""

    def __init__(
        self,
        host: FactSink,
        calls: PbxCalls,
        health: PbxHealth,
        *,
        device_state: DeviceState,
        settle_s: float = 1.0,
    ) -> None:
        """Submit to the ACD `host`; `device_state(endpoint)` asks Asterisk about a phone."""
        self._host = host
        self._calls = calls
        self.health = health
        self._device_state = device_state
        self._settle_s = settle_s
        self._waiting: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def placed(self) -> None:
        """An Originate was answered: the PBX works."""
        self.health.placed()

    def originate_failed(self, leg: AgentLeg, reason: int | None) -> None:
        """The OriginateResponse of the current offer's leg says Failure."""
        verdict = from_reason(reason)
        if verdict is not None:
            self.decide(leg, verdict)
            return
        if leg.uniqueid in self._waiting:
            return
        loop = asyncio.get_running_loop()
        self._waiting[leg.uniqueid] = loop.call_later(self._settle_s, self._settled, leg)

    def leg_hung_up(self, leg: AgentLeg, cause: int | None, state: int | None) -> None:
        """The current offer's leg hung up before it was answered."""
        waiting = self._waiting.pop(leg.uniqueid, None)
        if waiting is not None:
            waiting.cancel()
        self.decide(leg, from_hangup(cause, state))

    def not_sent(self, call_id: str, agent_id: str, why: str) -> None:
        """The Originate was refused or could not be sent (the leg never existed)."""
        self._submit(call_id, agent_id, refused(why))

    def decide(self, leg: AgentLeg, verdict: Verdict) -> None:
        """The offer of `leg` failed for `verdict`: the ACD hears it, unless it was withdrawn."""
        call = self._calls.by_leg(leg.uniqueid)
        if call is not None and call.leg is leg:
            self._calls.drop_leg(call)
        if leg.withdrawn:
            return
        self._submit(leg.call_id, leg.agent_id, verdict)

    def _submit(self, call_id: str, agent_id: str, verdict: Verdict) -> None:
        host = self._host
        now = host.now()
        if verdict.pbx:
            self.health.failed(verdict, call_id=call_id, agent_id=agent_id)
            host.submit(OfferFailed(now, call_id, agent_id, verdict.cause))
            return
        if verdict.kind != "away":
            self.health.placed()  # the phone answered the INVITE: the PBX placed the call
        log.info(
            "pbx.offer_failed",
            call_id=call_id,
            agent=agent_id,
            kind=verdict.kind,
            cause=verdict.cause,
        )
        fact = OfferTimedOut if verdict.blame is Blame.NO_ANSWER else OfferRejected
        host.submit(fact(now, call_id, agent_id))

    def _settled(self, leg: AgentLeg) -> None:
        """No Hangup came after a Reason 0: did Asterisk make the channel at all?"""
        self._waiting.pop(leg.uniqueid, None)
        if leg.channel is not None:
            # The channel exists but its Hangup is late: decide on what is known.
            self.decide(leg, LATE_HANGUP)
            return
        self._calls.end_leg(leg)
        task = asyncio.create_task(self._no_channel(leg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _no_channel(self, leg: AgentLeg) -> None:
        state = await self._device_state(leg.endpoint)
        self.decide(leg, from_missing_channel(state))

    async def close(self) -> None:
        """Forget the offers still being decided."""
        for handle in self._waiting.values():
            handle.cancel()
        self._waiting.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
