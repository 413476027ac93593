"""Voicemail over AGI: where a message is written, and a recording that fails.

Strategy: RECORD FILE makes no folders. res_agi.c handle_recordfile opens the name as given
(ast_writefile with O_CREAT) and, when its folder is missing or not writable, answers
`200 result=-1 (writefile)` after the beep, the channel still up; only the dialplan's
Record() makes folders (app_record.c). The backend cannot make them either: it may run on
another machine than Asterisk (the compose file shares the spool with it). So
every message goes into the one folder the deployment makes and gives Asterisk
(`telephony.voicemail_dir`, /var/spool/asterisk/callcenter: the compose file's voicemail
volume, created by deploy/asterisk-entrypoint.sh), the queue in the file name:
`<dir>/<queue>-<uniqueid>.wav`. A recording that still fails is logged with Asterisk's
reply, never raised: the caller is told and the call's record says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from callcenter.agi import AGICommandError, AGISession
from callcenter.db.voicemails import AUDIO_FORMAT, message_file, stored_message

__all__ = ["FORMAT", "Recording", "message_file", "record_message", "stored_message"]

log = structlog.get_logger(__name__)

SAMPLES_PER_SECOND = 8000
"""RECORD FILE's endpos counts samples; Asterisk records `wav` at 8 kHz."""
FORMAT = AUDIO_FORMAT
SILENCE_S = 5
"""Seconds of silence that end a message."""


@dataclass(frozen=True, slots=True)
class Recording:
    """How one message's RECORD FILE ended.

    `file` is Asterisk's path without the extension; `seconds` what was recorded; `error`
    None when the message was kept, else Asterisk's reply (`200 result=-1 (writefile)`).
    """

    file: str
    seconds: float
    error: str | None = None


async def record_message(session: AGISession, file: str, max_seconds: int) -> Recording:
    """Beep and record the caller into `file`.wav until `#`, silence or `max_seconds`.

    A caller who hangs up ends the message (it is kept); the next helper raises AGIHangup.
    A recording Asterisk refuses is logged with its reply and returned with `error` set.
    """
    try:
        result = await session.record_file(
            file, FORMAT, "#", max_seconds * 1000, beep=True, silence_s=SILENCE_S
        )
    except AGICommandError as error:
        log.error(
            "voicemail.record_failed",
            file=f"{file}.{FORMAT}",
            reply=error.response.text,
            error=str(error),
        )
        return Recording(file, 0.0, error=error.response.text)
    return Recording(file, (result.endpos or 0) / SAMPLES_PER_SECOND)
