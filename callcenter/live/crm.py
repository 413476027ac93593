"""The external CRM lookup: an HTTP GET per ringing call, with a hard deadline.

Strategy: `HttpCrmLookup` implements `cti.CrmLookup`. The URL comes from a template in the
settings (`cti.crm_url_template`, `{number}` replaced by the URL-encoded E.164 number); the
answer is a JSON object whose known keys (`name`, `account`, `tier`, `language`, `notes`)
are laid over the local record. Anything but a timely 200 with such an object - a timeout,
a 404, a refused connection, bad JSON - yields None and a `crm_lookup_failed` log event,
so the pop builder falls back to the local record and the pop is never late.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import aiohttp
import structlog

from cti.types import CrmRecord, Tier

log = structlog.get_logger(__name__)

_MAX_FIELD = 2000
"""The CRM is another system: its text is length-limited before it reaches a desktop."""


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value[:_MAX_FIELD] if isinstance(value, str) and value else None


def parse_crm_answer(data: Any) -> CrmRecord | None:
    """The `CrmRecord` in a CRM's JSON answer; None when it names nobody."""
    if not isinstance(data, dict):
        return None
    tier_text = _text(data, "tier")
    tier = Tier(tier_text.lower()) if tier_text and tier_text.lower() in set(Tier) else None
    record = CrmRecord(
        name=_text(data, "name"),
        account=_text(data, "account"),
        tier=tier,
        language=_text(data, "language"),
        notes=_text(data, "notes"),
    )
    return None if record == CrmRecord() else record


class HttpCrmLookup:
    """Asks an HTTP CRM about a caller; None after `timeout_s` or on any failure."""

    def __init__(
        self,
        url_template: str,
        *,
        timeout_s: float,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        """A session is created on first use when none is given; `close()` closes it."""
        self._template = url_template
        self._timeout_s = timeout_s
        self._session = session
        self._owns_session = session is None

    async def lookup(self, caller_number: str) -> CrmRecord | None:
        """What the CRM knows about `caller_number`, or None (unknown, slow, or failed)."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        url = self._template.replace("{number}", quote(caller_number, safe=""))
        try:
            # asyncio.timeout covers connect, headers and body: a CRM trickling bytes is late.
            async with asyncio.timeout(self._timeout_s):
                async with self._session.get(url) as response:
                    if response.status == 404:
                        return None
                    response.raise_for_status()
                    data = await response.json(content_type=None)
        except TimeoutError:
            log.warning("crm_lookup_failed", phone=caller_number, error="timeout")
            return None
        except (aiohttp.ClientError, ValueError) as exc:
            # Not str(exc): aiohttp's messages carry the URL, and the URL carries the number.
            status = getattr(exc, "status", None)
            log.warning(
                "crm_lookup_failed", phone=caller_number, error=type(exc).__name__, status=status
            )
            return None
        return parse_crm_answer(data)

    async def close(self) -> None:
        """Close the HTTP session if this lookup created it."""
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None
