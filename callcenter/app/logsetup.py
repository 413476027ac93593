"""structlog, configured once: readable in a terminal, JSON lines otherwise.

Strategy: the product logs through structlog with per-task context (`call_id`, `uniqueid`,
`agent`, `ami_server` bound via contextvars); libraries that use the standard `logging`
module (asyncio, aiohttp) are rendered by the same processors. Phone numbers are masked in
every record before it is rendered: callers' numbers are personal data and logs travel.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

PHONE_KEYS = frozenset(
    {
        "caller",
        "caller_number",
        "caller_id",
        "callerid",
        "caller_id_num",
        "connected_line_num",
        "number",
        "phone",
        "phone_number",
        "dnid",
        "ani",
        "callback_number",
        "from_number",
        "to_number",
    }
)
_DIGIT = re.compile(r"\d")


def mask_number(value: str) -> str:
    """Hide all but the last two digits: `+4915112345678` -> `+***********78`."""
    digits = sum(c.isdigit() for c in value)
    if digits <= 2:
        return value
    keep = digits - 2
    count = 0

    def repl(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return "*" if count <= keep else match.group(0)

    return _DIGIT.sub(repl, value)


def mask_phone_numbers(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask the values of keys that hold phone numbers."""
    for key in PHONE_KEYS.intersection(event_dict):
        value = event_dict[key]
        if isinstance(value, str | int):
            event_dict[key] = mask_number(str(value))
    return event_dict


def configure_logging(level: str = "info", fmt: str = "auto") -> None:
    """Set up structlog and stdlib logging; `fmt` is auto, console or json."""
    use_console = fmt == "console" or (fmt == "auto" and sys.stderr.isatty())
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        mask_phone_numbers,
    ]
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer() if use_console else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *([] if use_console else [structlog.processors.format_exc_info]),
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
