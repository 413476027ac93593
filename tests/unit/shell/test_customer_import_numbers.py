"""A customers file's phone numbers: imported in E.164, or the row rejected naming the line,
the number and the character that no phone number has (issue 14, item 2: numbers may be
dialled later, and a `,` or `&` would reach the dialplan's Dial)."""

from __future__ import annotations

from pathlib import Path

from callcenter.db.customer_import import read_customers

HEADER = "account,name,tier,language,phones,notes\n"


def test_given_a_phone_with_dial_options_then_its_row_is_rejected_and_the_others_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(
        HEADER
        + "100,Anna,,,030 5550100; (030) 555-0101,\n"
        + '101,Ben,,,"030 5550102;123,U(evil)",\n'
        + "102,Carl,,,+4930555&PJSIP/999,\n"
    )

    plan = read_customers(path)

    assert [(c.account, c.phones) for c in plan.customers] == [
        ("100", ("+49305550100", "+49305550101"))
    ]
    assert plan.rejected == [
        (
            3,
            "phone '123,U(evil)': not a phone number: character 4 (',') is not a digit, '+', "
            "a space or ( ) . / -",
        ),
        (
            4,
            "phone '+4930555&PJSIP/999': not a phone number: character 9 ('&') is not a "
            "digit, '+', a space or ( ) . / -",
        ),
    ]
