"""CSV export of report rows, for spreadsheets and other tools.

Strategy: the columns are the row dataclass's fields in declaration order, so the header is
stable and documented by `QueueRow` / `AgentRow` themselves. Values are written plainly and
the same on every machine (no locale): times as ISO 8601 with their UTC offset, integers
as digits, other numbers with at most six decimals and no exponent or trailing zeros,
``None`` as an empty cell, pauses by reason as ``reason=seconds`` joined by ``;``. Lines
end in CRLF, as RFC 4180 asks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime

from callcenter.reports.callbacks import CallbackRow
from callcenter.reports.types import AgentRow, QueueRow

Row = QueueRow | AgentRow | CallbackRow
"""A row of a report."""


def format_number(value: float) -> str:
    """``value`` without locale, exponent or trailing zeros: ``0.8``, ``12.5``, ``3``."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, tuple):
        return ";".join(f"{name}={format_number(seconds)}" for name, seconds in value)
    if isinstance(value, dict):
        return ";".join(f"{name}={_cell(count)}" for name, count in value.items())
    return str(value)


def to_csv(rows: Iterable[Row], *, row_type: type[Row] | None = None) -> str:
    """The rows as CSV text with a header row.

    All rows must be of one type. ``row_type`` gives the header when there may be no rows
    (without rows and without it, the result is empty).
    """
    items: Sequence[Row] = list(rows)
    kinds = {type(row) for row in items}
    if len(kinds) > 1:
        raise ValueError("to_csv takes rows of one report at a time")
    kind = kinds.pop() if kinds else row_type
    if kind is None:
        return ""
    if row_type is not None and kind is not row_type:
        raise ValueError(f"rows are {kind.__name__}, not {row_type.__name__}")
    names = [field.name for field in fields(kind)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    for row in items:
        writer.writerow([_cell(getattr(row, name)) for name in names])
    return out.getvalue()
