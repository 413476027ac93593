"""Helpers for the IVR tests: flows from inline dicts, and a call driven by scripted input.

`Call` plays the shell's part with no shell at all: each method feeds the interpreter one
input (keys, silence, a played prompt, a lookup answer, a hang-up) at a clock the test
moves, and keeps the actions it answered with, so a test reads like a phone call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from callcenter.app.settings import SHIPPED_FLOWS
from callcenter.ivr.loader import load_flow_dir
from ivr_flows import (
    Calendar,
    CallerHungUp,
    CallStarted,
    DigitsReceived,
    Finished,
    Flow,
    FlowSet,
    IvrAction,
    IvrInterpreter,
    LookupAnswered,
    NoInput,
    PromptPlayed,
    RecordingDone,
    RecordingFailed,
    WaitEstimated,
    parse_flow,
)

BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY_10AM = datetime(2026, 5, 20, 10, 0, tzinfo=BERLIN)
"""A Wednesday in opening hours of the shipped hotline calendar."""

A = TypeVar("A", bound=IvrAction)


def flow(nodes: dict[str, Any], *, name: str = "test", **top: Any) -> Flow:
    """A flow from inline nodes; it starts at the first node unless `start=` says otherwise."""
    return parse_flow({"start": next(iter(nodes)), **top, "nodes": nodes}, name)


def shipped_flows() -> FlowSet:
    """The flows shipped in ivr_flows/flows, loaded as the service loads them."""
    return load_flow_dir(SHIPPED_FLOWS)


class Call:
    """One call through `flows` (the first is the call's own flow unless `entry` names one)."""

    def __init__(
        self,
        *flows: Flow,
        entry: str | None = None,
        call: Mapping[str, str] | None = None,
        now: datetime = WEDNESDAY_10AM,
        flowset: FlowSet | None = None,
        dialable: Callable[[str], bool] | None = None,
        calendars: Mapping[str, Calendar] | None = None,
    ) -> None:
        self.flows = flowset if flowset is not None else FlowSet(flows)
        name = entry if entry is not None else flows[0].name
        checks = {} if dialable is None else {"dialable": dialable}
        self.ivr = IvrInterpreter(self.flows, name, timezone=BERLIN, calendars=calendars, **checks)
        self.now = now
        self.log: list[IvrAction] = []
        self.actions = self._feed(
            CallStarted(now, dict(call if call is not None else {"caller_number": "5550001"}))
        )

    def _feed(self, event: Any) -> list[IvrAction]:
        self.actions = self.ivr.handle(event)
        self.log += self.actions
        return self.actions

    def later(self, seconds: float) -> Call:
        """Move the clock on."""
        self.now += timedelta(seconds=seconds)
        return self

    def press(self, digits: str) -> list[IvrAction]:
        """The caller keys `digits` (the answer to a Collect, or a key over a Play)."""
        return self._feed(DigitsReceived(self.now, digits))

    def silence(self) -> list[IvrAction]:
        """A Collect times out with nothing keyed."""
        return self._feed(NoInput(self.now))

    def played(self) -> list[IvrAction]:
        """A Play or Say ran to its end."""
        return self._feed(PromptPlayed(self.now))

    def answer(self, fields: Mapping[str, str] | None, *, failed: bool = False) -> list[IvrAction]:
        """A lookup answers with a record (None: not found)."""
        return self._feed(LookupAnswered(self.now, fields, failed=failed))

    def estimate(self, seconds: float | None) -> list[IvrAction]:
        """The ACD answers an EstimateWait."""
        return self._feed(WaitEstimated(self.now, seconds))

    def recorded(self, seconds: float) -> list[IvrAction]:
        """A voicemail recording ended."""
        return self._feed(RecordingDone(self.now, seconds))

    def recording_failed(self) -> list[IvrAction]:
        """A voicemail recording could not be made (the PBX could not write it)."""
        return self._feed(RecordingFailed(self.now))

    def hang_up(self) -> list[IvrAction]:
        """The caller hangs up."""
        return self._feed(CallerHungUp(self.now))

    def last(self) -> IvrAction:
        """The last action of the latest answer: what the call waits on, or Finished."""
        return self.actions[-1]

    @property
    def finished(self) -> Finished:
        """The call's end (fails the test if the call is still going)."""
        end = self.ivr.finished
        assert end is not None, f"the call is still going: {self.actions}"
        return end

    def only(self, kind: type[A]) -> A:
        """The one action of type `kind` among the latest actions."""
        found = [action for action in self.actions if isinstance(action, kind)]
        assert len(found) == 1, f"expected one {kind.__name__} in {self.actions}"
        return found[0]

    def all_of(self, kind: type[A]) -> list[A]:
        """Every action of type `kind` the call produced so far."""
        return [action for action in self.log if isinstance(action, kind)]
