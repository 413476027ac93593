"""Whether Asterisk can place the calls the ACD offers: a run of PBX failures is an alert.

Strategy: every Originate outcome that shows the PBX at work (a phone answered, was busy,
declined, rang out) or failing (`failures.Blame.PBX`) passes through `PbxHealth`. Each PBX
failure is logged at warning with its cause; `alert_after` of them in a row, whichever
agents they were for, raise the alert: logged at error once, shown on every wallboard
(`alerts`), and in /metrics (`figures`); the next call the PBX places clears it (logged,
with how many failed meanwhile). Nothing here talks to Asterisk.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from callcenter.pbx.failures import Verdict

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class HealthFigures:
    """What /metrics shows of the PBX's failures to place calls."""

    in_a_row: int
    failing: bool
    by_kind: dict[str, int]
    """PBX failures since the start, by kind (not-placed, congestion, refused ...)."""


class PbxHealth:
    """Counts the PBX's failures to place offers; raises and clears the alert."""

    def __init__(self, clock: Callable[[], float], *, alert_after: int = 3) -> None:
        """Alert after `alert_after` PBX failures in a row; `clock` gives epoch seconds."""
        self._clock = clock
        self._alert_after = max(1, alert_after)
        self.in_a_row = 0
        self.failing_since: float | None = None
        self.last: Verdict | None = None
        self._agents: set[str] = set()
        self.by_kind: Counter[str] = Counter()

    @property
    def failing(self) -> bool:
        """Whether the alert is up."""
        return self.failing_since is not None

    def failed(self, verdict: Verdict, *, call_id: str, agent_id: str) -> None:
        """The PBX could not place the offer of `call_id` to `agent_id`."""
        self.in_a_row += 1
        self.last = verdict
        self._agents.add(agent_id)
        self.by_kind[verdict.kind] += 1
        log.warning(
            "pbx.offer_not_placed",
            call_id=call_id,
            agent=agent_id,
            kind=verdict.kind,
            cause=verdict.cause,
            in_a_row=self.in_a_row,
        )
        if self.failing_since is None and self.in_a_row >= self._alert_after:
            self.failing_since = self._clock()
            log.error(
                "pbx.originates_failing",
                in_a_row=self.in_a_row,
                agents=len(self._agents),
                kind=verdict.kind,
                cause=verdict.cause,
                what="calls wait in line and nobody is paused; offers are retried",
            )

    def placed(self) -> None:
        """The PBX placed a call (a phone answered, was busy, declined or rang out)."""
        if self.failing_since is not None:
            log.warning(
                "pbx.originates_recovered",
                failed_in_a_row=self.in_a_row,
                seconds=round(self._clock() - self.failing_since, 1),
            )
        self.in_a_row = 0
        self.failing_since = None
        self._agents.clear()

    def alerts(self) -> list[dict[str, Any]]:
        """The wallboard's alerts about the PBX (none while it places calls)."""
        if self.failing_since is None or self.last is None:
            return []
        message = (
            f"Asterisk cannot ring the agents: {self.in_a_row} offers in a row failed "
            f"({self.last.cause}); calls wait in line, nobody is paused"
        )
        return [
            {"queue": None, "kind": "pbx_failing", "message": message, "since": self.failing_since}
        ]

    def figures(self) -> HealthFigures:
        """The counters for /metrics."""
        return HealthFigures(self.in_a_row, self.failing, dict(self.by_kind))
