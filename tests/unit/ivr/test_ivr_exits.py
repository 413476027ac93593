"""Queue, voicemail, transfer, hang-up and sub-flows."""

from __future__ import annotations

from typing import Any

from ivr_flows import (
    EnqueueCall,
    Finished,
    Hangup,
    Play,
    RecordVoicemail,
    SetLanguage,
    Transfer,
)
from tests.unit.ivr.ivr_testkit import Call, flow


def queue_node(**settings: Any) -> dict[str, Any]:
    return {"queue": {"type": "queue", "queue": "billing", **settings}}


def test_a_queue_node_hands_the_call_to_the_acd_with_the_collected_data() -> None:
    call = Call(
        flow(queue_node(skills={"billing": 2}, priority=3)),
        call={"caller_number": "5550001", "reason": "billing"},
    )

    enqueue = call.only(EnqueueCall)
    assert enqueue.queue == "billing"
    assert dict(enqueue.skills) == {"billing": 2}
    assert enqueue.priority == 3
    assert dict(enqueue.data) == {"caller_number": "5550001", "reason": "billing"}
    assert call.finished.outcome == "queued"
    assert call.actions == [enqueue, call.finished]
    assert not call.all_of(Hangup)


def test_the_language_chosen_becomes_a_required_skill() -> None:
    call = Call(
        flow(queue_node(skills={"billing": 1}, language_skill=True)), call={"language": "de"}
    )

    assert dict(call.only(EnqueueCall).skills) == {"billing": 1, "lang-de": 1}


def test_the_customers_tier_raises_the_priority() -> None:
    node = queue_node(priority=1, priority_by_tier={"gold": 5, "vip": 10})

    assert Call(flow(node), call={"customer.tier": "vip"}).only(EnqueueCall).priority == 10
    assert Call(flow(node), call={"customer.tier": "gold"}).only(EnqueueCall).priority == 5
    assert Call(flow(node), call={"customer.tier": "standard"}).only(EnqueueCall).priority == 1
    assert Call(flow(node), call={}).only(EnqueueCall).priority == 1


def test_attach_limits_the_data_sent_with_the_call() -> None:
    node = queue_node(attach=["reason", "customer.name", "not_there"])
    data = {"caller_number": "5550001", "reason": "billing", "customer.name": "Alice"}

    assert dict(Call(flow(node), call=data).only(EnqueueCall).data) == {
        "reason": "billing",
        "customer.name": "Alice",
    }


VOICEMAIL = {
    "message": {
        "type": "voicemail",
        "queue": "general",
        "prompts": "vm-intro",
        "max_seconds": 90,
        "next": "saved",
    },
    "saved": {"type": "play", "prompts": "vm-msgsaved", "next": "end"},
    "end": {"type": "hangup"},
}


def test_a_voicemail_records_a_message_for_its_queue_then_goes_on() -> None:
    call = Call(flow(VOICEMAIL))
    assert call.last() == RecordVoicemail("general", ("vm-intro",), 90)

    call.recorded(12.6)
    assert call.last() == Play(("vm-msgsaved",), "")
    call.played()

    assert call.finished.outcome == "voicemail"
    assert call.finished.data["voicemail.seconds"] == "13"


def test_a_caller_who_hangs_up_after_the_message_still_left_a_voicemail() -> None:
    call = Call(flow(VOICEMAIL))
    call.recorded(30)
    call.hang_up()

    assert call.finished.outcome == "voicemail"
    assert call.finished.hung_up
    assert call.finished.path == ("message", "saved")


def test_a_message_that_could_not_be_recorded_takes_the_failed_exit() -> None:
    nodes = {
        **VOICEMAIL,
        "message": {**VOICEMAIL["message"], "failed": "sorry"},
        "sorry": {"type": "play", "prompts": "custom/message-failed", "next": "end"},
    }
    call = Call(flow(nodes))
    call.recording_failed()
    assert call.last() == Play(("custom/message-failed",), "")
    call.played()

    assert call.finished.outcome == "voicemail_failed"
    assert not call.finished.hung_up
    assert call.finished.path == ("message", "sorry", "end")
    assert "voicemail.seconds" not in call.finished.data


def test_a_message_that_could_not_be_recorded_without_a_failed_exit_ends_with_goodbye() -> None:
    call = Call(flow(VOICEMAIL))
    actions = call.recording_failed()

    assert actions[:2] == [Play(("vm-goodbye",), ""), Hangup()]
    assert call.finished.outcome == "voicemail_failed"
    assert call.finished.path == ("message",)


def test_a_caller_who_hangs_up_before_recording_left_nothing() -> None:
    call = Call(flow(VOICEMAIL))
    call.hang_up()

    assert call.finished.outcome == "abandoned"


def test_transfer_sends_the_call_to_a_number_and_ends_the_ivr() -> None:
    call = Call(flow({"out": {"type": "transfer", "number": "+4930123456"}}))

    assert call.actions[0] == Transfer("+4930123456")
    assert call.finished.outcome == "transferred"


def test_a_hangup_node_names_the_outcome() -> None:
    call = Call(flow({"bye": {"type": "hangup", "outcome": "self_service"}}))

    assert call.actions == [Hangup(), call.finished]
    assert call.finished.outcome == "self_service"
    assert not call.finished.hung_up


def test_a_subflow_runs_and_returns_to_the_next_node_of_its_caller() -> None:
    sub = flow(
        {
            "lang": {
                "type": "language",
                "prompts": "custom/choose-language",
                "choices": {1: "en", 2: "de"},
                "default": "en",
                "next": "back",
            },
            "back": {"type": "return"},
        },
        name="choose_language",
    )
    main = flow(
        {
            "hello": {"type": "play", "prompts": "custom/welcome", "next": "language"},
            "language": {"type": "subflow", "flow": "choose_language", "next": "queue"},
            "queue": {"type": "queue", "queue": "general", "language_skill": True},
        },
        name="main",
    )
    call = Call(main, sub)
    call.played()
    actions = call.press("2")

    assert actions[0] == SetLanguage("de")
    assert call.finished.path == (
        "hello",
        "language",
        "choose_language/lang",
        "choose_language/back",
        "queue",
    )
    assert call.only(EnqueueCall).skills == {"lang-de": 1}


def test_a_flow_ending_in_a_subflow_that_hangs_up_ends_there() -> None:
    sub = flow({"bye": {"type": "hangup", "outcome": "closed"}}, name="closed")
    main = flow(
        {
            "closed": {"type": "subflow", "flow": "closed", "next": "end"},
            "end": {"type": "hangup"},
        },
        name="main",
    )
    call = Call(main, sub)

    assert call.finished.outcome == "closed"
    assert call.finished.path == ("closed", "closed/bye")


def test_a_return_in_the_calls_own_flow_hangs_up() -> None:
    call = Call(flow({"back": {"type": "return"}}))

    assert call.actions == [Hangup(), call.finished]
    assert isinstance(call.finished, Finished)
    assert call.finished.outcome == "completed"
