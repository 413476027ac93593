"""Hand-made event logs for the report tests: a clock in Berlin and one-line events."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from callcenter.db import CallEvent

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN)
"""A Monday, 09:00 in Berlin: the start of the hand-made days."""


def at(seconds: float) -> datetime:
    """``seconds`` after `T0`."""
    return T0 + timedelta(seconds=seconds)


def ev(
    seconds: float,
    kind: str,
    call: str | None = None,
    queue: str | None = None,
    agent: str | None = None,
    **data: Any,
) -> CallEvent:
    """One event ``seconds`` after `T0`, as `event_from_record` would build it."""
    return CallEvent(at=at(seconds), kind=kind, call_id=call, queue=queue, agent=agent, data=data)


def answered_call(
    call: str,
    queue: str,
    agent: str,
    enter: float,
    wait: float,
    talk: float,
    wrap_up: float = 0.0,
) -> list[CallEvent]:
    """The records of a voice call answered after ``wait`` and handled by ``agent``."""
    connect = enter + wait
    done = connect + talk
    return [
        ev(enter, "enqueue", call, queue, detail="priority 0"),
        ev(connect, "offer", call, queue, agent, wait=wait),
        ev(connect, "connect", call, queue, agent, wait=wait, outcome="answered"),
        ev(done, "complete", call, queue, agent, talk=talk),
        ev(done + wrap_up, "handled", None, queue, agent, talk=talk, wrap_up=wrap_up),
    ]


def abandoned_call(call: str, queue: str, enter: float, wait: float) -> list[CallEvent]:
    """The records of a voice call whose caller hung up after ``wait``."""
    return [
        ev(enter, "enqueue", call, queue, detail="priority 0"),
        ev(enter + wait, "abandon", call, queue, wait=wait, outcome="abandoned"),
    ]
