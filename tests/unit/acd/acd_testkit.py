"""A small driver for the ACD core in tests: a clock, the shell's timers, and helpers.

`Center` plays the shell: it feeds events stamped with its clock, keeps the timers the core
arms, and fires them in order when the clock moves, exactly as ``loop.call_at`` would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from acd import (
    Acd,
    AcdSettings,
    AgentLoggedIn,
    AgentSettings,
    CallEnded,
    CallQueued,
    CancelTimer,
    Command,
    Event,
    OfferAnswered,
    OfferCall,
    QueueSettings,
    StartTimer,
    TimerFired,
    TimerKey,
)

C = TypeVar("C", bound=Command)


def queue(name: str = "support", **fields: Any) -> QueueSettings:
    """A queue with quiet defaults: no announcements, no wrap-up."""
    fields.setdefault("announcements", {"position": False, "estimated_wait": False})
    fields.setdefault("wrap_up_seconds", 0)
    return QueueSettings(name=name, **fields)


def agent(agent_id: str, queues: Iterable[str] = ("support",), **skills: int) -> AgentSettings:
    """An agent in ``queues`` with ``skills`` (keyword name=level; '_' stands for '-')."""
    levels = {name.replace("_", "-"): level for name, level in skills.items()}
    return AgentSettings(id=agent_id, queues=tuple(queues), skills=levels)


def settings(
    queues: Iterable[QueueSettings], agents: Iterable[AgentSettings], **fields: Any
) -> AcdSettings:
    """Settings from queues and agents."""
    return AcdSettings(queues=tuple(queues), agents=tuple(agents), **fields)


class Center:
    """The core plus a fake shell: clock, timers, and a log of every command."""

    def __init__(self, config: AcdSettings, now: float = 0.0) -> None:
        self.acd = Acd(config, now)
        self.now = now
        self.timers: dict[TimerKey, float] = {}
        self.log: list[Command] = []

    def send(self, event: Event) -> list[Command]:
        """Feed one event; keep its timers; return its commands."""
        commands = self.acd.handle(event)
        for command in commands:
            if isinstance(command, StartTimer):
                self.timers[command.key] = command.at
            elif isinstance(command, CancelTimer):
                self.timers.pop(command.key, None)
        self.log.extend(commands)
        return commands

    def advance(self, to: float) -> list[Command]:
        """Move the clock to ``to``, firing every timer due by then, in order."""
        fired: list[Command] = []
        while True:
            due = [(at, key.serial, key) for key, at in self.timers.items() if at <= to]
            if not due:
                break
            at, _, key = min(due)
            del self.timers[key]
            self.now = max(self.now, at)
            fired.extend(self.send(TimerFired(self.now, key)))
        self.now = max(self.now, to)
        return fired

    def wait(self, seconds: float) -> list[Command]:
        """Let ``seconds`` pass."""
        return self.advance(self.now + seconds)

    def login(self, *agent_ids: str, ready: bool = True) -> list[Command]:
        """Log agents in, ready by default."""
        out: list[Command] = []
        for agent_id in agent_ids:
            out.extend(self.send(AgentLoggedIn(self.now, agent_id, ready=ready)))
        return out

    def call(
        self,
        call_id: str,
        queue_name: str = "support",
        priority: int = 0,
        skills: Mapping[str, int] | None = None,
    ) -> list[Command]:
        """Queue a call."""
        return self.send(CallQueued(self.now, call_id, queue_name, priority, dict(skills or {})))

    def answer(self, call_id: str, agent_id: str) -> list[Command]:
        """The agent answers."""
        return self.send(OfferAnswered(self.now, call_id, agent_id))

    def end(self, call_id: str) -> list[Command]:
        """The connected call ends."""
        return self.send(CallEnded(self.now, call_id))

    def timer(self, kind: str, subject: str) -> TimerKey:
        """The armed timer of ``kind`` for ``subject``."""
        for key in self.timers:
            if key.kind.value == kind and key.subject == subject:
                return key
        raise AssertionError(f"no {kind} timer armed for {subject}")


def only(commands: Iterable[Command], kind: type[C]) -> list[C]:
    """The commands of one type, in order."""
    return [command for command in commands if isinstance(command, kind)]


def offers(commands: Iterable[Command]) -> list[tuple[str, str]]:
    """(call, agent) of every offer, in order."""
    return [(offer.call_id, offer.agent_id) for offer in only(commands, OfferCall)]
