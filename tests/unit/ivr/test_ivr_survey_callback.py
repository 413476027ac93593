"""The survey and the callback offer: their small conversations inside one node."""

from __future__ import annotations

from typing import Any

from ivr_flows import Collect, Play, RequestCallback, SayDigits, StoreSurvey
from tests.unit.ivr.ivr_testkit import Call, flow

SURVEY = {
    "survey": {
        "type": "survey",
        "questions": [
            {"id": "satisfaction", "prompts": "custom/survey-q1"},
            {"id": "resolved", "prompts": "custom/survey-q2"},
            {"id": "recommend", "prompts": "custom/survey-q3"},
        ],
        "retries": 1,
        "invalid_prompts": "custom/survey-invalid",
        "next": "thanks",
    },
    "thanks": {"type": "play", "prompts": "custom/survey-thanks", "next": "end"},
    "end": {"type": "hangup"},
}


def test_each_question_is_asked_for_one_key_and_the_ratings_are_stored() -> None:
    call = Call(flow(SURVEY))
    assert call.last() == Collect(("custom/survey-q1",), 1, 1, 5.0, None)
    call.press("4")
    assert call.last() == Collect(("custom/survey-q2",), 1, 1, 5.0, None)
    call.press("5")
    actions = call.press("2")

    assert actions[0] == StoreSurvey(
        (("satisfaction", 4), ("resolved", 5), ("recommend", 2)), complete=True
    )
    call.played()
    assert call.finished.outcome == "survey"
    assert call.finished.data["survey.resolved"] == "5"


def test_a_rating_outside_1_to_5_is_asked_for_again() -> None:
    call = Call(flow(SURVEY))
    call.press("9")

    assert call.last() == Collect(("custom/survey-invalid", "custom/survey-q1"), 1, 1, 5.0, None)
    call.press("0")  # retries used up: the question is skipped
    assert call.last() == Collect(("custom/survey-q2",), 1, 1, 5.0, None)


def test_a_question_left_unanswered_is_skipped_not_guessed() -> None:
    call = Call(flow(SURVEY))
    call.silence()
    call.silence()
    call.press("3")
    actions = call.press("3")

    assert actions[0] == StoreSurvey((("resolved", 3), ("recommend", 3)), complete=True)
    assert "survey.satisfaction" not in call.ivr.data


def test_a_hang_up_half_way_stores_the_ratings_given_so_far() -> None:
    call = Call(flow(SURVEY))
    call.press("5")
    actions = call.hang_up()

    assert actions[0] == StoreSurvey((("satisfaction", 5),), complete=False)
    assert call.finished.outcome == "survey"
    assert call.finished.hung_up


def test_a_hang_up_before_any_rating_stores_nothing() -> None:
    call = Call(flow(SURVEY))
    call.hang_up()

    assert call.all_of(StoreSurvey) == []
    assert call.finished.outcome == "abandoned"


def test_a_hang_up_after_the_survey_does_not_store_it_twice() -> None:
    call = Call(flow(SURVEY))
    for key in "123":
        call.press(key)
    call.hang_up()

    assert len(call.all_of(StoreSurvey)) == 1
    assert call.finished.outcome == "survey"


def callback_flow(**settings: Any) -> dict[str, Any]:
    node = {
        "type": "callback",
        "queue": "billing",
        "offer_prompts": "custom/callback-offer",
        "confirm_prompts": "custom/callback-confirm",
        "enter_prompts": "custom/callback-enter-number",
        "retries": 1,
        "next": "thanks",
        "fallback": "queue",
        **settings,
    }
    return {
        "callback": node,
        "thanks": {"type": "hangup"},
        "queue": {"type": "queue", "queue": "billing"},
    }


def test_a_callback_reads_the_callers_number_back_and_1_confirms_it() -> None:
    call = Call(flow(callback_flow()), call={"caller_number": "+4930555001"})
    assert call.last() == Play(("custom/callback-offer",), "")
    call.played()
    assert call.last() == SayDigits("4930555001")
    call.played()
    assert call.last() == Collect(("custom/callback-confirm",), 1, 1, 5.0, None)

    actions = call.press("1")

    request = actions[0]
    assert isinstance(request, RequestCallback)
    assert (request.queue, request.number, request.keep_place) == ("billing", "+4930555001", True)
    assert call.finished.outcome == "callback"
    assert call.finished.data["callback.number"] == "+4930555001"


def test_2_lets_the_caller_key_in_another_number_which_is_read_back_too() -> None:
    call = Call(flow(callback_flow(keep_place=False)))
    call.played()
    call.played()
    call.press("2")
    assert call.last() == Collect(("custom/callback-enter-number",), 3, 20, 5.0, "#")

    call.press("030123456#")
    assert call.last() == Play(("custom/callback-offer",), "")
    call.played()
    assert call.last() == SayDigits("030123456")
    call.played()
    call.press("1")

    request = call.only(RequestCallback)
    assert (request.number, request.keep_place) == ("030123456", False)


def test_without_a_callers_number_the_caller_is_asked_for_one() -> None:
    call = Call(flow(callback_flow()), call={})

    assert call.last() == Collect(("custom/callback-enter-number",), 3, 20, 5.0, "#")


def test_a_number_that_is_not_a_phone_number_is_asked_for_again() -> None:
    call = Call(flow(callback_flow()), call={})
    call.press("12")

    assert call.last() == Collect(("custom/callback-enter-number",), 3, 20, 5.0, "#")
    assert call.all_of(RequestCallback) == []


def only_long_numbers(number: str) -> bool:
    """The shell's check stands for a valid number of its country; here: 9 digits or more."""
    return len(number.lstrip("+")) >= 9


def test_a_callers_number_that_cannot_be_called_back_is_not_offered() -> None:
    call = Call(
        flow(callback_flow()), call={"caller_number": "5550001"}, dialable=only_long_numbers
    )

    # Not read back as the number to call: the caller is asked for one instead.
    assert call.last() == Collect(("custom/callback-enter-number",), 3, 20, 5.0, "#")
    assert call.all_of(SayDigits) == []


def test_a_keyed_in_number_that_cannot_be_called_back_is_asked_for_again() -> None:
    call = Call(flow(callback_flow()), call={}, dialable=only_long_numbers)
    call.press("5550001#")

    assert call.last() == Collect(("custom/callback-enter-number",), 3, 20, 5.0, "#")
    call.press("030123456#")
    assert call.last() == Play(("custom/callback-offer",), "")
    call.played()
    assert call.last() == SayDigits("030123456")
    call.played()
    call.press("1")
    assert call.only(RequestCallback).number == "030123456"


def test_the_callback_falls_back_after_the_retries() -> None:
    call = Call(flow(callback_flow()))
    call.played()
    call.played()
    call.silence()
    call.press("7")

    assert call.all_of(RequestCallback) == []
    assert call.finished.outcome == "queued"
    assert call.finished.path == ("callback", "queue")


def test_a_hang_up_during_the_offer_requests_nothing() -> None:
    call = Call(flow(callback_flow()))
    call.played()
    call.hang_up()

    assert call.all_of(RequestCallback) == []
    assert call.finished.outcome == "abandoned"
