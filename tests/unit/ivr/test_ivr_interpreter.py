"""The interpreter's contract: inputs in, actions out, stale facts answered, never a crash."""

from __future__ import annotations

from datetime import datetime

import pytest

from ivr_flows import (
    CallerHungUp,
    CallStarted,
    DigitsReceived,
    Finished,
    Flow,
    FlowSet,
    Hangup,
    InputIgnored,
    IvrInterpreter,
    LookupAnswered,
    NoInput,
    Play,
    PromptPlayed,
    RecordingDone,
    WaitEstimated,
)
from ivr_flows.interpreter import MAX_STEPS_PER_INPUT
from ivr_flows.nodes_logic import SetDataNode
from tests.unit.ivr.ivr_testkit import WEDNESDAY_10AM, Call, flow

NOW = WEDNESDAY_10AM
TWO_STEPS = {
    "hello": {"type": "play", "prompts": "hello-world", "next": "menu"},
    "menu": {"type": "menu", "prompts": "custom/menu", "choices": {1: "end"}, "fallback": "end"},
    "end": {"type": "hangup"},
}


def test_every_handle_ends_with_an_action_that_awaits_input_or_with_finished() -> None:
    call = Call(flow(TWO_STEPS))
    for step in (call.played, lambda: call.press("1")):
        last = call.last()
        assert last.awaits_input or isinstance(last, Finished)
        step()
    assert isinstance(call.last(), Finished)


@pytest.mark.parametrize(
    "stale",
    [
        DigitsReceived(NOW, "1"),
        NoInput(NOW),
        LookupAnswered(NOW, {"name": "x"}),
        WaitEstimated(NOW, 10.0),
        RecordingDone(NOW, 3.0),
    ],
)
def test_an_input_the_node_is_not_waiting_for_is_ignored_and_changes_nothing(stale: object) -> None:
    call = Call(flow(TWO_STEPS))

    actions = call.ivr.handle(stale)  # type: ignore[arg-type]

    assert len(actions) == 1
    assert isinstance(actions[0], InputIgnored)
    assert "PromptPlayed" not in actions[0].input_name
    assert call.ivr.path == ("hello",)
    assert call.ivr.handle(PromptPlayed(NOW))[-1].awaits_input


def test_inputs_before_the_call_started_are_ignored() -> None:
    ivr = IvrInterpreter(FlowSet([flow(TWO_STEPS)]), "test")

    assert isinstance(ivr.handle(PromptPlayed(NOW))[0], InputIgnored)
    assert ivr.path == ()


def test_a_second_call_started_is_ignored() -> None:
    call = Call(flow(TWO_STEPS))

    assert isinstance(call.ivr.handle(CallStarted(NOW, {}))[0], InputIgnored)
    assert call.ivr.path == ("hello",)


def test_a_hang_up_before_the_start_ends_with_an_empty_path() -> None:
    ivr = IvrInterpreter(FlowSet([flow(TWO_STEPS)]), "test")

    (end,) = ivr.handle(CallerHungUp(NOW))

    assert end == Finished("abandoned", (), {}, hung_up=True)


def test_an_unknown_flow_is_refused_when_the_interpreter_is_built() -> None:
    with pytest.raises(ValueError, match="no flow 'nope'; the flows are: test"):
        IvrInterpreter(FlowSet([flow(TWO_STEPS)]), "nope")


def test_every_input_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        PromptPlayed(datetime(2026, 5, 20, 10, 0))


def test_call_data_from_outside_is_cleaned_before_use() -> None:
    call = Call(
        flow(TWO_STEPS),
        call={
            "caller_number": "5550001\r\nEXEC System rm",
            "dnis": "100",
            "Bad Key": "x",
            "caller_name": "\x00evil",
        },
    )

    assert dict(call.ivr.data) == {"dnis": "100"}


def test_the_same_inputs_give_the_same_actions() -> None:
    def run() -> list[object]:
        call = Call(flow(TWO_STEPS))
        call.played()
        call.press("1")
        return list(call.log)

    assert run() == run()
    assert run()[0] == Play(("hello-world",), "")


def test_a_flow_that_would_spin_without_input_is_ended_as_failed_not_run_for_ever() -> None:
    # parse_flow refuses such a loop; model_construct skips the checks to reach the guard.
    spinning = Flow.model_construct(
        name="spin",
        start="a",
        calendars={},
        nodes={
            "a": SetDataNode.model_construct(type="set", values={"x": "1"}, next="b"),
            "b": SetDataNode.model_construct(type="set", values={"x": "2"}, next="a"),
        },
    )
    ivr = IvrInterpreter(FlowSet([spinning]), "spin")

    actions = ivr.handle(CallStarted(NOW, {}))

    assert actions[-2] == Hangup()
    assert ivr.finished is not None
    assert ivr.finished.outcome == "failed"
    assert len(ivr.path) == 1 + MAX_STEPS_PER_INPUT  # the start, then the guarded steps
