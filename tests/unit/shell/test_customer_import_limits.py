"""A customers file with an over-long field is reported by line and column (issue 14, item 6)."""

from __future__ import annotations

import csv
from pathlib import Path

from callcenter.db.customer_import import FIELD_LIMIT, read_customers

HEADER = "account,name,tier,language,phones,notes\n"


def test_given_notes_of_131073_characters_then_the_row_is_rejected_naming_line_and_column(
    tmp_path: Path,
) -> None:
    # Python's csv module alone stops at 131,072 characters with a bare `_csv.Error`.
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + "100,Anna,,,,short\n" + "101,Ben,,,," + "x" * 131_073 + "\n")
    plan = read_customers(path)
    assert plan.rejected == [(3, "notes is longer than 4000 characters")]
    assert [c.account for c in plan.customers] == ["100"]


def test_given_a_quote_left_open_then_the_report_names_the_line_and_field_and_reading_stops(
    tmp_path: Path,
) -> None:
    path = tmp_path / "customers.csv"
    body = '"' + "a" * (FIELD_LIMIT + 10)
    path.write_text(HEADER + "100,Anna,,,,\n" + f"101,{body}\n" + "102,Carl,,,,\n")
    limit_before = csv.field_size_limit()
    plan = read_customers(path)
    assert plan.rejected == [
        (
            3,
            "field 'name' is longer than 1,048,576 characters (a quote left open?); "
            "nothing after it was read",
        )
    ]
    assert csv.field_size_limit() == limit_before  # the process-wide limit is put back


def test_given_a_record_spanning_lines_then_a_problem_names_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + '100,Anna,,,,"two\nlines"\n' + "101,,,,,\n")
    plan = read_customers(path)
    assert plan.rejected == [(4, "name is empty")]
