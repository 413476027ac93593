"""The voicemail report: per queue, the messages left in a period, where they stand and how
long they took to take and to handle; a fold over the event log's voicemail entries.

Strategy: every change of a message is an entry of the call event log
(`callcenter.db.lifecycle`: left, taken, called back, closed, expired); the report folds
them in log order (`VoicemailFold`, pure, time an input). It counts the messages left in
the period, each as it stands once the entries up to `now` are in: live (today so far)
and historical alike, before and after a restart. Definitions:

- time to take: from the message to an agent starting on it (a message closed without
  being taken first is taken as it is closed);
- time to handle: from the message to its close (a closed message that later expired
  still counts its handling);
- closed, open (new or being worked) and expired: where the messages stand at `now`;
- longest open: the age of the oldest message still open, at the period's end or at
  `now` when that comes first.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from callcenter.db.events import CallEvent
from callcenter.db.lifecycle import LifecycleKind
from callcenter.reports.lifecycle_log import EntityFold, fold_rows

_K = LifecycleKind


@dataclass(frozen=True, slots=True)
class VoicemailHandling:
    """How one queue's messages of a period were handled (the voicemail report's row).

    `time_to_take_s` and `time_to_handle_s` are averages over the messages that got that
    far (None when none did); `longest_open_s` the age of the oldest message still open.
    """

    queue: str
    left: int
    closed: int
    open: int
    expired: int
    called_back: int
    time_to_take_s: float | None
    time_to_handle_s: float | None
    longest_handle_s: float | None
    longest_open_s: float | None


@dataclass(slots=True)
class _Message:
    queue: str
    at: datetime
    state: str = "open"
    taken_at: datetime | None = None
    closed_at: datetime | None = None
    called_back: bool = False


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


class VoicemailFold(EntityFold[_Message, VoicemailHandling]):
    """Folds voicemail entries (in log order) into the rows of the messages left in
    [since, until), as they stand once the entries up to `now` are in."""

    ENTITY = "voicemail"
    BEGUN = _K.VOICEMAIL_LEFT.value

    def begin(self, queue: str, event: CallEvent) -> _Message:
        """A message as it is left."""
        return _Message(queue, event.at)

    def change(self, item: _Message, event: CallEvent) -> None:
        """A message taken, called back, closed or expired."""
        if event.kind == _K.VOICEMAIL_TAKEN:
            item.taken_at = item.taken_at or event.at
        elif event.kind == _K.VOICEMAIL_CALLED_BACK:
            item.called_back = True
        elif event.kind == _K.VOICEMAIL_CLOSED:
            item.taken_at = item.taken_at or event.at
            item.closed_at = event.at
            item.state = "closed"
        elif event.kind == _K.VOICEMAIL_EXPIRED:
            item.state = "expired"

    def rows(self) -> list[VoicemailHandling]:
        """One row per queue with messages, in queue name order."""
        by_queue: dict[str, list[_Message]] = {}
        for message in self.items.values():
            by_queue.setdefault(message.queue, []).append(message)
        end = min(self.until, self.now)
        return [self._row(queue, found, end) for queue, found in sorted(by_queue.items())]

    @staticmethod
    def _row(queue: str, messages: list[_Message], end: datetime) -> VoicemailHandling:
        handle = [(m.closed_at - m.at).total_seconds() for m in messages if m.closed_at]
        take = [(m.taken_at - m.at).total_seconds() for m in messages if m.taken_at]
        ages = [(end - m.at).total_seconds() for m in messages if m.state == "open"]
        return VoicemailHandling(
            queue=queue,
            left=len(messages),
            closed=sum(m.state == "closed" for m in messages),
            open=sum(m.state == "open" for m in messages),
            expired=sum(m.state == "expired" for m in messages),
            called_back=sum(m.called_back for m in messages),
            time_to_take_s=_mean(take),
            time_to_handle_s=_mean(handle),
            longest_handle_s=max(handle, default=None),
            longest_open_s=max((a for a in ages if a >= 0), default=None),
        )


def voicemail_rows(
    events: Iterable[CallEvent],
    since: datetime,
    until: datetime,
    now: datetime,
    queues: Collection[str] | None = None,
) -> list[VoicemailHandling]:
    """The voicemail report of [since, until) at `now` from log entries in log order."""
    return fold_rows(VoicemailFold(since, until, now, queues), events)
