"""The shipped flows, driven through the pure interpreter as a caller would use them.

A script is a list of inputs in call order (`("press", "2")`, `("played",)` ...); each
scenario checks where the call ends and what it collected, and the hang-up test replays
every prefix of every script and hangs up there.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from ivr_flows import (
    Collect,
    EnqueueCall,
    EstimateWait,
    LookupCustomer,
    LookupData,
    Play,
    RecordVoicemail,
    RequestCallback,
    SayDate,
    SayDigits,
    SetLanguage,
    StoreSurvey,
)
from tests.unit.ivr.ivr_testkit import BERLIN, WEDNESDAY_10AM, Call, shipped_flows

FLOWS = shipped_flows()
ALICE = {
    "name": "Alice Example",
    "tier": "gold",
    "language": "de",
    "name_prompt": "custom/names/alice",
}
VICTOR = {"name": "Victor Important", "tier": "vip", "language": "en"}
WEDNESDAY_10PM = datetime(2026, 5, 20, 22, 0, tzinfo=BERLIN)
CHRISTMAS = datetime(2026, 12, 25, 10, 0, tzinfo=BERLIN)

Script = list[tuple[Any, ...]]

SCRIPTS: dict[str, tuple[str, datetime, Script]] = {
    "known_caller_to_billing": (
        "main_hotline",
        WEDNESDAY_10AM,
        [("answer", ALICE), ("played",), ("played",), ("press", "2"), ("estimate", 45.0)],
    ),
    "vip_by_number_skips_the_menu": (
        "main_hotline",
        WEDNESDAY_10AM,
        [("answer", VICTOR), ("played",)],
    ),
    "vip_by_account": (
        "main_hotline",
        WEDNESDAY_10AM,
        [
            ("answer", None),
            ("played",),
            ("press", "1"),
            ("press", "4000123457#"),
            ("answer", VICTOR),
        ],
    ),
    "order_status_self_service": (
        "main_hotline",
        WEDNESDAY_10AM,
        [
            ("answer", None),
            ("press", "1"),  # skips the welcome
            ("press", "2"),  # Deutsch
            ("silence",),
            ("silence",),  # no account number: on to the menu
            ("press", "1"),
            ("press", "123456#"),
            ("answer", {"status": "shipped", "date": "2026-05-12"}),
            ("played",),
            ("played",),
            ("played",),
            ("played",),
            ("silence",),
            ("played",),
        ],
    ),
    "long_wait_callback": (
        "main_hotline",
        WEDNESDAY_10AM,
        [
            ("answer", ALICE),
            ("played",),
            ("played",),
            ("press", "3"),
            ("estimate", 900.0),
            ("played",),
            ("played",),
            ("press", "1"),
            ("played",),
            ("played",),
        ],
    ),
    "after_hours_voicemail": (
        "main_hotline",
        WEDNESDAY_10PM,
        [("played",), ("press", "1"), ("recorded", 21.0), ("played",), ("played",)],
    ),
    "after_hours_voicemail_failed": (
        "main_hotline",
        WEDNESDAY_10PM,
        [("played",), ("press", "1"), ("recording_failed",), ("played",)],
    ),
    "holiday_callback": (
        "main_hotline",
        CHRISTMAS,
        [
            ("press", "1"),
            ("press", "2"),
            ("played",),
            ("played",),
            ("press", "1"),
            ("played",),
            ("played",),
        ],
    ),
    "after_hours_silence": (
        "after_hours",
        WEDNESDAY_10AM,
        [("played",), ("silence",), ("silence",), ("played",)],
    ),
    "survey": (
        "post_call_survey",
        WEDNESDAY_10PM,
        [("played",), ("press", "5"), ("press", "4"), ("press", "5"), ("played",)],
    ),
}


def run(name: str, upto: int | None = None) -> Call:
    flow, now, script = SCRIPTS[name]
    call = Call(
        flowset=FLOWS, entry=flow, now=now, call={"caller_number": "5550001", "dnis": "100"}
    )
    for method, *args in script[:upto]:
        getattr(call, method)(*args)
    return call


def test_a_known_caller_is_greeted_by_name_in_their_language_and_queued_for_billing() -> None:
    call = Call(flowset=FLOWS, entry="main_hotline", call={"caller_number": "5550001"})
    assert call.last() == LookupCustomer("caller_number", "5550001")
    call.answer(ALICE)
    assert call.last() == Play(("custom/welcome-back",), "")
    call.played()
    assert call.last() == Play(("custom/names/alice",), "")
    actions = call.played()
    assert actions[0] == SetLanguage("de")
    assert call.last() == Collect(("custom/main-menu",), 1, 1, 5.0, None)
    call.press("2")
    assert call.last() == EstimateWait("billing")
    call.estimate(45.0)

    enqueue = call.only(EnqueueCall)
    assert enqueue.queue == "billing"
    assert dict(enqueue.skills) == {"billing": 1, "lang-de": 1}
    assert enqueue.priority == 5
    assert enqueue.data["customer.name"] == "Alice Example"
    assert enqueue.data["reason"] == "billing"
    assert call.finished.outcome == "queued"


def test_a_vip_known_by_number_goes_straight_to_priority_routing() -> None:
    call = run("vip_by_number_skips_the_menu")

    enqueue = call.only(EnqueueCall)
    assert (enqueue.queue, enqueue.priority) == ("general", 10)
    assert enqueue.data["reason"] == "vip"
    assert "main_menu" not in call.finished.path


def test_a_vip_identified_by_account_number_goes_to_priority_routing() -> None:
    call = run("vip_by_account")

    assert call.all_of(LookupCustomer)[-1] == LookupCustomer("account", "4000123457")
    assert call.only(EnqueueCall).priority == 10
    assert call.finished.path[-3:] == ("identify_by_account", "vip_priority", "vip_queue")


def test_the_order_status_is_read_back_and_the_call_ends_as_self_service() -> None:
    call = run("order_status_self_service", upto=8)
    assert call.all_of(LookupData) == [LookupData("order_status", "123456")]
    assert call.last() == Play(("custom/your-order",), "")
    call.played()
    assert call.last() == SayDigits("123456")
    call.played()
    assert call.last() == Play(("custom/order-shipped-on",), "")
    call.played()
    assert call.last() == SayDate(date(2026, 5, 12))

    call = run("order_status_self_service")
    assert call.finished.outcome == "self_service"
    assert call.finished.data["language"] == "de"
    assert "account_number" not in call.finished.data


def test_a_caller_who_hangs_up_after_hearing_the_order_status_was_served() -> None:
    call = run("order_status_self_service", upto=12)  # the status is told, the menu follows
    call.hang_up()

    assert (call.finished.outcome, call.finished.hung_up) == ("self_service", True)


def test_a_caller_who_hangs_up_before_the_order_status_abandoned() -> None:
    call = run("order_status_self_service", upto=7)  # the order number is keyed, not looked up
    call.hang_up()

    assert (call.finished.outcome, call.finished.hung_up) == ("abandoned", True)


def test_a_caller_who_wants_an_agent_after_the_order_status_is_queued() -> None:
    call = run("order_status_self_service", upto=12)
    call.press("0")
    call.estimate(30.0)

    assert call.only(EnqueueCall).queue == "billing"
    assert call.finished.outcome == "queued"


def test_a_long_wait_offers_a_callback_that_keeps_the_callers_place() -> None:
    call = run("long_wait_callback")

    request = call.all_of(RequestCallback)
    assert [(r.queue, r.number, r.keep_place) for r in request] == [("support", "5550001", True)]
    # Ranked and matched as the call would have been: the queue's skill and the language.
    language = call.finished.data["language"]
    assert dict(request[0].skills) == {"technical": 1, f"lang-{language}": 1}
    assert call.all_of(EnqueueCall) == []
    assert call.finished.outcome == "callback"


def test_after_hours_the_caller_may_leave_a_voicemail() -> None:
    call = run("after_hours_voicemail")

    assert call.all_of(RecordVoicemail) == [RecordVoicemail("general", ("vm-intro",), 120)]
    assert call.finished.outcome == "voicemail"
    assert call.finished.path[:2] == ("check_hours", "after_hours")
    assert call.finished.path[2] == "after_hours/closed"


def test_after_hours_a_message_that_cannot_be_recorded_is_apologised_for() -> None:
    call = run("after_hours_voicemail_failed")

    assert call.all_of(Play)[-1] == Play(("custom/message-failed", "vm-goodbye"), "")
    assert call.finished.outcome == "voicemail_failed"
    assert call.finished.path[-2:] == ("after_hours/message_failed", "after_hours/hang_up")
    assert not call.finished.hung_up


def test_on_a_holiday_the_caller_may_ask_to_be_called_back_on_the_next_working_day() -> None:
    call = run("holiday_callback")

    (request,) = call.all_of(RequestCallback)
    assert (request.queue, request.keep_place) == ("general", False)
    assert call.finished.outcome == "callback"


def test_a_silent_caller_after_hours_is_let_go_politely() -> None:
    call = run("after_hours_silence")

    assert call.finished.outcome == "closed"
    assert call.finished.path[-2:] == ("goodbye", "hang_up")


def test_the_survey_stores_three_ratings() -> None:
    call = run("survey")

    assert call.all_of(StoreSurvey) == [
        StoreSurvey((("satisfaction", 5), ("resolved", 4), ("recommend", 5)), complete=True)
    ]
    assert call.finished.outcome == "survey"


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_hang_up_at_any_step_ends_the_call_with_the_partial_path(name: str) -> None:
    full = run(name).finished.path
    for step in range(len(SCRIPTS[name][2]) + 1):
        call = run(name, upto=step)
        if call.ivr.finished is not None:
            continue  # the flow had already ended by itself
        call.hang_up()

        assert call.finished.hung_up
        assert full[: len(call.finished.path)] == call.finished.path
