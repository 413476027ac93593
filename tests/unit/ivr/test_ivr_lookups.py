"""Customer and self-service lookups: what is asked, how answers branch and are kept."""

from __future__ import annotations

from ivr_flows import LookupCustomer, LookupData, Play
from tests.unit.ivr.ivr_testkit import Call, flow

ENDS = {
    "known": {"type": "hangup", "outcome": "known"},
    "vip": {"type": "hangup", "outcome": "vip"},
    "unknown": {"type": "hangup", "outcome": "unknown"},
}


def by_number() -> dict[str, object]:
    node = {
        "type": "lookup_customer",
        "by": "caller_number",
        "tiers": {"vip": "vip"},
        "found": "known",
        "not_found": "unknown",
    }
    return {"who": node, **ENDS}


def test_the_caller_is_looked_up_by_the_number_they_call_from() -> None:
    call = Call(flow(by_number()), call={"caller_number": "+4930555001"})

    assert call.last() == LookupCustomer("caller_number", "+4930555001")


def test_a_found_customer_lands_in_the_data_and_takes_the_found_branch() -> None:
    call = Call(flow(by_number()))
    call.answer({"name": "Alice Example", "tier": "gold", "language": "de"})

    assert call.finished.outcome == "known"
    assert call.finished.data["customer.name"] == "Alice Example"
    assert call.finished.data["customer.tier"] == "gold"
    assert call.finished.data["customer.language"] == "de"


def test_a_tier_with_its_own_branch_takes_it() -> None:
    call = Call(flow(by_number()))
    call.answer({"name": "Victor Important", "tier": "vip"})

    assert call.finished.outcome == "vip"


def test_an_unknown_caller_takes_the_not_found_branch() -> None:
    call = Call(flow(by_number()))
    call.answer(None)

    assert call.finished.outcome == "unknown"
    assert not any(key.startswith("customer.") for key in call.finished.data)


def test_a_failed_lookup_is_taken_as_not_found_so_the_caller_still_gets_through() -> None:
    call = Call(flow(by_number()))
    call.answer({"name": "ignored"}, failed=True)

    assert call.finished.outcome == "unknown"


def test_without_a_usable_caller_number_nothing_is_looked_up() -> None:
    for caller in ({}, {"caller_number": "anonymous"}, {"caller_number": "12"}):
        call = Call(flow(by_number()), call=caller)

        assert call.all_of(LookupCustomer) == []
        assert call.finished.outcome == "unknown"


def test_answer_fields_that_are_not_plain_text_are_dropped() -> None:
    call = Call(flow(by_number()))
    call.answer(
        {
            "name": "Mallory\n\x1b[31m",
            "Bad Key": "x",
            "tier": "gold",
            "notes": "y" * 500,
        }
    )

    assert call.finished.data["customer.tier"] == "gold"
    assert "customer.name" not in call.finished.data
    assert "customer.notes" not in call.finished.data
    assert not any("Bad" in key for key in call.finished.data)


def by_account() -> dict[str, object]:
    return {
        "account": {
            "type": "collect",
            "prompts": "custom/enter-account",
            "min_length": 4,
            "max_length": 8,
            "store_as": "account_number",
            "next": "who",
            "fallback": "unknown",
        },
        "who": {
            "type": "lookup_customer",
            "by": "account",
            "using": "account_number",
            "tiers": {"vip": "vip"},
            "found": "known",
            "not_found": "unknown",
        },
        **ENDS,
    }


def test_a_customer_is_looked_up_by_the_account_number_keyed_in() -> None:
    call = Call(flow(by_account()))
    call.press("4711#")

    assert call.last() == LookupCustomer("account", "4711")
    call.answer({"name": "Bob", "tier": "standard", "account": "4711"})
    assert call.finished.path == ("account", "who", "known")
    assert call.finished.data["customer.account"] == "4711"


ORDER = {
    "find": {
        "type": "lookup_data",
        "kind": "order_status",
        "using": "order_number",
        "store_as": "order",
        "found": "status",
        "not_found": "no_order",
    },
    "status": {"type": "say", "format": "date", "key": "order.date", "next": "end"},
    "no_order": {"type": "play", "prompts": "custom/order-not-found", "next": "end"},
    "end": {"type": "hangup", "outcome": "self_service"},
}


def test_a_data_lookup_asks_by_kind_and_key_and_keeps_the_answer_under_its_name() -> None:
    call = Call(flow(ORDER), call={"order_number": "123456"})
    assert call.last() == LookupData("order_status", "123456")

    call.answer({"status": "shipped", "date": "2026-05-12"})
    call.played()

    assert call.finished.data["order.status"] == "shipped"
    assert call.finished.path == ("find", "status", "end")


def test_a_data_lookup_without_an_answer_takes_not_found() -> None:
    call = Call(flow(ORDER), call={"order_number": "999999"})
    call.answer(None)

    assert call.last() == Play(("custom/order-not-found",), "")


def test_a_data_lookup_without_its_key_takes_not_found_without_asking() -> None:
    call = Call(flow(ORDER))

    assert call.all_of(LookupData) == []
    assert call.ivr.path == ("find", "no_order")
