"""Collect nodes: lengths, terminator, pattern and Luhn checks, re-prompts, fallback."""

from __future__ import annotations

import pytest

from ivr_flows import Collect, luhn_valid
from ivr_flows.checks import DigitsRule
from tests.unit.ivr.ivr_testkit import Call, flow


def collect_flow(**settings: object) -> dict[str, object]:
    node = {
        "type": "collect",
        "prompts": "custom/enter-account",
        "min_length": 6,
        "max_length": 10,
        "invalid_prompts": "custom/account-invalid",
        "retries": 1,
        "store_as": "account_number",
        "next": "thanks",
        "fallback": "operator",
        **settings,
    }
    return {
        "account": node,
        "thanks": {"type": "hangup", "outcome": "identified"},
        "operator": {"type": "hangup", "outcome": "operator"},
    }


def test_collect_asks_with_its_lengths_timeout_and_terminator() -> None:
    call = Call(flow(collect_flow(timeout_s=7)))

    assert call.last() == Collect(("custom/enter-account",), 6, 10, 7.0, "#")


def test_valid_digits_are_stored_without_the_terminator() -> None:
    call = Call(flow(collect_flow()))
    call.press("12345678#")

    assert call.finished.outcome == "identified"
    assert call.finished.data["account_number"] == "12345678"


@pytest.mark.parametrize("entry", ["12345", "12345678901", "1234a678", "123 456", "*123456#"])
def test_an_entry_of_the_wrong_length_or_with_other_keys_is_asked_for_again(entry: str) -> None:
    call = Call(flow(collect_flow()))
    call.press(entry)

    assert call.last() == Collect(
        ("custom/account-invalid", "custom/enter-account"), 6, 10, 5.0, "#"
    )
    assert "account_number" not in call.ivr.data


def test_a_pattern_must_match_the_whole_entry() -> None:
    call = Call(flow(collect_flow(pattern="4[0-9]{5}", max_length=6)))
    call.press("512345")
    assert isinstance(call.last(), Collect)

    call.press("412345")
    assert call.finished.data["account_number"] == "412345"


def test_a_luhn_checked_entry_needs_its_check_digit() -> None:
    call = Call(flow(collect_flow(luhn=True)))
    call.press("79927398710")  # 11 digits: too long anyway
    call.press("7992739871")  # Luhn digit wrong

    assert call.finished.outcome == "operator"
    assert "account_number" not in call.finished.data


def test_a_luhn_checked_entry_with_its_check_digit_passes() -> None:
    call = Call(flow(collect_flow(luhn=True, max_length=11)))
    call.press("79927398713")

    assert call.finished.data["account_number"] == "79927398713"


def test_silence_asks_again_and_then_falls_back() -> None:
    call = Call(flow(collect_flow(no_input_prompts="custom/no-input")))
    call.silence()
    assert call.last() == Collect(("custom/no-input", "custom/enter-account"), 6, 10, 5.0, "#")

    call.silence()

    assert call.finished.outcome == "operator"
    assert call.finished.path == ("account", "operator")


def test_a_collect_without_terminator_takes_exactly_the_digits() -> None:
    call = Call(flow(collect_flow(terminator=None, min_length=4, max_length=4)))
    assert call.last() == Collect(("custom/enter-account",), 4, 4, 5.0, None)

    call.press("1234")

    assert call.finished.data["account_number"] == "1234"


def test_a_hang_up_while_collecting_keeps_nothing_half_entered() -> None:
    call = Call(flow(collect_flow()))
    call.press("12")
    call.hang_up()

    assert call.finished.hung_up
    assert call.finished.path == ("account",)
    assert "account_number" not in call.finished.data


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("79927398713", True),
        ("4111111111111111", True),
        ("0", False),
        ("18", True),
        ("79927398710", False),
        ("4111111111111112", False),
        ("", False),
        ("12a4", False),
        ("٣٤", False),  # digits of another script are not keypad digits
    ],
)
def test_luhn_check_digit(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


def test_a_digits_rule_refuses_entries_longer_than_the_keypad_limit() -> None:
    rule = DigitsRule(min_length=1, max_length=32)

    assert rule.clean("1" * 32) == "1" * 32
    assert rule.clean("1" * 33) is None
