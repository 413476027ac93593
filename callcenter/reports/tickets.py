"""The tickets report: tickets opened, resolved and reopened in a period, the promises of
each step of the complaint process kept or not, and the follow-up calls' answers; a fold
over the event log's ticket entries.

Strategy: every change of a ticket is an entry of the call event log
(`callcenter.db.lifecycle`: opened, each step entered with whether it met its promise,
reopened, closed, a follow-up answered); the report folds those of the period in log
order (`TicketFold`, pure): live (today so far) and historical alike, before and after a
restart. A step's promise is counted when the step was the promised next one: kept when
it was made no later than promised. Resolved counts the tickets that reached `proposed`
(a solution), not a coarse move between two resolved steps; the reopen rate is reopened
per resolved.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from callcenter.db.events import CallEvent
from callcenter.db.lifecycle import LifecycleKind
from cti.complaint import Step
from cti.tickets import TicketStatus

_K = LifecycleKind
_STEPS = (_K.TICKET_STEP.value, _K.TICKET_REOPENED.value, _K.TICKET_CLOSED.value)
PROMISED_STEPS = (
    Step.ACKNOWLEDGED,
    Step.INVESTIGATED,
    Step.PROPOSED,
    Step.CHECKED,
    Step.CONFIRMED,
)
"""The steps that are promised (every one after received), in the process's order."""


@dataclass(frozen=True, slots=True)
class StepPromises:
    """How the promises of one step were kept in a period."""

    step: str
    due: int
    """Moves to this step that had a promise."""
    kept: int
    """Of which were made no later than promised."""


@dataclass(frozen=True, slots=True)
class TicketReport:
    """Tickets in a period: promises kept per step, reopen rate, follow-up answers."""

    opened: int
    resolved: int
    """Tickets that reached `proposed` (a solution) in the period."""
    reopened: int
    """Tickets reopened in the period."""
    steps: list[StepPromises]
    followups_answered: int
    followups_satisfied: int

    @property
    def reopen_rate(self) -> float | None:
        """Reopened per resolved (None when nothing was resolved)."""
        return None if self.resolved == 0 else self.reopened / self.resolved


class TicketFold:
    """Folds ticket entries (in log order) of [since, until) into a `TicketReport`."""

    def __init__(
        self,
        since: datetime,
        until: datetime,
        queues: Collection[str] | None = None,
        *,
        unqueued: bool = True,
    ) -> None:
        """The period; `queues` limits the tickets to those queues (None: all), with the
        tickets without a queue unless `unqueued` is false."""
        self.since, self.until = since, until
        self._queues = None if queues is None else frozenset(queues)
        self._unqueued = unqueued
        self.opened = self.resolved = self.reopened = 0
        self.answered = self.satisfied = 0
        self._due: dict[str, int] = {}
        self._kept: dict[str, int] = {}

    def _in_scope(self, event: CallEvent) -> bool:
        if not self.since <= event.at < self.until:
            return False
        if event.queue is None:
            return self._queues is None or self._unqueued
        return self._queues is None or event.queue in self._queues

    def feed(self, event: CallEvent) -> None:
        """Take the next entry of the log (others than tickets' are ignored)."""
        kind, data = event.kind, event.data
        if not kind.startswith("ticket-") or not self._in_scope(event):
            return
        if kind == _K.TICKET_OPENED:
            self.opened += 1
        elif kind == _K.TICKET_FOLLOWUP:
            self.answered += 1
            self.satisfied += data.get("satisfied") is True
        elif kind in _STEPS:
            step = str(data.get("step") or "")
            if step == Step.PROPOSED and data.get("from_status") != TicketStatus.RESOLVED:
                self.resolved += 1
            elif step == Step.REOPENED:
                self.reopened += 1
            kept = data.get("kept")
            if isinstance(kept, bool):
                self._due[step] = self._due.get(step, 0) + 1
                self._kept[step] = self._kept.get(step, 0) + kept

    def report(self) -> TicketReport:
        """The report of what was fed."""
        return TicketReport(
            opened=self.opened,
            resolved=self.resolved,
            reopened=self.reopened,
            steps=[
                StepPromises(s.value, self._due.get(s.value, 0), self._kept.get(s.value, 0))
                for s in PROMISED_STEPS
            ],
            followups_answered=self.answered,
            followups_satisfied=self.satisfied,
        )


def ticket_report(
    events: Iterable[CallEvent],
    since: datetime,
    until: datetime,
    queues: Collection[str] | None = None,
    *,
    unqueued: bool = True,
) -> TicketReport:
    """The tickets report of [since, until) from log entries in log order."""
    fold = TicketFold(since, until, queues, unqueued=unqueued)
    for event in events:
        fold.feed(event)
    return fold.report()
