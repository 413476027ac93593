"""What the service knows about each live call beyond the ACD: who called and what they said.

Strategy: the IVR hands a call to the ACD with its context (caller number, dialled number,
the path through the flow, the answers collected, the customer it identified). The ACD
core needs none of that, but the screen pop, the wallboard's waiting list and the
interaction record do, so it is kept here by call id. Entries outlive the call for a while
(bounded, oldest first out) because an agent may still open the pop during wrap-up.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

from cti.types import CallContext


@dataclass(frozen=True, slots=True)
class CallInfo:
    """One call as the IVR handed it over."""

    call_id: str
    caller_number: str | None
    dialled_number: str | None
    arrived_at: float
    queue: str
    ivr_path: tuple[str, ...] = ()
    ivr_answers: Mapping[str, str] = field(default_factory=dict)
    account: str | None = None
    customer_id: int | None = None
    customer_name: str | None = None
    tier: str | None = None

    def context(self) -> CallContext:
        """The CTI view of the call, for the screen pop."""
        return CallContext(
            uniqueid=self.call_id,
            caller_number=self.caller_number,
            dialled_number=self.dialled_number,
            queue=self.queue,
            ivr_path=self.ivr_path,
            ivr_answers=dict(self.ivr_answers),
            account=self.account,
        )


class CallRegistry:
    """Call contexts by call id, plus which agents were offered each call."""

    def __init__(self, *, keep: int = 20_000) -> None:
        """Remember at most `keep` calls (the oldest are forgotten first)."""
        self._calls: OrderedDict[str, CallInfo] = OrderedDict()
        self._offered: dict[str, set[str]] = {}
        self._keep = keep

    def add(self, info: CallInfo) -> None:
        """Remember a call (a second add for the same id replaces the context)."""
        self._calls[info.call_id] = info
        self._calls.move_to_end(info.call_id)
        while len(self._calls) > self._keep:
            old, _ = self._calls.popitem(last=False)
            self._offered.pop(old, None)

    def get(self, call_id: str) -> CallInfo | None:
        """The call's context, if known."""
        return self._calls.get(call_id)

    def note_offer(self, call_id: str, agent_id: str) -> None:
        """`agent_id`'s phone rang with this call: they may see its pop from now on."""
        self._offered.setdefault(call_id, set()).add(agent_id)

    def was_offered_to(self, call_id: str, agent_id: str) -> bool:
        """Whether the call was ever offered to the agent (the pop's access rule)."""
        return agent_id in self._offered.get(call_id, ())

    def __len__(self) -> int:
        return len(self._calls)
