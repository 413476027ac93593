"""The demo's simulated agents handle the voicemails offered to them.

Strategy: a voicemail is offered on the desktop, and no phone rings for it, so the demo's
bots (whose phones answer every call) would leave each one to time out and stop being
ready (ring-no-answer) for the rest of the demo. This listener plays their desktop: a bot
offered a message accepts it after a moment (`OfferAnswered`, taken in the inbox), handles
it for a while and closes it with the first configured disposition (`CallEnded`), as a
person at the desk would. The person logged in as the first agent does it themselves.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, datetime

import structlog
from sqlalchemy.exc import SQLAlchemyError

from acd import CallEnded, CallKind, CallState, Command, Event, OfferAnswered, OfferCall
from callcenter.db.voicemails import VoicemailNotFound, VoicemailRepository, VoicemailStateError
from callcenter.live import LiveCenter

log = structlog.get_logger(__name__)

PREFIX = "vm-"


class VoicemailBots:
    """Accepts, handles and closes the voicemails the ACD offers to `agents`."""

    def __init__(
        self,
        center: LiveCenter,
        inbox: VoicemailRepository | None,
        agents: set[str],
        rng: random.Random,
        *,
        disposition: str,
        accept_s: tuple[float, float] = (1.0, 3.0),
        handle_s: tuple[float, float] = (20.0, 90.0),
    ) -> None:
        """Bots `agents` accept after `accept_s` and close after `handle_s` (uniform ranges,
        seconds) with `disposition`."""
        self._center = center
        self._inbox = inbox
        self._agents = agents
        self._rng = rng
        self._disposition = disposition
        self._accept_s = accept_s
        self._handle_s = handle_s
        self._tasks: set[asyncio.Task[None]] = set()

    def on_commands(self, commands: Sequence[Command], event: Event) -> None:
        """Start handling each voicemail offered to a bot."""
        for command in commands:
            if (
                isinstance(command, OfferCall)
                and command.kind is CallKind.VOICEMAIL
                and command.agent_id in self._agents
            ):
                task = asyncio.create_task(self._handle(command.call_id, command.agent_id))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _handle(self, entry: str, agent: str) -> None:
        host = self._center.host
        await asyncio.sleep(self._rng.uniform(*self._accept_s))
        view = host.acd.call_view(entry, host.now())
        if view is None or view.state is not CallState.OFFERED or view.agent_id != agent:
            return  # withdrawn meanwhile (handled from the inbox, or the bot logged out)
        message_id = await self._take(entry, agent)
        host.submit(OfferAnswered(host.now(), entry, agent))
        await asyncio.sleep(self._rng.uniform(*self._handle_s))
        if message_id is not None and self._inbox is not None:
            try:
                await self._inbox.close(
                    message_id, agent, self._disposition, "handled by the demo", datetime.now(UTC)
                )
            except (VoicemailStateError, SQLAlchemyError) as exc:
                log.info("demo.voicemail_not_closed", call_id=entry, reason=str(exc))
        host.submit(CallEnded(host.now(), entry))

    async def _take(self, entry: str, agent: str) -> int | None:
        if self._inbox is None:
            return None
        try:
            message = await self._inbox.by_call(entry.removeprefix(PREFIX))
            await self._inbox.take(message.id, agent, datetime.now(UTC))
        except (VoicemailNotFound, VoicemailStateError, SQLAlchemyError) as exc:
            log.info("demo.voicemail_not_taken", call_id=entry, reason=str(exc))
            return None
        return message.id
