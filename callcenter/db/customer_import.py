"""Reading a customers CSV file: every row checked, every problem reported by line.

Strategy: the whole file is validated before anything is written - each row on its own
(name, account, tier, phone numbers in E.164), then across rows (an account or a number
twice in the file), then against the database (an account or a number already taken).
Any rejected row means nothing is imported; the report names the line and the reason,
e.g. `line 7: phone '12': not a valid phone number`.

The header (first line; order free, `tier`, `language`, `phones`, `notes` optional):

    account,name,tier,language,phones,notes

`tier` is vip, gold, standard (the default) or new; `phones` holds one or more numbers
separated by `;`, with or without country code (read in `cti.default_region`).

A field longer than its column allows is a rejected row like any other. One longer than
`FIELD_LIMIT` (1 MiB: a broken quote, or not a customers file) stops the reading: the
report names its line and column, and nothing is imported.
"""

from __future__ import annotations

import contextlib
import csv
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from callcenter.db.customers import InvalidPhoneNumber, NewCustomer, to_e164
from cti.types import Tier

REQUIRED = ("account", "name")
OPTIONAL = ("tier", "language", "phones", "notes")
HEADER = ",".join(REQUIRED + OPTIONAL)
"""The documented header of a customers CSV file."""
_LIMITS = {"account": 64, "name": 200, "language": 16, "notes": 4000, "phones": 1000}
FIELD_LIMIT = 1 << 20
"""The longest field read at all (Python's csv module stops at 131,072 characters)."""


@dataclass
class ImportPlan:
    """The customers a file holds and the rows it rejects (`(line, reason)`)."""

    customers: list[NewCustomer] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    records: int = 0
    """Records read after the header."""
    last_line: int = 0
    """The last line of the file read so far."""


def _customer(row: dict[str, str | None], region: str) -> NewCustomer:
    values = {key: (row.get(key) or "").strip() for key in REQUIRED + OPTIONAL}
    for key in REQUIRED:
        if not values[key]:
            raise ValueError(f"{key} is empty")
    for key, limit in _LIMITS.items():
        if len(values[key]) > limit:
            raise ValueError(f"{key} is longer than {limit} characters")
    tier_text = values["tier"].lower() or Tier.STANDARD.value
    if tier_text not in set(Tier):
        raise ValueError(f"tier {values['tier']!r} is not one of vip, gold, standard, new")
    phones = []
    for raw in filter(None, (part.strip() for part in values["phones"].split(";"))):
        try:
            phones.append(to_e164(raw, region))
        except InvalidPhoneNumber as exc:
            raise ValueError(f"phone {raw!r}: {exc}") from None
    return NewCustomer(
        name=values["name"],
        account=values["account"],
        tier=Tier(tier_text),
        language=values["language"] or None,
        notes=values["notes"],
        phones=tuple(phones),
    )


def read_customers(path: Path, *, region: str = "DE") -> ImportPlan:
    """Parse and check `path` on its own (the database is checked by `check_taken`)."""
    plan = ImportPlan()
    with _field_limit(FIELD_LIMIT), path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        try:
            _read_rows(reader, plan, region)
        except csv.Error as exc:
            # The reader cannot go on past a broken record: report it and stop.
            line = plan.last_line + 1
            plan.rejected.append((line, _unreadable(path, plan.records, exc)))
            plan.rejected.sort()
    return plan


def _read_rows(reader: csv.DictReader[str], plan: ImportPlan, region: str) -> None:
    header = reader.fieldnames or []
    plan.last_line = reader.line_num
    missing = [key for key in REQUIRED if key not in header]
    unknown = [key for key in header if key not in REQUIRED + OPTIONAL]
    if missing or unknown:
        problems = [f"missing column {k!r}" for k in missing]
        problems += [f"unknown column {k!r}" for k in unknown]
        plan.rejected.append((1, "; ".join(problems) + f" (expected: {HEADER})"))
        return
    seen_accounts: dict[str, int] = {}
    seen_phones: dict[str, int] = {}
    for row in reader:
        line = plan.last_line + 1  # where the record starts (a quoted field may span lines)
        plan.last_line = reader.line_num
        plan.records += 1
        if None in row:
            plan.rejected.append((line, "more fields than columns"))
            continue
        try:
            customer = _customer(row, region)
        except ValueError as exc:
            plan.rejected.append((line, str(exc)))
            continue
        if customer.account in seen_accounts:
            first = seen_accounts[customer.account]
            plan.rejected.append((line, f"account {customer.account} repeats line {first}"))
            continue
        repeated = [p for p in customer.phones if p in seen_phones]
        if repeated:
            first = seen_phones[repeated[0]]
            plan.rejected.append((line, f"a phone number repeats line {first}"))
            continue
        seen_accounts[customer.account] = line
        seen_phones.update(dict.fromkeys(customer.phones, line))
        plan.customers.append(customer)
        plan.lines.append(line)


@contextlib.contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    # The limit is the csv module's, for the whole process: put it back afterwards.
    before = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(before)


def _unreadable(path: Path, records: int, exc: csv.Error) -> str:
    """Why record number `records` (0-based) cannot be read, naming the column if a field
    is too long (found by reading the file again up to it, without the limit)."""
    if "field larger than field limit" not in str(exc):
        return f"not readable as CSV: {exc}"
    with (
        _field_limit(sys.maxsize),
        path.open(newline="", encoding="utf-8-sig") as handle,
        contextlib.suppress(csv.Error),
    ):
        for index, row in enumerate(csv.DictReader(handle)):
            if index == records:
                too_long = [
                    f"{'extra field' if key is None else repr(key)}"
                    for key, value in row.items()
                    if len(str(value)) > FIELD_LIMIT
                ]
                if too_long:
                    return (
                        f"field {', '.join(too_long)} is longer than {FIELD_LIMIT:,} "
                        "characters (a quote left open?); nothing after it was read"
                    )
                break
    return f"a field is longer than {FIELD_LIMIT:,} characters; nothing after it was read"


def check_taken(plan: ImportPlan, accounts: Iterable[str], phones: Iterable[str]) -> None:
    """Reject the rows whose account or phone number the database already holds."""
    taken_accounts, taken_phones = set(accounts), set(phones)
    for customer, line in zip(plan.customers, plan.lines, strict=True):
        if customer.account in taken_accounts:
            plan.rejected.append((line, f"account {customer.account} exists already"))
        elif taken_phones.intersection(customer.phones):
            plan.rejected.append((line, "a phone number belongs to an existing customer"))
    plan.rejected.sort()
