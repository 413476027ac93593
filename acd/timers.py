"""Bookkeeping of the timers the core has asked the shell to arm.

Strategy: at most one timer per (kind, subject) is armed at a time. Arming again cancels the
previous one; every arming gets a new serial, so a `TimerFired` that crossed a `CancelTimer`
on its way in is recognised and dropped instead of acting twice.
"""

from __future__ import annotations

from acd.commands import CancelTimer, Command, StartTimer
from acd.types import Seconds, TimerKey, TimerKind


class TimerBook:
    """Armed timers by (kind, subject), and the serial counter that makes keys unique."""

    __slots__ = ("_armed", "_serial")

    def __init__(self) -> None:
        self._armed: dict[tuple[TimerKind, str], StartTimer] = {}
        self._serial = 0

    def start(self, kind: TimerKind, subject: str, at: Seconds, out: list[Command]) -> None:
        """Arm a timer for ``subject`` at ``at``, replacing any armed one of the same kind."""
        self.cancel(kind, subject, out)
        self._serial += 1
        command = StartTimer(TimerKey(kind, subject, self._serial), at)
        self._armed[(kind, subject)] = command
        out.append(command)

    def cancel(self, kind: TimerKind, subject: str, out: list[Command]) -> None:
        """Disarm the timer of this kind for ``subject``, if one is armed."""
        command = self._armed.pop((kind, subject), None)
        if command is not None:
            out.append(CancelTimer(command.key))

    def is_armed(self, kind: TimerKind, subject: str) -> bool:
        """Whether a timer of this kind is armed for ``subject``."""
        return (kind, subject) in self._armed

    def consume(self, key: TimerKey) -> bool:
        """Accept a firing: True (and disarm) if ``key`` is the armed timer, else False."""
        slot = (key.kind, key.subject)
        command = self._armed.get(slot)
        if command is None or command.key != key:
            return False
        del self._armed[slot]
        return True

    def armed(self) -> list[StartTimer]:
        """Every armed timer, oldest arming first (for re-arming after a replay)."""
        return sorted(self._armed.values(), key=lambda command: command.key.serial)
