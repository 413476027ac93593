"""Call detail records as CSV lines or JSON, in the center's time zone.

Strategy: pure formatting of the rows `callcenter.db.call_records` reads, one row at a
time, so the route can stream a period of any size. Times are ISO 8601 with the center's
offset (`2026-12-04T09:15:02+01:00`), seconds as numbers, the notes only as a flag (the
text stays in the desktop). A CSV cell that a spreadsheet would run as a formula (it
starts with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, so a
caller's input or a customer's name can never become one; JSON keeps values as they are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from callcenter.db.call_records import COLUMNS, TIME_COLUMNS

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def local_time(value: datetime | None, tz: ZoneInfo) -> str | None:
    """`value` in `tz`, ISO 8601 to the second with its offset; None stays None."""
    if value is None:
        return None
    return value.astimezone(tz).isoformat(timespec="seconds")


def safe_cell(value: Any) -> str:
    """One CSV cell: empty for None, yes/no for a flag, and text that could start a
    spreadsheet formula quoted with a leading `'`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def localised(row: Mapping[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """The row with its moments in `tz`, in the columns' order."""
    return {
        name: local_time(row[name], tz) if name in TIME_COLUMNS else row[name] for name in COLUMNS
    }


def csv_header() -> str:
    """The CSV's first line: the column names."""
    return _line(COLUMNS)


def csv_line(row: Mapping[str, Any], tz: ZoneInfo) -> str:
    """One record as a CSV line (CRLF-terminated, as RFC 4180 has it)."""
    local = localised(row, tz)
    return _line([safe_cell(local[name]) for name in COLUMNS])


def json_item(row: Mapping[str, Any], tz: ZoneInfo) -> str:
    """One record as a JSON object."""
    return json.dumps(localised(row, tz), ensure_ascii=False, separators=(",", ":"))


def _line(cells: Any) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue()
