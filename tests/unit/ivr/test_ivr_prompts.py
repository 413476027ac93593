"""Play and say nodes through the pure interpreter."""

from __future__ import annotations

from datetime import date

import pytest

from ivr_flows import DTMF_KEYS, Hangup, InputIgnored, Play, SayDate, SayDigits, SayNumber
from tests.unit.ivr.ivr_testkit import Call, flow

END = {"end": {"type": "hangup"}}


def test_play_plays_its_prompts_then_moves_on_when_they_have_played() -> None:
    call = Call(
        flow({"hello": {"type": "play", "prompts": ["hello-world", "beep"], "next": "end"}, **END})
    )

    assert call.actions == [Play(("hello-world", "beep"), "")]
    call.played()

    assert isinstance(call.actions[0], Hangup)
    assert call.finished.path == ("hello", "end")
    assert call.finished.outcome == "completed"


def test_a_single_prompt_may_be_written_without_a_list() -> None:
    call = Call(
        flow({"hello": {"type": "play", "prompts": "custom/welcome", "next": "end"}, **END})
    )

    assert call.last() == Play(("custom/welcome",), "")


def test_an_interruptible_play_lets_any_key_skip_the_rest() -> None:
    nodes = {
        "intro": {"type": "play", "prompts": "custom/intro", "interruptible": True, "next": "end"}
    }
    call = Call(flow({**nodes, **END}))

    assert call.last() == Play(("custom/intro",), DTMF_KEYS)
    call.press("5")

    assert call.finished.path == ("intro", "end")
    assert "5" not in call.finished.data.values()


def test_a_key_over_a_play_that_cannot_be_interrupted_is_ignored_and_the_play_goes_on() -> None:
    call = Call(flow({"hello": {"type": "play", "prompts": "hello-world", "next": "end"}, **END}))

    ignored = call.press("1")

    assert isinstance(ignored[0], InputIgnored)
    assert call.ivr.finished is None
    call.played()
    assert call.finished.path == ("hello", "end")


def say_flow(fmt: str, key: str = "value") -> dict[str, object]:
    return {
        "say": {"type": "say", "format": fmt, "key": key, "next": "end", "missing": "sorry"},
        "sorry": {"type": "play", "prompts": "custom/sorry", "next": "end"},
        **END,
    }


@pytest.mark.parametrize(
    ("fmt", "value", "expected"),
    [
        ("digits", "123456", SayDigits("123456")),
        ("number", "42", SayNumber(42)),
        ("date", "2026-05-12", SayDate(date(2026, 5, 12))),
        ("date", "2026-05-12T09:30:00+02:00", SayDate(date(2026, 5, 12))),
        ("sound", "custom/names/alice", Play(("custom/names/alice",))),
    ],
)
def test_say_reads_a_value_of_the_call_data_in_its_format(
    fmt: str, value: str, expected: object
) -> None:
    call = Call(flow(say_flow(fmt)), call={"value": value})

    assert call.last() == expected
    call.played()
    assert call.finished.path == ("say", "end")


@pytest.mark.parametrize(
    ("fmt", "value"),
    [
        ("digits", "12a4"),
        ("number", "forty-two"),
        ("number", "12345678901234"),
        ("date", "12/05/2026"),
        ("sound", "../../etc/passwd"),
        ("sound", "custom/wel come"),
    ],
)
def test_say_goes_to_missing_when_the_value_cannot_be_said(fmt: str, value: str) -> None:
    call = Call(flow(say_flow(fmt)), call={"value": value})

    assert call.last() == Play(("custom/sorry",), "")
    assert call.ivr.path == ("say", "sorry")


def test_say_without_a_missing_exit_goes_on_when_the_value_is_absent() -> None:
    nodes = {"say": {"type": "say", "format": "digits", "key": "account_number", "next": "end"}}
    call = Call(flow({**nodes, **END}))

    assert call.finished.path == ("say", "end")
