"""Voicemail retention: messages older than `telephony.voicemail_retention_days` go.

Strategy: once a day (and at the start) a supervised task marks every message recorded
before the cutoff expired in the inbox and deletes its file from the shared spool. The file
is found as the web finds it to play it (`stored_message`: from the stored queue and call
id, never outside the folder). The record stays, marked expired, so the reports still count
the message and the inbox says why it no longer plays. A file that cannot be deleted (the
spool read-only, already gone) is logged and does not stop the others; a message is never
brought back from expired.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.exc import SQLAlchemyError

from callcenter.db.voicemails import VoicemailRepository, stored_message

log = structlog.get_logger(__name__)

DAY_S = 86_400.0


class VoicemailRetention:
    """Deletes messages past their retention; `run` is the long-lived task."""

    def __init__(
        self,
        inbox: VoicemailRepository,
        voicemail_dir: str,
        days: int,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        interval_s: float = DAY_S,
    ) -> None:
        """Keep messages `days` days in `voicemail_dir`; look every `interval_s`."""
        if days < 1:
            raise ValueError(f"voicemail retention must be at least 1 day, got {days}")
        self._inbox = inbox
        self._dir = voicemail_dir
        self._days = days
        self._clock = clock
        self._interval = interval_s

    async def sweep(self) -> int:
        """Expire the messages older than the retention and delete their files; how many."""
        now = self._clock()
        expired = await self._inbox.expire_before(now - timedelta(days=self._days), now=now)
        deleted = 0
        for message in expired:
            path = stored_message(self._dir, message.queue, message.call_id)
            if path is None:
                continue
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                log.error(
                    "voicemail.delete_failed",
                    voicemail_id=message.id,
                    error=exc.strerror or str(exc),
                    fix="give the backend write access to telephony.voicemail_dir",
                )
                continue
            deleted += 1
        if expired:
            log.info("voicemail.expired", messages=len(expired), files_deleted=deleted)
        return len(expired)

    async def run(self) -> None:
        """Sweep now and every `interval_s`; never returns."""
        while True:
            try:
                await self.sweep()
            except (OSError, SQLAlchemyError) as exc:
                log.error("voicemail.retention_failed", error=str(exc))
            await asyncio.sleep(self._interval)
