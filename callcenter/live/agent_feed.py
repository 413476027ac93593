"""The agent channel: each agent's desktop hears about their state, offers, calls and wrap-up.

Strategy: a `CommandListener` on the ACD host. It reads the commands of each batch in two
passes: timers first (a wrap-up timer gives the moment wrap-up ends, which the state
message then carries), then offers and state changes, which become messages for the
agent's open desktops only. The screen pop is gathered in a task of its own the moment the
offer is made (the phone starts ringing at the same time) and sent as soon as it is ready,
unless the offer is already over. A desktop that connects, reconnects or lags gets a
snapshot: the agent's state, the offer ringing now (with its pop) and the call in progress.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from acd import (
    AgentState,
    CancelOffer,
    CancelTimer,
    Command,
    Event,
    OfferCall,
    PublishAgentState,
    StartTimer,
    TimerKind,
)
from callcenter.live.calls import CallInfo, CallRegistry
from callcenter.live.fanout import Mailbox
from callcenter.live.host import AcdHost
from callcenter.live.views import JSON, agent_json

log = structlog.get_logger(__name__)


class PopSource(Protocol):
    """Where the feed gets a call's screen pop."""

    async def pop_for(self, call_id: str) -> JSON | None:
        """The pop of a live call, or None when the call is unknown."""

    def answers_of(self, answers: Mapping[str, str]) -> list[dict[str, str]]:
        """The caller's IVR answers as the pop lists them (labelled, internals left out)."""


@dataclass(slots=True)
class _Offer:
    call_id: str
    queue: str
    ring_timeout: float
    offered_at: float
    pop: JSON | None = None


class AgentFeed:
    """Fans the ACD's agent-facing commands out to each agent's open desktops."""

    def __init__(
        self, host: AcdHost, calls: CallRegistry, pops: PopSource, *, mailbox_size: int = 64
    ) -> None:
        """Listen on `host` (call `host.add_listener(feed)`); pops come from `pops`."""
        self._host = host
        self._calls = calls
        self._pops = pops
        self._mailbox_size = mailbox_size
        self._boxes: dict[str, set[Mailbox]] = {}
        self._offers: dict[str, _Offer] = {}
        self._on_call: dict[str, str] = {}
        self._wrap_up_ends: dict[str, float] = {}
        self._names = {a.id: a.name or a.id for a in host.settings.agents}
        self._tasks: set[asyncio.Task[None]] = set()
        self.on_pop_sent: Callable[[str, str, float], None] | None = None
        """Called with (agent, call id, offered-at) when a pop reaches the desktops."""
        self.default_server: str | None = None
        """The Asterisk server of agents whose entry names none (the first configured)."""

    def name(self, agent_id: str) -> str:
        """The agent's display name from the configuration."""
        return self._names.get(agent_id, agent_id)

    def agent(self, agent_id: str) -> JSON:
        """The agent's live view; raises `UnknownAgent`."""
        view = self._host.acd.agent_view(agent_id, self._host.now())
        return agent_json(
            view, self.name(agent_id), self._wrap_up_ends.get(agent_id), self.default_server
        )

    def snapshot(self, agent_id: str) -> JSON:
        """Everything a desktop needs when it (re)connects."""
        offer = self._offers.get(agent_id)
        call_id = self._on_call.get(agent_id)
        return {
            "type": "snapshot",
            "agent": self.agent(agent_id),
            "offer": _offer_json(offer) if offer else None,
            "call": {"call_id": call_id} if call_id else None,
        }

    def subscribe(self, agent_id: str) -> Mailbox:
        """Open a mailbox for one desktop of `agent_id`, starting with a snapshot."""
        box = Mailbox(self._mailbox_size)
        box.put(json.dumps(self.snapshot(agent_id)))
        self._boxes.setdefault(agent_id, set()).add(box)
        return box

    def unsubscribe(self, agent_id: str, box: Mailbox) -> None:
        """Close a desktop's mailbox."""
        box.close()
        boxes = self._boxes.get(agent_id)
        if boxes is not None:
            boxes.discard(box)
            if not boxes:
                del self._boxes[agent_id]

    @property
    def desktops(self) -> int:
        """Open desktop connections."""
        return sum(len(b) for b in self._boxes.values())

    def on_commands(self, commands: Sequence[Command], event: Event) -> None:
        """Turn one batch of the core's commands into desktop messages."""
        for command in commands:
            if isinstance(command, StartTimer) and command.key.kind is TimerKind.WRAP_UP:
                self._wrap_up_ends[command.key.subject] = command.at
            elif isinstance(command, CancelTimer) and command.key.kind is TimerKind.WRAP_UP:
                self._wrap_up_ends.pop(command.key.subject, None)
        for command in commands:
            if isinstance(command, OfferCall):
                self._offered(command, event.now)
            elif isinstance(command, CancelOffer):
                if self._offers.pop(command.agent_id, None) is not None:
                    self._send(
                        command.agent_id,
                        {
                            "type": "offer_cancelled",
                            "call_id": command.call_id,
                            "reason": command.reason,
                        },
                    )
            elif isinstance(command, PublishAgentState):
                self._state(command)

    def _offered(self, offer: OfferCall, now: float) -> None:
        self._calls.note_offer(offer.call_id, offer.agent_id)
        pending = _Offer(offer.call_id, offer.queue, offer.ring_timeout, now)
        self._offers[offer.agent_id] = pending
        info = self._calls.get(offer.call_id)
        if info is not None:
            # What the IVR learnt goes out with the ring at once; the whole record follows.
            pending.pop = first_lines(info, self._pops.answers_of(info.ivr_answers))
            self._send(offer.agent_id, {"type": "offer", **_offer_json(pending)})
            if self.on_pop_sent is not None:
                self.on_pop_sent(offer.agent_id, offer.call_id, now)
        task = asyncio.create_task(self._send_pop(offer.agent_id, pending))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_pop(self, agent_id: str, offer: _Offer) -> None:
        sent_first = offer.pop is not None
        pop = None
        try:
            pop = await self._pops.pop_for(offer.call_id)
        except Exception:  # the phone rings anyway; the first lines stay on the desktop
            log.exception("cti.pop_failed", call_id=offer.call_id, agent=agent_id)
        if pop is not None:
            offer.pop = pop
        ringing = self._offers.get(agent_id) is offer
        if not ringing and self._on_call.get(agent_id) != offer.call_id:
            return  # withdrawn (or over) while the record was gathered
        if sent_first:
            if pop is not None:
                self._send(agent_id, {"type": "pop", "call_id": offer.call_id, "pop": pop})
            return
        self._send(agent_id, {"type": "offer", **_offer_json(offer)})
        if self.on_pop_sent is not None:
            self.on_pop_sent(agent_id, offer.call_id, offer.offered_at)

    def _state(self, change: PublishAgentState) -> None:
        agent_id = change.agent_id
        state = change.state
        if state is not AgentState.WRAP_UP:
            self._wrap_up_ends.pop(agent_id, None)
        if state is not AgentState.RESERVED:
            self._offers.pop(agent_id, None)
        ended = self._on_call.pop(agent_id, None) if state is not AgentState.ON_CALL else None
        self._send(agent_id, {"type": "state", "agent": self.agent(agent_id)})
        if state is AgentState.ON_CALL and change.call_id:
            self._on_call[agent_id] = change.call_id
            self._send(agent_id, {"type": "connected", "call_id": change.call_id})
        if ended is not None:
            self._send(agent_id, {"type": "ended", "call_id": ended})
        ends = self._wrap_up_ends.get(agent_id)
        if state is AgentState.WRAP_UP and ends is not None:
            self._send(
                agent_id,
                {
                    "type": "wrap_up",
                    "call_id": ended or change.call_id,
                    "ends_at": ends,
                    "seconds": max(0.0, ends - change.since),
                },
            )

    def _send(self, agent_id: str, message: dict[str, Any]) -> None:
        boxes = self._boxes.get(agent_id)
        if not boxes:
            return
        text = json.dumps(message)
        for box in boxes:
            box.put(text)
            if box.lagged:
                box.replace_with(json.dumps(self.snapshot(agent_id)))

    async def close(self) -> None:
        """Close every desktop mailbox and stop gathering pops."""
        for boxes in list(self._boxes.values()):
            for box in boxes:
                box.close()
        self._boxes.clear()
        for task in list(self._tasks):
            task.cancel()


def first_lines(info: CallInfo, answers: list[dict[str, str]] | None = None) -> JSON:
    """The pop as far as the call's context knows it, without the database: who calls,
    their tier and what they told the IVR (`answers`: as the pop lists them), `complete`
    False until the whole record."""
    customer: JSON | None = None
    if info.customer_name is not None:
        customer = {
            "id": info.customer_id,
            "name": info.customer_name,
            "account": info.account,
            "tier": info.tier or "standard",
            "language": None,
            "notes": "",
            "phones": [],
        }
    return {
        "call_id": info.call_id,
        "uniqueid": info.call_id,
        "known": customer is not None,
        "vip": info.tier == "vip",
        "caller_number": info.caller_number,
        "dialled_number": info.dialled_number,
        "queue": info.queue,
        "ivr_path": list(info.ivr_path),
        "ivr_answers": dict(info.ivr_answers),
        "answers": answers if answers is not None else [],
        "customer": customer,
        "history": [],
        "open_tickets": [],
        "greeting": "",
        "actions": [],
        "source": "ivr",
        "complete": False,
    }


def _offer_json(offer: _Offer) -> JSON:
    return {
        "call_id": offer.call_id,
        "queue": offer.queue,
        "ring_timeout": offer.ring_timeout,
        "offered_at": offer.offered_at,
        "pop": offer.pop,
    }
