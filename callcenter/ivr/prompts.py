"""Playing prompts on one call so that a sound Asterisk cannot play costs the caller nothing.

Strategy: company prompts (`custom/...`) are recorded by each operator and are often missing
on a new deployment (README: "missing ones are skipped and logged"). Asterisk answers a
missing file without ending the call (`AGIPlaybackFailed` from the session, which has told
it apart from a hang-up), so a `CallPrompts` skips it and goes on as if it had played: a
STREAM FILE as played through with no key, a GET DATA by collecting the digits without its
prompt (`GET DATA ""`), so the caller still gets the time to key in and silence is still
"no input". Each missing sound is logged once per call, at warning, with its name, for
the operator to record it; a hang-up still raises AGIHangup.
"""

from __future__ import annotations

import structlog

from callcenter.agi import AGIPlaybackFailed, AGISession, DigitsResult

log = structlog.get_logger(__name__)


class CallPrompts:
    """The prompts of one call (its IVR and its wait in the queue), over its AGI session."""

    def __init__(self, session: AGISession) -> None:
        """Play on `session`; nothing is logged yet."""
        self.session = session
        self.missing: list[str] = []
        """The sounds Asterisk could not play on this call, in the order first met."""

    async def stream(self, name: str, escape_digits: str = "") -> str | None:
        """Play `name`; the escape digit pressed, or None (played through, or missing)."""
        try:
            return await self.session.stream_file(name, escape_digits)
        except AGIPlaybackFailed as error:
            self._skipped(error)
            return None

    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> DigitsResult:
        """Play `prompt` and collect digits; a missing prompt is skipped, the digits kept."""
        try:
            return await self.session.get_data(prompt, timeout_ms, max_digits)
        except AGIPlaybackFailed as error:
            self._skipped(error)
        return await self.session.get_data("", timeout_ms, max_digits)

    def _skipped(self, error: AGIPlaybackFailed) -> None:
        if error.sound in self.missing:
            return
        self.missing.append(error.sound)
        log.warning("ivr.prompt_missing", prompt=error.sound, reply=error.response.text)
