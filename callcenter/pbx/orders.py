"""Order status for the IVR's self-service, read from a CSV export of the order system.

Strategy: the order system is the operator's, not ours; most can export a CSV of open
orders (`order,status,date`). `OrderBook` reads such a file (the demo ships one) and
re-reads it when it changes, so a nightly export is picked up without a restart. Without
a file every order is unknown and the flow says so and offers an agent.
"""

from __future__ import annotations

import csv
import os
from datetime import date
from pathlib import Path

import structlog

from callcenter.ivr.lookups import OrderStatus

log = structlog.get_logger(__name__)


class OrderBook:
    """`SelfServiceData` over a CSV file of orders (`order,status,date`)."""

    def __init__(self, path: Path | None) -> None:
        """Read `path` on first use; None means no order system is connected."""
        self._path = path
        self._orders: dict[str, OrderStatus] = {}
        self._mtime: float | None = None

    def _refresh(self) -> None:
        if self._path is None:
            return
        try:
            mtime = os.stat(self._path).st_mtime
        except OSError as exc:
            log.error("ivr.orders_unreadable", path=str(self._path), error=str(exc))
            return
        if mtime == self._mtime:
            return
        orders: dict[str, OrderStatus] = {}
        with self._path.open(encoding="utf-8", newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    day = date.fromisoformat(row["date"]) if row.get("date") else None
                    orders[row["order"].strip()] = OrderStatus(row["status"].strip(), day)
                except (KeyError, ValueError, AttributeError) as exc:
                    log.warning(
                        "ivr.order_row_skipped", path=str(self._path), line=line, error=str(exc)
                    )
        self._orders, self._mtime = orders, mtime

    async def order_status(self, order_number: str) -> OrderStatus | None:
        """The order's status, None when the order is unknown."""
        self._refresh()
        return self._orders.get(order_number.strip())
