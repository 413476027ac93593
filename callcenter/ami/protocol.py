"""Sans-IO AMI session: the reader plus ActionID correlation.

Strategy: the client hands every action to `send()`, which encodes it and remembers its
ActionID. `next_event()` then turns the reader's messages into what a caller wants:

- a `Response` whose ActionID is pending completes that action, unless it says
  `EventList: start`, in which case the items that follow (events with that ActionID) are
  gathered until the one with `EventList: Complete` (e.g. `CoreShowChannelsComplete`
  with `ListItems`), and then the action completes as one `ActionResult`;
- every other event is returned as it is. A `UserEvent` repeats the ActionID of the action
  that raised it (s12) and an `OriginateResponse` carries the Originate's ActionID: both are
  events, never taken for a reply, because only list actions collect events;
- a `Response` for an ActionID nobody waits for (e.g. after its waiter timed out) is
  returned as a bare `Response` so the caller can log it.

When the connection drops, `abandon_pending()` returns every ActionID still waiting, so the
client can fail them instead of letting them hang.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from callcenter.ami.actions import Action, encode_action
from callcenter.ami.codec import (
    CLOSED,
    DEFAULT_MAX_MESSAGE_SIZE,
    NEED_DATA,
    AMIReader,
    Sentinel,
)
from callcenter.ami.errors import LocalProtocolError
from callcenter.ami.messages import ActionResult, Banner, Event, Response

ProtocolOutput = Banner | Event | ActionResult | Response | Sentinel


@dataclass(slots=True)
class _Pending:
    name: str
    response: Response | None = None
    items: list[Event] = field(default_factory=list)


class AMIProtocol:
    """One AMI connection's protocol state, with no I/O."""

    def __init__(self, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self._reader = AMIReader(max_message_size)
        self._pending: dict[str, _Pending] = {}
        self._lists: dict[str, _Pending] = {}

    @property
    def pending(self) -> int:
        """How many actions await their complete answer."""
        return len(self._pending)

    def action_name(self, action_id: str) -> str | None:
        """The name of the pending action with `action_id`, if it is still pending."""
        pending = self._pending.get(action_id)
        return None if pending is None else pending.name

    def send(self, action: Action) -> bytes:
        """Encode `action` (which must carry a fresh ActionID) and start waiting for it."""
        action_id = action.action_id
        if not action_id:
            raise LocalProtocolError("every action sent through AMIProtocol needs an ActionID")
        if action_id in self._pending:
            raise LocalProtocolError(f"ActionID {action_id!r} is already waiting for a reply")
        data = encode_action(action)
        self._pending[action_id] = _Pending(action.name)
        return data

    def forget(self, action_id: str) -> None:
        """Stop waiting for `action_id` (its waiter gave up); a late reply comes back bare."""
        self._pending.pop(action_id, None)
        self._lists.pop(action_id, None)

    def abandon_pending(self) -> list[str]:
        """Forget every pending action and return their ActionIDs (the connection dropped)."""
        ids = list(self._pending)
        self._pending.clear()
        self._lists.clear()
        return ids

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the socket; b"" means the peer closed."""
        self._reader.receive_data(data)

    def next_event(self) -> ProtocolOutput:
        """The next thing to act on: banner, event, completed action result, or a sentinel."""
        while True:
            msg = self._reader.next_message()
            if msg is NEED_DATA or msg is CLOSED:
                return msg
            assert not isinstance(msg, Sentinel)
            done = self._correlate(msg)
            if done is not None:
                return done

    def next_events(self) -> list[Banner | Event | ActionResult | Response] | Sentinel:
        """Everything ready now, in stream order (the batch form of `next_event`).

        `NEED_DATA` or `CLOSED` when nothing is. With no action pending there is nothing to
        correlate, and the reader's batch is handed over as it is.
        """
        msgs = self._reader.next_messages()
        if msgs is NEED_DATA or msgs is CLOSED or not self._pending:
            return msgs  # type: ignore[return-value]
        out: list[Banner | Event | ActionResult | Response] = []
        assert isinstance(msgs, list)
        for msg in msgs:
            done = self._correlate(msg)
            if done is not None:
                out.append(done)
        return out

    def _correlate(
        self, msg: Banner | Response | Event
    ) -> Banner | Event | ActionResult | Response | None:
        """What `msg` means given the pending actions (None: absorbed into a list)."""
        if isinstance(msg, Event):
            action_id = msg.headers.get("ActionID") if self._lists else None
            if action_id is not None and action_id in self._lists:
                return self._list_item(action_id, msg)
            return msg
        if isinstance(msg, Response):
            action_id = msg.headers.get("ActionID")
            pending = None if action_id is None else self._pending.get(action_id)
            if pending is None or action_id is None:
                return msg
            if msg.starts_list:
                pending.response = msg
                self._lists[action_id] = pending
                return None
            del self._pending[action_id]
            return ActionResult(msg)
        return msg

    def _list_item(self, action_id: str, event: Event) -> ActionResult | None:
        pending = self._lists[action_id]
        is_end = event.headers.get("EventList", "").lower() == "complete"
        if not is_end:
            pending.items.append(event)
            return None
        del self._lists[action_id]
        del self._pending[action_id]
        assert pending.response is not None  # set when the list started
        return ActionResult(pending.response, tuple(pending.items), event)
