"""Originate and Redirect refuse what could change the dialplan's arguments (issue 14).

Defence in depth behind the E.164 numbers: the Exten of an agent-first callback becomes
`${EXTEN}` in `Dial(PJSIP/${EXTEN}@trunk,60)`, where a `,` adds Dial options and a `&`
another destination; Asterisk splits a `Variable:` header at `,` into several variables;
an application's Data is split into its arguments. The builders refuse such values with a
`LocalProtocolError` that says where, without repeating the value.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from callcenter.ami import LocalProtocolError, encode_action
from callcenter.ami import actions as act

HOSTILE_EXTENS = [
    "123,U(evil)",
    "123&PJSIP/999",
    "+4930555,U(gosub^s^1)",
    "+4930555&PJSIP/999@trunk",
    "+49 30",
    "${SHELL(id)}",
    "1)(",
    "",
    "1" * 81,
]


def callback(exten: str) -> act.Action:
    """The Originate of an agent-first callback, as the executor builds it."""
    return act.originate(
        "PJSIP/agent1001",
        context="callbacks",
        exten=exten,
        priority=1,
        timeout_ms=15000,
        caller_id=f"Callback <{exten}>",
        variables={"CC_CALL_ID": "cb-7", "CC_AGENT": "agent1"},
        channel_id="cc-leg-1",
    )


@pytest.mark.parametrize("exten", HOSTILE_EXTENS)
def test_given_an_exten_that_could_add_dial_options_then_no_originate_is_built(exten: str) -> None:
    with pytest.raises(LocalProtocolError, match=r"^Originate Exten: ") as refused:
        callback(exten)

    if len(exten) > 3:
        assert exten not in str(refused.value)
    with pytest.raises(LocalProtocolError, match=r"^Redirect Exten: "):
        act.redirect("PJSIP/caller-00000050", "outbound", exten)


def test_given_an_e164_number_then_the_callback_originate_carries_it_as_is() -> None:
    action = callback("+49305551234")

    assert action.get("Exten") == "+49305551234"
    assert b"Exten: +49305551234\r\n" in encode_action(action)
    assert act.originate("PJSIP/agent1001", context="survey", exten="s").get("Exten") == "s"


@example("123,U(evil)")
@example("123&PJSIP/999")
@example("+49305551234")
@given(st.text(max_size=90))
def test_given_any_exten_then_an_originate_carries_only_letters_digits_plus_star_hash(
    exten: str,
) -> None:
    try:
        action = callback(exten)
    except LocalProtocolError:
        return
    assert re.fullmatch(r"[0-9A-Za-z+*#]{1,80}", action.get("Exten") or "")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CC_CALL_ID", "cb-7,CC_AGENT=evil"),  # Asterisk would set a second variable
        ("CC_CALL_ID", 'x"y'),
        ("CC_CALL_ID", "a(b)"),
        ("CC_CALL_ID", "${EXTEN}"),
        ("CC_CALL_ID", "a&b"),
        ("CC_CALL_ID", "a\tb"),
        ("CDR(userfield)", "x"),  # a function: writes where a variable was meant
        ("CC CALL", "x"),
        ("1CC", "x"),
        ("", "x"),
    ],
)
def test_given_a_variable_that_could_set_more_than_itself_then_no_originate_is_built(
    name: str, value: str
) -> None:
    with pytest.raises(LocalProtocolError, match=r"^Originate variable"):
        act.originate("PJSIP/agent1001", application="Wait", data="1", variables={name: value})


def test_the_variables_the_product_sends_pass() -> None:
    action = act.originate(
        "PJSIP/agent1001",
        application="Bridge",
        data="PJSIP/caller-00000040,F(survey^s^1)",
        variables={"CC_CALL_ID": "1796367365.64", "CC_AGENT": "agent_1-x"},
    )

    variables = [v for k, v in action.fields if k == "Variable"]
    assert variables == ["CC_CALL_ID=1796367365.64", "CC_AGENT=agent_1-x"]
    assert action.get("Data") == "PJSIP/caller-00000040,F(survey^s^1)"


@pytest.mark.parametrize(
    "data",
    [
        "PJSIP/caller-1&PJSIP/999",
        "PJSIP/caller-1,${SHELL(id)}",
        'PJSIP/caller-1,"x"',
        "PJSIP/caller-1;x",
        "PJSIP/caller-1,\x1b[2J",
        "PJSIP/caller-1|x",
    ],
)
def test_given_application_data_with_breakout_characters_then_no_originate_is_built(
    data: str,
) -> None:
    with pytest.raises(LocalProtocolError, match=r"^Originate Data: character \d+ "):
        act.originate("PJSIP/agent1001", application="ChanSpy", data=data)
