"""CSV: a header of the row's fields in order, plain numbers, empty cells for None."""

from __future__ import annotations

import csv
import io
from dataclasses import fields
from datetime import timedelta

import pytest
from reports_kit import BERLIN, T0, answered_call, ev

from callcenter.reports import AgentRow, Bucket, QueueRow, build_agent_report, build_queue_report
from callcenter.reports.export import format_number, to_csv


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.8, "0.8"), (12.0, "12"), (1 / 3, "0.333333"), (1234567.25, "1234567.25"), (-0.0, "0"),
     (1e-9, "0"), (1e20, "100000000000000000000")],
)  # fmt: skip
def test_numbers_are_written_plainly(value: float, text: str) -> None:
    assert format_number(value) == text


def test_queue_rows_become_csv_with_a_stable_header() -> None:
    events = [
        *answered_call("c1", "sales", "a1", enter=0, wait=4, talk=90, wrap_up=10),
        ev(30, "enqueue", "c2", "sales", detail="priority 0"),
        ev(31, "abandon", "c2", "sales", wait=1, outcome="abandoned"),
    ]
    report = build_queue_report(
        events, since=T0, until=T0 + timedelta(hours=1), bucket=Bucket.HOUR, tz=BERLIN
    )
    text = to_csv(report.rows)
    assert text.endswith("\r\n")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == [f.name for f in fields(QueueRow)]
    row = dict(zip(table[0], table[1], strict=True))
    assert row["start"] == "2026-03-02T09:00:00+01:00"
    assert row["end"] == "2026-03-02T10:00:00+01:00"
    assert (row["queue"], row["offered"], row["short_abandoned"]) == ("sales", "2", "1")
    assert (row["service_level"], row["aht"], row["survey_average"]) == ("1", "100", "")


def test_agent_rows_write_pauses_by_reason_in_one_cell() -> None:
    events = [
        ev(0, "login", agent="a1"),
        ev(0, "pause", agent="a1", reason="lunch"),
        ev(1800, "ready", agent="a1"),
        ev(2000, "pause", agent="a1", reason="break"),
        ev(2300.5, "logout", agent="a1"),
    ]
    report = build_agent_report(
        events, since=T0, until=T0 + timedelta(hours=1), bucket=Bucket.HOUR, tz=BERLIN
    )
    table = list(csv.reader(io.StringIO(to_csv(report.totals))))
    row = dict(zip(table[0], table[1], strict=True))
    assert row["paused_by_reason"] == "break=300.5;lunch=1800"
    assert (row["occupancy"], row["aht"]) == ("0", "")


def test_without_rows_the_header_comes_from_the_row_type() -> None:
    assert to_csv([], row_type=AgentRow).startswith("start,end,agent,offers,")
    assert to_csv([]) == ""


def test_rows_of_two_reports_are_refused() -> None:
    queue = build_queue_report(
        answered_call("c1", "sales", "a1", enter=0, wait=4, talk=90),
        since=T0, until=T0 + timedelta(hours=1), bucket=Bucket.HOUR, tz=BERLIN,
    )  # fmt: skip
    agent = build_agent_report(
        [ev(0, "login", agent="a1")],
        since=T0, until=T0 + timedelta(hours=1), bucket=Bucket.HOUR, tz=BERLIN,
    )  # fmt: skip
    with pytest.raises(ValueError, match="one report"):
        to_csv([*queue.rows, *agent.rows])
