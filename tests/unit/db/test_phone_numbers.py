"""Numbers read into E.164 where they enter (callcenter.db.phones): whatever text comes in,
out comes `+` and digits, or a clear refusal that does not repeat the text.

A number the center may dial goes into an AMI Originate and the dialplan's Dial, where a
`,` adds options and a `&` another destination (issue 14): these tests hold the one gate
every such number passes.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from callcenter.db.phones import InvalidPhoneNumber, is_e164, to_e164

# Every message to_e164 gives: a count, one character named by position (repr-escaped or
# as a code point), libphonenumber's own fixed texts, or the validity verdict.
REFUSAL = re.compile(
    r"not a phone number: ("
    r"\d+ characters"
    r"|character \d+ \(('.'|\"'\"|'\\\\'|U\+[0-9A-F]{4,6})\) is not a digit, '\+', a space "
    r"or \( \) \. / -"
    r"|\(\d\) [A-Za-z .,'-]+"
    r")"
    r"|not a valid phone number for its country"
    r"|not a valid phone number: E\.164 allows 15 digits at most"
)
INJECTIONS = [
    "123,U(evil)",
    "123&PJSIP/999",
    "+4930123456,U(gosub^s^1)",
    "+4930123456&PJSIP/999@trunk",
    "030 123456;ext=1",
    "tel:+4930123456",
    "+49 30 123456 ext 5",
    "030${EXTEN}",
    "030123456\r\nAction: Originate",
    "+49\uff13\uff10\uff11\uff12\uff13\uff14\uff15\uff16",  # fullwidth digits
    "1-800-FLOWERS",
]


@pytest.mark.parametrize("raw", INJECTIONS)
def test_given_text_that_is_more_than_a_number_then_it_is_refused_naming_the_character(
    raw: str,
) -> None:
    with pytest.raises(InvalidPhoneNumber) as refused:
        to_e164(raw)

    message = str(refused.value)
    assert REFUSAL.fullmatch(message), message
    assert "character" in message
    assert raw not in message


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("030 123456", "+4930123456"),
        ("(030) 123-456", "+4930123456"),
        ("030/123.456", "+4930123456"),
        ("0049 30 123456", "+4930123456"),
        ("+49 30 123456", "+4930123456"),
        (" +4930123456\n", "+4930123456"),
        ("+1 212 555 0100", "+12125550100"),
    ],
)
def test_given_a_number_as_people_write_it_then_it_is_read_into_e164(raw: str, e164: str) -> None:
    assert to_e164(raw) == e164
    assert is_e164(e164)


def test_given_a_number_without_country_code_then_the_region_gives_it() -> None:
    assert to_e164("020 7946 0958", "GB") == "+442079460958"
    assert to_e164("01 42 68 53 00", "FR") == "+33142685300"


@example("123,U(evil)")
@example("123&PJSIP/999")
@example("+4930123456,U(x)")
@example("0049 30 123456")
@example("\x00")
@example("+" + "9" * 60)
@given(st.text(max_size=60))
def test_given_any_text_then_out_comes_e164_digits_or_a_refusal_that_does_not_repeat_it(
    raw: str,
) -> None:
    try:
        e164 = to_e164(raw)
    except InvalidPhoneNumber as refused:
        message = str(refused)
    else:
        assert re.fullmatch(r"\+[1-9][0-9]{1,14}", e164), (raw, e164)
        assert is_e164(e164)
        assert to_e164(e164) == e164  # stored numbers read the same again
        return
    assert REFUSAL.fullmatch(message), message


@example("20100000000000")  # valid in Germany, but +49 and 14 digits is too long for E.164
@given(st.from_regex(r"(\+|00)?[1-9][0-9]{5,16}", fullmatch=True))
def test_given_digits_then_either_e164_or_refused_as_not_valid(raw: str) -> None:
    try:
        e164 = to_e164(raw)
    except InvalidPhoneNumber as refused:
        message = str(refused)
    else:
        assert is_e164(e164)
        return
    assert "character" not in message  # digits are never the problem, their number is
    assert REFUSAL.fullmatch(message), message


@pytest.mark.parametrize(
    "value", ["4930123456", "+0301234", "+49 30", "+4930123456,", "+", "+1234567890123456"]
)
def test_given_something_that_is_not_e164_then_is_e164_says_so(value: str) -> None:
    assert not is_e164(value)
