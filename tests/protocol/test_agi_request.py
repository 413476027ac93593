"""The typed request built from the `agi_*` environment: script, arguments, absent fields."""

from __future__ import annotations

from callcenter.agi import AGICodec, AGIRequest


def request_from(env: bytes) -> AGIRequest:
    codec = AGICodec()
    codec.receive_data(env)
    request = codec.next_event()
    assert isinstance(request, AGIRequest)
    return request


def test_given_url_query_and_agi_args_then_both_become_arguments_in_order() -> None:
    request = request_from(
        b"agi_network: yes\n"
        b"agi_network_script: ivr/sales?lang=de&vip&name=J%C3%BCrgen\n"
        b"agi_request: agi://127.0.0.1:4573/ivr/sales?lang=de&vip&name=J%C3%BCrgen\n"
        b"agi_priority: 3\n"
        b"agi_arg_2: second\n"
        b"agi_arg_1: first, with comma\n"
        b"\n"
    )
    assert request.script == "ivr/sales"
    assert request.arguments == (
        "lang=de",
        "vip",
        "name=J\u00fcrgen",
        "first, with comma",
        "second",
    )
    assert request.query == (("lang", "de"), ("vip", ""), ("name", "J\u00fcrgen"))
    assert request.priority == 3


def test_given_no_network_script_then_the_script_comes_from_the_request_url() -> None:
    request = request_from(b"agi_request: agi://pbx:4573/survey/?q=1\n\n")
    assert request.script == "survey"
    assert request.arguments == ("q=1",)


def test_given_a_bare_agi_url_then_the_script_is_empty() -> None:
    assert request_from(b"agi_request: agi://pbx:4573\n\n").script == ""


def test_given_unknown_caller_id_then_absent_fields_are_none() -> None:
    request = request_from(
        b"agi_callerid: unknown\nagi_calleridname: unknown\nagi_dnid: unknown\n"
        b"agi_accountcode: \n\n"
    )
    assert (request.caller_number, request.caller_name, request.dnid) == (None, None, None)
    assert request.env["agi_accountcode"] == ""


def test_unknown_keys_are_kept_and_the_repr_hides_the_caller() -> None:
    request = request_from(
        b"agi_callerid: 5550001\nagi_calleridname: Jane Roe\nagi_uniqueid: 17.1\n"
        b"agi_x_custom: kept\n\n"
    )
    assert request.env["agi_x_custom"] == "kept"
    assert "5550001" not in repr(request)
    assert "Jane Roe" not in repr(request)
    assert "17.1" in repr(request)


def test_a_value_with_colons_and_leading_spaces_keeps_them() -> None:
    request = request_from(b"agi_calleridname:  Dr: Who\n\n")
    assert request.caller_name == " Dr: Who"
