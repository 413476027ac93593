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
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from callcenter.db.customers import InvalidPhoneNumber, NewCustomer, to_e164
from cti.types import Tier

REQUIRED = ("account", "name")
OPTIONAL = ("tier", "language", "phones", "notes")
HEADER = ",".join(REQUIRED + OPTIONAL)
"""The documented header of a customers CSV file."""
_LIMITS = {"account": 64, "name": 200, "language": 16, "notes": 4000}


@dataclass
class ImportPlan:
    """The customers a file holds and the rows it rejects (`(line, reason)`)."""

    customers: list[NewCustomer] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)


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
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [key for key in REQUIRED if key not in header]
        unknown = [key for key in header if key not in REQUIRED + OPTIONAL]
        if missing or unknown:
            problems = [f"missing column {k!r}" for k in missing]
            problems += [f"unknown column {k!r}" for k in unknown]
            plan.rejected.append((1, "; ".join(problems) + f" (expected: {HEADER})"))
            return plan
        seen_accounts: dict[str, int] = {}
        seen_phones: dict[str, int] = {}
        for row in reader:
            line = reader.line_num
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
    return plan


def check_taken(plan: ImportPlan, accounts: Iterable[str], phones: Iterable[str]) -> None:
    """Reject the rows whose account or phone number the database already holds."""
    taken_accounts, taken_phones = set(accounts), set(phones)
    for customer, line in zip(plan.customers, plan.lines, strict=True):
        if customer.account in taken_accounts:
            plan.rejected.append((line, f"account {customer.account} exists already"))
        elif taken_phones.intersection(customer.phones):
            plan.rejected.append((line, "a phone number belongs to an existing customer"))
    plan.rejected.sort()
