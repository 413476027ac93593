"""The database commands, run as a user runs them: `callcenter ...` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from callcenter.db import UserRepository, head_revision, make_engine, make_sessions
from callcenter.db.customer_import import read_customers
from callcenter.db.models import Customer, Phone

CONFIG = Path(__file__).resolve().parents[3] / "config" / "callcenter.yaml"
GOOD = """account,name,tier,language,phones,notes
100200,Anna Schmidt,vip,de,030 1234567;+49 151 12345678,prefers e-mail
100201,Ben Meyer,,,+49 40 987654,
100202,"Chen, Li",gold,en,,"calls often, mornings"
"""
BAD = """account,name,tier,phones
300001,Dora,standard,+49 40 555111
300002,,gold,
300003,Emil,platinum,
300004,Fritz,new,12
300001,Dora Again,,
300005,Gina,,+49 40 555111
"""


def callcenter(db_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CALLCENTER_DATABASE__URL": db_url, "CALLCENTER_CONFIG": str(CONFIG)}
    return subprocess.run(
        [sys.executable, "-m", "callcenter", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


async def count(db_url: str) -> tuple[int, int]:
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            customers = (await conn.execute(select(func.count()).select_from(Customer))).scalar()
            phones = (await conn.execute(select(func.count()).select_from(Phone))).scalar()
        return customers or 0, phones or 0
    finally:
        await engine.dispose()


async def test_given_a_good_file_when_imported_then_every_customer_is_stored(
    db_url: str, tmp_path: Path
) -> None:
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    result = callcenter(db_url, "customers", "import", str(good))
    assert result.returncode == 0, result.stderr
    assert "3 customers imported" in result.stderr
    assert "100%" in result.stderr  # the progress bar
    assert await count(db_url) == (3, 3)


async def test_given_bad_rows_when_imported_then_each_is_reported_and_nothing_stored(
    db_url: str, tmp_path: Path
) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD)
    bad.write_text(BAD + "100200,Anna Twin,,\n")
    assert callcenter(db_url, "customers", "import", str(good)).returncode == 0
    result = callcenter(db_url, "customers", "import", str(bad))
    assert result.returncode == 1
    report = [line.split(": ", 1)[1] for line in result.stderr.splitlines() if ": line " in line]
    assert report == [
        "line 3: name is empty",
        "line 4: tier 'platinum' is not one of vip, gold, standard, new",
        "line 5: phone '12': not a valid phone number for its country",
        "line 6: account 300001 repeats line 2",
        "line 7: a phone number repeats line 2",
        "line 8: account 100200 exists already",
    ]
    assert "6 rows rejected; nothing was imported" in result.stderr
    assert await count(db_url) == (3, 3)  # the good row 300001 was not imported either


@pytest.mark.parametrize("header", ["name,phones", "account,name,email"])
def test_a_file_with_the_wrong_header_is_refused_on_line_1(tmp_path: Path, header: str) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text(header + "\n1,2,3\n")
    plan = read_customers(path)
    assert plan.customers == []
    [(line, reason)] = plan.rejected
    assert line == 1
    assert reason.endswith("(expected: account,name,tier,language,phones,notes)")


async def test_db_upgrade_and_users_add_from_stdin(db_url: str) -> None:
    upgraded = callcenter(db_url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"database at revision {head_revision()}" in upgraded.stderr
    added = callcenter(
        db_url, "users", "add", "--role", "supervisor", "--password-stdin", "sam",
        stdin="correct horse battery\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    again = callcenter(
        db_url, "users", "add", "--role", "agent", "--password-stdin", "sam", stdin="x" * 9
    )
    assert again.returncode == 1
    assert "the username 'sam' is taken" in again.stderr
    engine = make_engine(db_url)
    try:
        users = UserRepository(make_sessions(engine))
        user = await users.authenticate("sam", "correct horse battery")
        assert user is not None
        assert user.role.value == "supervisor"
        assert await users.authenticate("sam", "wrong password") is None
        assert "correct horse" not in added.stderr + added.stdout
    finally:
        await engine.dispose()
