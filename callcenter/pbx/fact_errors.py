"""An AMI event that cannot be applied is logged and dropped, never fatal to its consumer.

Strategy: the consumers of Asterisk's events (`ami_facts`, `callback_attempts`) apply
each event inside `try` and hand what fails to `DroppedFacts`: a malformed event (a
missing `Channel`, a `Cause` that is not a number: `RemoteProtocolError`) is a warning
naming the consumer, the event, its Uniqueid and the problem; anything else is our bug and
is logged at error with its traceback. Either way the event is counted and the consumer
goes on with the next one. A hostile or broken stream can send thousands a second, so each
consumer logs at most `burst` of them per `window_s` and then one line saying how many it
did not log. Logging here never raises: the consumer's loop must outlive its own logging.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog

from callcenter.ami import Event as AmiEvent
from callcenter.ami.errors import RemoteProtocolError
from callcenter.app.tasks import log_safely

log = structlog.get_logger(__name__)


class DroppedFacts:
    """Logs (throttled) and counts the events one consumer could not apply."""

    def __init__(
        self,
        consumer: str,
        *,
        burst: int = 20,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Log at most `burst` drops of `consumer` per `window_s` seconds of `clock`."""
        self.consumer = consumer
        self._burst = burst
        self._window_s = window_s
        self._clock = clock
        self._window_start = clock()
        self._in_window = 0
        self._unlogged = 0
        self.dropped = 0
        """Events dropped since the start (a health figure)."""

    def drop(self, event: AmiEvent, error: Exception) -> None:
        """`event` could not be applied because of `error`: log it (throttled) and count it."""
        self.dropped += 1
        now = self._clock()
        if now - self._window_start >= self._window_s:
            self._window_start, self._in_window = now, 0
            if self._unlogged:
                log_safely(
                    log.warning,
                    "pbx.facts_dropped_unlogged",
                    consumer=self.consumer,
                    count=self._unlogged,
                )
                self._unlogged = 0
        if self._in_window >= self._burst:
            self._unlogged += 1
            return
        self._in_window += 1
        fields: dict[str, object] = {
            "ami_event": event.name[:64],
            "uniqueid": event.headers.get("Uniqueid", "")[:64],
            "error": f"{type(error).__name__}: {error}",
            "dropped": self.dropped,
        }
        if isinstance(error, RemoteProtocolError):
            log_safely(log.warning, "pbx.fact_dropped", consumer=self.consumer, **fields)
        else:
            log_safely(
                log.error, "pbx.fact_dropped", consumer=self.consumer, exc_info=error, **fields
            )
