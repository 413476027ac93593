"""Menu and language nodes: keys, silence, wrong keys, retries, fallback, hang-up."""

from __future__ import annotations

from typing import Any

from ivr_flows import Collect, Finished, InputIgnored, SetLanguage
from tests.unit.ivr.ivr_testkit import Call, flow

MENU = {
    "main": {
        "type": "menu",
        "prompts": "custom/main-menu",
        "choices": {1: "billing", 2: "support", "#": "main"},
        "timeout_s": 4,
        "retries": 2,
        "no_input_prompts": "custom/no-input",
        "invalid_prompts": "custom/invalid",
        "fallback": "operator",
        "store_as": "menu_choice",
    },
    "billing": {"type": "hangup", "outcome": "billing"},
    "support": {"type": "hangup", "outcome": "support"},
    "operator": {"type": "hangup", "outcome": "operator"},
}


def menu_call() -> Call:
    return Call(flow(MENU))


def test_a_menu_asks_for_one_key_with_its_timeout() -> None:
    call = menu_call()

    assert call.actions == [Collect(("custom/main-menu",), 1, 1, 4.0, None)]


def test_a_key_of_the_menu_takes_its_branch_and_is_kept_in_the_data() -> None:
    call = menu_call()
    call.press("2")

    assert call.finished.outcome == "support"
    assert call.finished.path == ("main", "support")
    assert call.finished.data["menu_choice"] == "2"


def test_silence_asks_again_after_the_no_input_prompt() -> None:
    call = menu_call()
    call.silence()

    assert call.last() == Collect(("custom/no-input", "custom/main-menu"), 1, 1, 4.0, None)
    call.press("1")
    assert call.finished.outcome == "billing"


def test_a_wrong_key_asks_again_after_the_invalid_prompt() -> None:
    call = menu_call()
    call.press("7")

    assert call.last() == Collect(("custom/invalid", "custom/main-menu"), 1, 1, 4.0, None)
    assert "menu_choice" not in call.ivr.data


def test_after_the_retries_the_menu_falls_back() -> None:
    call = menu_call()
    call.silence()
    call.press("9")
    assert isinstance(call.last(), Collect)

    call.silence()

    assert call.finished.outcome == "operator"
    assert call.finished.path == ("main", "operator")


def test_an_entry_that_is_not_keypad_keys_counts_as_a_wrong_key_and_is_not_kept() -> None:
    call = menu_call()
    call.press("1; DROP TABLE")
    call.press("x" * 10_000)

    assert isinstance(call.last(), Collect)
    assert call.ivr.data.get("menu_choice") is None


def test_a_menu_branch_may_lead_back_to_the_menu_itself() -> None:
    call = menu_call()
    call.press("#")

    assert call.ivr.path == ("main", "main")
    assert call.last() == Collect(("custom/main-menu",), 1, 1, 4.0, None)


def test_a_hang_up_in_the_menu_ends_the_call_with_the_partial_path() -> None:
    call = menu_call()
    call.silence()
    actions = call.hang_up()

    assert actions == [Finished("abandoned", ("main",), {"caller_number": "5550001"}, hung_up=True)]


def test_inputs_after_the_end_are_ignored() -> None:
    call = menu_call()
    call.press("1")

    assert isinstance(call.press("2")[0], InputIgnored)
    assert isinstance(call.hang_up()[0], InputIgnored)
    assert call.finished.outcome == "billing"


LANGUAGE: dict[str, dict[str, Any]] = {
    "lang": {
        "type": "language",
        "prompts": "custom/choose-language",
        "choices": {1: "en", 2: "de"},
        "default": "en",
        "known_from": None,
        "retries": 1,
        "next": "end",
    },
    "end": {"type": "hangup"},
}


def test_a_language_key_switches_the_call_to_that_language() -> None:
    call = Call(flow(LANGUAGE))
    assert call.last() == Collect(("custom/choose-language",), 1, 1, 5.0, None)

    actions = call.press("2")

    assert actions[0] == SetLanguage("de")
    assert call.finished.data["language"] == "de"


def test_a_caller_who_does_not_choose_gets_the_default_language() -> None:
    call = Call(flow(LANGUAGE))
    call.silence()
    actions = call.press("8")

    assert actions[0] == SetLanguage("en")
    assert call.finished.data["language"] == "en"


def test_a_language_already_known_from_the_data_is_used_without_asking() -> None:
    nodes = {
        "lang": {**LANGUAGE["lang"], "known_from": "customer.language"},
        "end": LANGUAGE["end"],
    }
    call = Call(flow(nodes), call={"customer.language": "de"})

    assert call.actions[0] == SetLanguage("de")
    assert call.finished.path == ("lang", "end")


def test_a_known_language_the_menu_does_not_offer_is_asked_for() -> None:
    nodes = {
        "lang": {**LANGUAGE["lang"], "known_from": "customer.language"},
        "end": LANGUAGE["end"],
    }
    call = Call(flow(nodes), call={"customer.language": "fr"})

    assert isinstance(call.last(), Collect)
