"""One TCP connection to an Asterisk AMI: actions out by ActionID, replies and events in.

Strategy: a connection is the wire work between one login and its end, with no reconnect
of its own (that is `client.AMIClient`'s supervisor). An action is written with the
ActionID the client gives it and waits, up to its deadline, for the reply its ActionID
names; when the connection ends every waiting action fails at once (`fail_all`). The
reader parses what arrives with the sans-IO `AMIProtocol` and routes it: a reply to its
waiting action, events in batches to the client's bounded subscriptions (see
`subscription.py`), in stream order. It waits for a consumer that falls behind, but at
most `stall_timeout`: then that consumer's events are dropped (counted, logged, told to
it) until it catches up, and the reader goes on, so one stuck consumer never makes the
link deaf.
"""

from __future__ import annotations

import asyncio

import structlog

from callcenter.ami.actions import Action
from callcenter.ami.codec import CLOSED, NEED_DATA
from callcenter.ami.errors import AMIActionTimeout, AMIConnectionLost, AMIError
from callcenter.ami.messages import ActionResult, Banner, Event, Response
from callcenter.ami.protocol import AMIProtocol
from callcenter.ami.subscription import EventSubscription

log = structlog.get_logger(__name__)


class AMIActionError(AMIError):
    """Asterisk answered an action with `Response: Error` (e.g. "No such channel")."""

    def __init__(self, action: str, response: Response) -> None:
        self.action = action
        self.response = response
        super().__init__(f"AMI action {action} failed: {response.message or response.status}")


class Connection:
    """One TCP connection's protocol state, writer and waiters."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        max_size: int,
        *,
        server_name: str,
        subs: list[EventSubscription],
    ) -> None:
        """`subs` is the client's own list of subscriptions, shared, not copied: a
        subscription added or removed while connected is heard by this reader at once."""
        self.reader = reader
        self.writer = writer
        self.server_name = server_name
        self.subs = subs
        self.proto = AMIProtocol(max_size)
        self.waiters: dict[str, asyncio.Future[ActionResult]] = {}
        self.banner: asyncio.Future[Banner] = asyncio.get_running_loop().create_future()
        self.logged_in = False
        self.close_reason = ""

    def fail_all(self, exc: AMIError) -> None:
        """Fail every waiting action (and the banner, if still awaited) with `exc`."""
        self.proto.abandon_pending()
        for fut in self.waiters.values():
            if not fut.done():
                fut.set_exception(exc)
        self.waiters.clear()
        if not self.banner.done():
            self.banner.set_exception(exc)

    async def roundtrip(
        self, action: Action, action_id: str, deadline: float, check: bool
    ) -> ActionResult:
        """Send `action` as `action_id` and wait up to `deadline` s for its whole answer.

        Raises `AMIActionTimeout` after `deadline`, `AMIConnectionLost` if the connection
        ends first, and `AMIActionError` for `Response: Error` when `check` is True.
        """
        data = self.proto.send(action.with_id(action_id))
        fut: asyncio.Future[ActionResult] = asyncio.get_running_loop().create_future()
        self.waiters[action_id] = fut
        try:
            self.writer.write(data)
            async with asyncio.timeout(deadline):
                result = await fut
        except TimeoutError:
            raise AMIActionTimeout(
                f"AMI {self.server_name}: no answer to {action.name} ({action_id}) in time"
            ) from None
        finally:
            self.waiters.pop(action_id, None)
            if not fut.done():
                # Timed out or cancelled by the caller: a late reply comes back bare.
                self.proto.forget(action_id)
        if check and not result.ok:
            raise AMIActionError(action.name, result.response)
        return result

    async def read_loop(self, read_size: int, stall_timeout: float) -> None:
        """Read until the connection ends (which raises), routing what arrives: replies to
        their waiting actions, the banner to `banner`, events to the subscriptions."""
        proto = self.proto
        read = self.reader.read
        batch: list[Event] = []
        while True:
            data = await read(read_size)
            proto.receive_data(data)
            while True:
                outs = proto.next_events()
                if outs is NEED_DATA:
                    break
                if outs is CLOSED:
                    self.deliver(batch)
                    raise AMIConnectionLost(
                        self.close_reason or f"Asterisk {self.server_name} closed the connection"
                    )
                assert isinstance(outs, list)
                for out in outs:
                    if isinstance(out, Event):
                        batch.append(out)
                    elif isinstance(out, ActionResult):
                        # Events that came before the reply reach subscribers before the
                        # action's caller resumes: stream order is kept.
                        self.deliver(batch)
                        batch = []
                        fut = self.waiters.get(out.response.action_id or "")
                        if fut is not None and not fut.done():
                            fut.set_result(out)
                    elif isinstance(out, Response):
                        log.warning(
                            "ami.unmatched_response", action_id=out.action_id, status=out.status
                        )
                    elif isinstance(out, Banner) and not self.banner.done():
                        self.banner.set_result(out)
            if batch:
                self.deliver(batch)
                batch = []
                for sub in self.subs:
                    if sub.full and not await sub.wait_for_room(stall_timeout):
                        log.warning(
                            "ami.consumer_stalled",
                            consumer=sub.name,
                            waited_s=stall_timeout,
                            queued=len(sub),
                            dropped_so_far=sub.dropped,
                            what="its events are dropped until it catches up, then it resyncs",
                        )
                # StreamReader.read() returns without yielding while data is buffered, so
                # without this the reader would parse ahead until every queue is full:
                # more memory, more GC work, and later delivery. Let consumers run.
                await asyncio.sleep(0)

    def deliver(self, batch: list[Event]) -> None:
        """Hand `batch` to every subscription (each keeps the events it asked for)."""
        if batch:
            for sub in self.subs:
                sub.deliver(batch)
