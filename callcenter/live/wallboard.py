"""The wallboard channel: a snapshot, then what changed, at least once a second.

Strategy: screens are grouped by scope (the set of queues a supervisor oversees; None is
every queue). One task refreshes every scope when the ACD reports a change (after a short
coalescing window, so a burst of 500 agent changes costs one message per screen) and on a
fixed interval (waits grow while nothing happens). Each refresh computes the scope's
queues, agents, waiting calls and alerts once, keeps only the queues and agents that
differ from what the scope's screens last got, encodes one message and puts the same
string in every mailbox: the cost of a refresh grows with the number of screens only by
a list append each. Time in state is not a change: screens count it up from `since`.
Alerts are the queues' breaches plus those of the alert sources the service adds (the
PBX failing to ring agents, overdue tickets): the latter have `queue` null, and show on
every screen unless their `scope` names a queue the screen does not show.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from acd import Command, Event
from callcenter.app.center_config import Alerts, AlertThresholds
from callcenter.app.tasks import stop_task
from callcenter.live.agent_feed import AgentFeed
from callcenter.live.calls import CallRegistry
from callcenter.live.fanout import Mailbox
from callcenter.live.host import AcdHost
from callcenter.live.views import JSON, call_json, queue_json

Scope = frozenset[str] | None
"""The queues a screen shows; None shows every queue."""


@dataclass(slots=True)
class _ScopeState:
    boxes: set[Mailbox] = field(default_factory=set)
    queues: dict[str, JSON] = field(default_factory=dict)
    agents: dict[str, JSON] = field(default_factory=dict)
    alerts_since: dict[tuple[str, str], float] = field(default_factory=dict)


class WallboardFeed:
    """Keeps every open wallboard up to date."""

    def __init__(
        self,
        host: AcdHost,
        calls: CallRegistry,
        agents: AgentFeed,
        *,
        interval_s: float = 1.0,
        coalesce_s: float = 0.05,
        mailbox_size: int = 32,
    ) -> None:
        """Refresh at least every `interval_s`; changes wait at most `coalesce_s`."""
        self._host = host
        self._calls = calls
        self._agents = agents
        self._interval = interval_s
        self._coalesce = coalesce_s
        self._mailbox_size = mailbox_size
        self._scopes: dict[Scope, _ScopeState] = {}
        self._alert_sources: list[Callable[[], list[JSON]]] = []
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.refreshes = 0
        self.alerts = Alerts()
        """When a queue's figures raise an alert (the configuration in force)."""
        self.on_refresh: Callable[[list[JSON], float], None] | None = None
        """Called with (the agents that changed, the time their message was queued) after
        each refresh: how long a change took to reach the screens' mailboxes."""

    def start(self) -> asyncio.Task[None]:
        """Start the refreshing task (again, if it ended); the task, for the service to
        watch."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="wallboard")
        return self._task

    async def stop(self) -> None:
        """Stop refreshing and close every wallboard's mailbox."""
        await stop_task(self._task)
        self._task = None
        for state in self._scopes.values():
            for box in state.boxes:
                box.close()
        self._scopes.clear()

    def add_alert_source(self, source: Callable[[], list[JSON]]) -> None:
        """Show the alerts `source()` returns ({queue: None, kind, message, since}) too."""
        self._alert_sources.append(source)

    def on_commands(self, commands: Sequence[Command], event: Event) -> None:
        """Any batch of commands may change what the wallboards show."""
        if commands:
            self._dirty.set()

    def subscribe(self, scope: Scope) -> Mailbox:
        """Open a mailbox for one wallboard, starting with a snapshot of `scope`."""
        state = self._scopes.setdefault(scope, _ScopeState())
        box = Mailbox(self._mailbox_size)
        box.put(json.dumps(self.snapshot(scope)))
        state.boxes.add(box)
        return box

    def unsubscribe(self, scope: Scope, box: Mailbox) -> None:
        """Close one wallboard's mailbox."""
        box.close()
        state = self._scopes.get(scope)
        if state is not None:
            state.boxes.discard(box)

    @property
    def screens(self) -> int:
        """Open wallboards."""
        return sum(len(s.boxes) for s in self._scopes.values())

    def snapshot(self, scope: Scope) -> JSON:
        """Everything a wallboard of `scope` shows, as one message."""
        state = self._scopes.setdefault(scope, _ScopeState())
        queues, agents, calls = self._read(scope)
        if not state.boxes:
            # A scope's first screen: later changes are counted from this snapshot.
            state.queues, state.agents = queues, agents
        return {
            "type": "snapshot",
            "at": self._host.now(),
            "queues": list(queues.values()),
            "agents": list(agents.values()),
            "calls": calls,
            "alerts": self._alerts(state, queues),
        }

    def _read(self, scope: Scope) -> tuple[dict[str, JSON], dict[str, JSON], list[JSON]]:
        acd = self._host.acd
        now = self._host.now()
        settings = {q.name: q for q in acd.settings.queues}
        names = [n for n in settings if scope is None or n in scope]
        queues = {n: queue_json(acd.queue_stats(n, now), settings[n]) for n in names}
        agents: dict[str, JSON] = {}
        for agent in acd.settings.agents:
            if scope is None or scope.intersection(agent.queues):
                agents[agent.id] = self._agents.agent(agent.id)
        calls = [call_json(view, self._calls) for n in names for view in acd.waiting_calls(n, now)]
        return queues, agents, calls

    def _alerts(self, state: _ScopeState, queues: dict[str, JSON]) -> list[JSON]:
        now = self._host.now()
        alerts: list[JSON] = []
        seen: set[tuple[str, str]] = set()
        for name, q in queues.items():
            for kind, message in _breaches(q, self.alerts.for_queue(name)):
                key = (name, kind)
                seen.add(key)
                since = state.alerts_since.setdefault(key, now)
                alerts.append({"queue": name, "kind": kind, "message": message, "since": since})
        for key in set(state.alerts_since) - seen:
            del state.alerts_since[key]
        for source in self._alert_sources:
            # An alert with a `scope` (a queue) shows only on screens of that queue.
            alerts.extend(a for a in source() if a.get("scope") in (None, *queues))
        return alerts

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), self._interval)
                await asyncio.sleep(self._coalesce)
            self._dirty.clear()
            self.refresh()

    def refresh(self) -> None:
        """Send every scope's screens what changed since their last message."""
        self.refreshes += 1
        for scope, state in list(self._scopes.items()):
            if not state.boxes:
                del self._scopes[scope]
                continue
            queues, agents, calls = self._read(scope)
            changed_queues = [q for n, q in queues.items() if state.queues.get(n) != q]
            changed_agents = [
                a for i, a in agents.items() if _agent_key(state.agents.get(i)) != _agent_key(a)
            ]
            state.queues, state.agents = queues, agents
            message = json.dumps(
                {
                    "type": "changes",
                    "at": self._host.now(),
                    "queues": changed_queues,
                    "agents": changed_agents,
                    "calls": calls,
                    "alerts": self._alerts(state, queues),
                }
            )
            for box in state.boxes:
                box.put(message)
                if box.lagged:
                    box.replace_with(json.dumps(self.snapshot(scope)))
            if self.on_refresh is not None:
                self.on_refresh(changed_agents, self._host.now())


def _agent_key(agent: JSON | None) -> JSON | None:
    if agent is None:
        return None
    return {k: v for k, v in agent.items() if k not in ("time_in_state", "occupancy")}


def _breaches(q: JSON, limits: AlertThresholds) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    level = q["service_level"]
    target = (
        q["service_level_target"]
        if limits.service_level_below is None
        else limits.service_level_below
    )
    if level is not None and level < target:
        out.append(
            ("service_level", f"service level {level:.0%} is below the target of {target:.0%}")
        )
    threshold = (
        q["service_level_seconds"]
        if limits.longest_wait_seconds is None
        else limits.longest_wait_seconds
    )
    if q["calls_waiting"] and q["longest_wait"] > threshold:
        out.append(
            (
                "longest_wait",
                f"a caller has waited {q['longest_wait']:.0f} s (alert after {threshold:.0f} s)",
            )
        )
    waiting_limit = limits.calls_waiting_above
    if waiting_limit is not None and q["calls_waiting"] > waiting_limit:
        out.append(
            (
                "calls_waiting",
                f"{q['calls_waiting']} callers are waiting (alert above {waiting_limit})",
            )
        )
    if q["calls_waiting"] and q["staffed"] == 0:
        out.append(("no_agents", "callers are waiting and no agent is taking calls"))
    return out
