"""A waiting caller whose FastAGI session ended without a hang-up: is the caller still there?

Strategy: Asterisk tells the holding session of a queued caller when the call is over for
it (a `HANGUP` line, a -1, a 511: `AGISession.hangup_seen`), whether the caller hung up or
an agent's Originate bridged them away, and AMI reports the why. A session that just loses
its connection, or whose Asterisk falls silent, says nothing: Asterisk may have died with
the call (its AMI link drops too, and the resync after the reconnect settles it), a peer
that was never Asterisk may have fed us a phantom call (no channel ever existed, no AMI
event will ever come), or the caller may wait on in the dialplan's `[queue-hold]` (the
connection broke, the channel lives: config/asterisk/extensions.conf). So Asterisk is asked
at once (AMI `Status` of the caller's channel). Gone: the call ends as an abandon (the ACD
hears `CallerHungUp`, no agent is offered a call nobody is on, the interaction notes why,
and the warning says so). There: it keeps its place, and the next offer's Originate bridges
the held caller. AMI cannot tell (link down): asked again a few times, then left to the
resync after the next login, which compares every call with Asterisk's channels.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import structlog

from acd import CallerHungUp
from callcenter.ami import AMIClient, AMIError
from callcenter.ami import actions as ami
from callcenter.db import BatchedWriter, WriteQueueFull
from callcenter.db.interactions import SetOutcome
from callcenter.live.host import AcdHost
from callcenter.pbx.calls import PbxCall, PbxCalls

log = structlog.get_logger(__name__)

ChannelExists = Callable[[str, str], Awaitable[bool | None]]
"""`exists(channel, uniqueid)`: whether Asterisk carries the caller's channel; None when it
cannot tell (no AMI link, no answer). Never raises."""

ENDED_BY = "ended.reason"
"""The interaction's data key that says why a call ended the service's way."""


def ami_channel_exists(ami_client: Callable[[str], AMIClient | None]) -> ChannelExists:
    """A `ChannelExists` asking over AMI, of the client `ami_client(uniqueid)` names (the
    server the caller is on): `Status Channel=<name>` answers the channel's `Status` item
    (its Uniqueid must be the call's), or `Error: No such channel`."""

    async def exists(channel: str, uniqueid: str) -> bool | None:
        client = ami_client(uniqueid)
        if client is None or not client.connected:
            return None
        try:
            result = await client.send_action(ami.status(channel), check=False)
        except AMIError as exc:
            log.warning("pbx.channel_status_failed", error=str(exc))
            return None
        if not result.ok:
            message = (result.response.message or "").lower()
            return False if "no such channel" in message else None
        return any(item.headers.get("Uniqueid") == uniqueid for item in result.events)

    return exists


class LostSessions:
    """Checks with Asterisk the waiting callers whose holding session was lost."""

    def __init__(
        self,
        host: AcdHost,
        calls: PbxCalls,
        exists: ChannelExists,
        *,
        writer: BatchedWriter | None = None,
        attempts: int = 3,
        retry_s: float = 1.0,
    ) -> None:
        """Tell `host`'s ACD of a caller gone (tracked in `calls`), asking `exists`; the
        reason goes on the interaction through `writer`. When AMI cannot tell, ask
        `attempts` times `retry_s` apart."""
        self._host = host
        self._calls = calls
        self._exists = exists
        self._writer = writer
        self._attempts = max(1, attempts)
        self._retry_s = retry_s
        self._tasks: set[asyncio.Task[None]] = set()
        self.ended = 0
        """Calls ended because their caller was gone (a health figure)."""

    def session_lost(self, call: PbxCall, why: str) -> None:
        """The holding session of `call` ended without a hang-up (`why`): ask Asterisk."""
        task = asyncio.create_task(self._check(call, why), name=f"lost-session:{call.call_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop the checks under way (a restart's resync settles those calls)."""
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _settled(self, call: PbxCall) -> bool:
        # A fact that came meanwhile (its Hangup, the bridge to an agent) settled it.
        return call.ended or call.connected or self._calls.get(call.call_id) is not call

    async def _check(self, call: PbxCall, why: str) -> None:
        for attempt in range(self._attempts):
            if self._settled(call):
                return
            found = await self._exists(call.caller_channel, call.call_id)
            if self._settled(call):
                return
            if found is True:
                log.info(
                    "pbx.caller_still_waiting",
                    call_id=call.call_id,
                    why=why,
                    what="Asterisk still has the caller (held in the dialplan): kept in line",
                )
                return
            if found is False:
                self._end(call, why)
                return
            if attempt + 1 < self._attempts:
                await asyncio.sleep(self._retry_s)
        log.warning(
            "pbx.caller_unverified",
            call_id=call.call_id,
            why=why,
            what="AMI cannot tell whether the caller is there; the resync after the next "
            "AMI login decides",
        )

    def _end(self, call: PbxCall, why: str) -> None:
        reason = f"the FastAGI session ended without a hang-up ({why}) and Asterisk has no channel"
        self._calls.forget(call)
        self._host.submit(CallerHungUp(self._host.now(), call.call_id))
        self.ended += 1
        log.warning("pbx.caller_gone", call_id=call.call_id, reason=reason, ended_as="abandoned")
        if self._writer is not None:
            task = asyncio.create_task(self._note(self._writer, call.call_id, reason))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _note(self, writer: BatchedWriter, call_id: str, reason: str) -> None:
        # Once the ACD has applied the abandon, its recorder has queued the call's record:
        # the reason, queued after it, is added to that record (the writer keeps order).
        await self._host.drain()
        op = SetOutcome(call_id, "abandoned", {ENDED_BY: reason}, datetime.now(UTC))
        try:
            writer.submit(op)
        except WriteQueueFull as exc:
            log.error("db.write_refused", op="SetOutcome", error=str(exc))
